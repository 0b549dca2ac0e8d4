/** `RidgeNode`: a pooled ridge regression with a JSON fit state. */
import { ConfigError, DataError } from "../../errors/mod.ts";
import { ColumnFrame, f64Column } from "../../frame/mod.ts";
import type { ColumnFrames, JsonValue, NodeFrames } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _lagged, _layout, _numbers, _numericColumn, _requireCols } from "./_columns.ts";
import { _boolean, _merge, _name, _names, _positiveInt, _positiveNumber } from "./_options.ts";

/** Config of `RidgeNode` (the keys of its config template). */
export type RidgeNodeConfig = {
  /** Feature columns (at least one). Default `["ret_0_vol_adj_lag_0"]`. */
  features: string[];
  /** Column whose FUTURE value is the target (e.g. a return). Default `"ret_0"`. */
  target_col: string;
  /**
   * The target at bar t is `target_col` of the same asset `target_horizon` rows later
   * (default 1: the return over (t, t+1], the forecast convention of DESIGN §3). Future data
   * is read only inside `fit`. Default `1`.
   */
  target_horizon: number;
  /** L2 penalty on the coefficients (not on the intercept); 0 = ordinary least squares. Default `1`. */
  alpha: number;
  /** Fit an intercept (features and target centred before the solve). Default `true`. */
  fit_intercept: boolean;
  /** Output column of the prediction. Default `"prediction"`. */
  out_col: string;
};

/** The learned state of a `RidgeNode`, as stored in JSON. */
export type RidgeFitState = {
  /** Feature columns, in coefficient order. */
  features: string[];
  /** One coefficient per feature. */
  coef: number[];
  /** The intercept (0 without `fit_intercept`). */
  intercept: number;
  /** The L2 penalty it was fitted with. */
  alpha: number;
  /** Number of rows (asset-bars) it was fitted on. */
  n: number;
};

/**
 * Ridge regression pooled across assets: `fit` builds the target (`target_col` shifted
 * `target_horizon` rows into the future per asset — the only place future data is used),
 * keeps the rows where every feature and the target are finite, and solves
 * `(XcᵀXc + αI) β = Xcᵀyc` on centred data by Cholesky (in JS: features are few), with
 * intercept `ȳ − x̄·β`. `predict` adds `out_col = intercept + Σ coef_i · feature_i` (row by
 * row, null where a feature is null; never reads other rows). Both return `{df_out}`. The
 * computation is on `ColumnFrame`s (`fitColumns` / `predictColumns`); `fit` / `predict`
 * convert Polars frames around it.
 */
export class RidgeNode implements LookbackNode {
  /** Default config (see `RidgeNodeConfig`). */
  static readonly configTemplate: Readonly<RidgeNodeConfig> = {
    features: ["ret_0_vol_adj_lag_0"],
    target_col: "ret_0",
    target_horizon: 1,
    alpha: 1,
    fit_intercept: true,
    out_col: "prediction",
  };
  /** Unique id within its DAG. */
  readonly id: string;
  /** `["df_in"]`. */
  readonly inputNames: readonly string[] = ["df_in"];
  /** `["df_out"]`. */
  readonly outputNames: readonly string[] = ["df_out"];
  /** The node's resolved config. */
  readonly config: Readonly<RidgeNodeConfig>;
  #state: RidgeFitState | null = null;

  /** Creates the node; `options` override `RidgeNode.configTemplate`. */
  constructor(id: string, options: Partial<RidgeNodeConfig> = {}) {
    this.id = id;
    const c = _merge(id, RidgeNode.configTemplate, options);
    _names(id, "features", c.features);
    _name(id, "target_col", c.target_col);
    _positiveInt(id, "target_horizon", c.target_horizon);
    _positiveNumber(id, "alpha", c.alpha, { allowZero: true });
    _boolean(id, "fit_intercept", c.fit_intercept);
    _name(id, "out_col", c.out_col);
    this.config = Object.freeze({ ...c, features: [...c.features] });
  }

  /** 1: `predict` uses only the current row. */
  lookbackBars(): number {
    return 1;
  }

  /** Learns the coefficients on `df_in` and returns its predictions on it (Polars). */
  fit(inputs: NodeFrames): NodeFrames {
    const df = this.#input(inputs);
    return { df_out: this.#fitFrame(ColumnFrame.fromPolars(df)).toPolars() };
  }

  /** Returns `df_in` with the predictions; throws `ConfigError` before `fit`/`setFitState`. */
  predict(inputs: NodeFrames): NodeFrames {
    const df = this.#input(inputs);
    const state = this.#fitted();
    return { df_out: this.#apply(ColumnFrame.fromPolars(df), state).toPolars() };
  }

  /** `fit` on column frames: learns the coefficients on `df_in`, returns its predictions. */
  fitColumns(inputs: ColumnFrames): ColumnFrames {
    return { df_out: this.#fitFrame(this.#input(inputs)) };
  }

  /** `predict` on column frames. */
  predictColumns(inputs: ColumnFrames): ColumnFrames {
    const frame = this.#input(inputs);
    return { df_out: this.#apply(frame, this.#fitted()) };
  }

  /** `{features, coef, intercept, alpha, n}`, or null before `fit`. */
  getFitState(): JsonValue {
    const s = this.#state;
    return s === null ? null : { ...s, features: [...s.features], coef: [...s.coef] };
  }

  /** Restores a state from `getFitState()` (null forgets it); `ConfigError` if malformed. */
  setFitState(state: JsonValue): void {
    if (state === null) {
      this.#state = null;
      return;
    }
    const bad = (why: string): never => {
      throw new ConfigError(`Node ${this.id}: invalid ridge fit state: ${why}`);
    };
    if (typeof state !== "object" || Array.isArray(state)) bad("not an object");
    const s = state as Record<string, JsonValue>;
    const { features, coef, intercept, alpha, n } = s;
    if (!Array.isArray(features) || features.some((f) => typeof f !== "string")) {
      bad("'features' must be a list of column names");
    }
    const want = this.config.features;
    const got = features as string[];
    if (got.length !== want.length || got.some((f, i) => f !== want[i])) {
      bad(`'features' ${JSON.stringify(got)} differ from the config's ${JSON.stringify(want)}`);
    }
    if (
      !Array.isArray(coef) || coef.length !== want.length ||
      coef.some((c) => typeof c !== "number" || !Number.isFinite(c))
    ) {
      bad(`'coef' must be ${want.length} finite numbers`);
    }
    if (typeof intercept !== "number" || !Number.isFinite(intercept)) bad("'intercept'");
    if (typeof alpha !== "number" || !(alpha >= 0)) bad("'alpha' must be a number >= 0");
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) bad("'n' must be a count");
    this.#state = {
      features: [...got],
      coef: [...(coef as number[])],
      intercept: intercept as number,
      alpha: alpha as number,
      n: n as number,
    };
  }

  #input<T>(inputs: Record<string, T>): T {
    const df = inputs["df_in"];
    if (df === undefined) throw new ConfigError(`Node ${this.id}: missing input 'df_in'`);
    return df;
  }

  #fitted(): RidgeFitState {
    const s = this.#state;
    if (s === null) {
      throw new ConfigError(
        `Node ${this.id}: predict called before fit; run fit first or restore a fit state ` +
          `with setFitState()`,
      );
    }
    return s;
  }

  /** Fits on `frame` (the target: `target_col` `target_horizon` rows later per asset). */
  #fitFrame(frame: ColumnFrame): ColumnFrame {
    const { features, target_col, target_horizon, alpha, fit_intercept } = this.config;
    _requireCols(this.id, frame, [...features, target_col], "features/target_col");
    const layout = _layout(this.id, frame);
    const cols = features.map((f) => _numbers(this.id, frame, f, "features/target_col"));
    const ret = _numericColumn(this.id, frame, target_col, "features/target_col");
    const y = _lagged(ret, layout, -target_horizon).values; // NaN where there is no future row
    this.#state = _solveRidge(this.id, cols, y, { alpha, fitIntercept: fit_intercept, features });
    return this.#apply(frame, this.#state);
  }

  /** Adds `out_col = intercept + Σ coef_i · feature_i` (summed in feature order). */
  #apply(frame: ColumnFrame, s: RidgeFitState): ColumnFrame {
    _requireCols(this.id, frame, s.features, "features");
    const n = frame.height;
    const out = new Float64Array(n).fill(s.intercept);
    s.features.forEach((f, k) => {
      const x = _numbers(this.id, frame, f, "features");
      const c = s.coef[k] as number;
      for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (x[i] as number) * c;
    });
    return frame.with([[this.config.out_col, f64Column(out)]]);
  }
}

/** Solves the ridge normal equations on the rows where all of `cols` and `y` are finite. */
function _solveRidge(
  id: string,
  cols: Float64Array[],
  y: Float64Array,
  options: { alpha: number; fitIntercept: boolean; features: string[] },
): RidgeFitState {
  const p = cols.length;
  const complete = new Uint32Array(y.length);
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i] as number)) continue;
    let ok = true;
    for (let j = 0; j < p && ok; j++) ok = Number.isFinite((cols[j] as Float64Array)[i] as number);
    if (ok) complete[n++] = i;
  }
  const rows = complete.subarray(0, n);
  if (n === 0 || (options.alpha === 0 && n <= p)) {
    throw new DataError(
      `Node ${id}: ${n} complete rows to fit ${p} feature(s) on (rows with a null feature or ` +
        `target are dropped); give the fit a longer period or check the feature columns`,
    );
  }
  const xMean = new Float64Array(p);
  let yMean = 0;
  if (options.fitIntercept) {
    for (let r = 0; r < n; r++) {
      const i = rows[r] as number;
      yMean += y[i] as number;
      for (let j = 0; j < p; j++) {
        xMean[j] = (xMean[j] as number) + ((cols[j] as Float64Array)[i] as number);
      }
    }
    yMean /= n;
    for (let j = 0; j < p; j++) xMean[j] = (xMean[j] as number) / n;
  }
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const xi = new Float64Array(p);
  for (let r = 0; r < n; r++) {
    const i = rows[r] as number;
    for (let j = 0; j < p; j++) {
      xi[j] = ((cols[j] as Float64Array)[i] as number) - (xMean[j] as number);
    }
    const yi = (y[i] as number) - yMean;
    for (let j = 0; j < p; j++) {
      const xj = xi[j] as number;
      b[j] = (b[j] as number) + xj * yi;
      for (let k = 0; k <= j; k++) a[j * p + k] = (a[j * p + k] as number) + xj * (xi[k] as number);
    }
  }
  for (let j = 0; j < p; j++) a[j * p + j] = (a[j * p + j] as number) + options.alpha;
  const coef = _choleskySolve(id, a, b, p);
  let intercept = 0;
  if (options.fitIntercept) {
    intercept = yMean;
    for (let j = 0; j < p; j++) intercept -= (xMean[j] as number) * (coef[j] as number);
  }
  return { features: [...options.features], coef, intercept, alpha: options.alpha, n };
}

/** Solves `A x = b` for symmetric positive definite `A` (lower triangle used, row-major). */
function _choleskySolve(id: string, a: Float64Array, b: Float64Array, p: number): number[] {
  const l = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) {
      let s = a[j * p + k] as number;
      for (let m = 0; m < k; m++) s -= (l[j * p + m] as number) * (l[k * p + m] as number);
      if (j === k) {
        if (!(s > 1e-12 * Math.max(1, Math.abs(a[j * p + j] as number)))) {
          throw new DataError(
            `Node ${id}: the ridge normal equations are singular (collinear or constant ` +
              `features); increase 'alpha' or drop redundant features`,
          );
        }
        l[j * p + j] = Math.sqrt(s);
      } else {
        l[j * p + k] = s / (l[k * p + k] as number);
      }
    }
  }
  const z = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = b[j] as number;
    for (let m = 0; m < j; m++) s -= (l[j * p + m] as number) * (z[m] as number);
    z[j] = s / (l[j * p + j] as number);
  }
  const x = new Array<number>(p).fill(0);
  for (let j = p - 1; j >= 0; j--) {
    let s = z[j] as number;
    for (let m = j + 1; m < p; m++) s -= (l[m * p + j] as number) * (x[m] as number);
    x[j] = s / (l[j * p + j] as number);
  }
  return x;
}
