/** `RidgeNode`: a pooled ridge regression with a JSON fit state. */
import pl from "nodejs-polars";
import { ConfigError, DataError } from "../../errors/mod.ts";
import type { JsonValue, NodeFrames } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _guard, _requireColumns, _values } from "./_frame.ts";
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
 * row, null where a feature is null; never reads other rows). Both return `{df_out}`.
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

  /** Learns the coefficients on `df_in` and returns its predictions on it. */
  fit(inputs: NodeFrames): NodeFrames {
    const df = this.#input(inputs);
    const { features, target_col, target_horizon, alpha, fit_intercept } = this.config;
    _requireColumns(this.id, df, [...features, target_col], "features/target_col");
    _requireColumns(this.id, df, ["asset_id"], "");
    this.#state = _guard(this.id, () => {
      const target = `__${this.id}_target`;
      const withTarget = df.withColumns(
        pl.col(target_col).cast(pl.Float64).shift(-target_horizon).over("asset_id").alias(target),
      );
      const cols = features.map((f) => _values(withTarget, f));
      const y = _values(withTarget, target);
      return _solveRidge(this.id, cols, y, { alpha, fitIntercept: fit_intercept, features });
    });
    return { df_out: this.#apply(df) };
  }

  /** Returns `df_in` with the predictions; throws `ConfigError` before `fit`/`setFitState`. */
  predict(inputs: NodeFrames): NodeFrames {
    return { df_out: this.#apply(this.#input(inputs)) };
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

  #input(inputs: NodeFrames): pl.DataFrame {
    const df = inputs["df_in"];
    if (df === undefined) throw new ConfigError(`Node ${this.id}: missing input 'df_in'`);
    return df;
  }

  #apply(df: pl.DataFrame): pl.DataFrame {
    const s = this.#state;
    if (s === null) {
      throw new ConfigError(
        `Node ${this.id}: predict called before fit; run fit first or restore a fit state ` +
          `with setFitState()`,
      );
    }
    _requireColumns(this.id, df, s.features, "features");
    return _guard(this.id, () => {
      let e: pl.Expr = pl.lit(s.intercept);
      s.features.forEach((f, i) => {
        e = e.plus(pl.col(f).cast(pl.Float64).mul(s.coef[i] as number));
      });
      return df.withColumns(e.alias(this.config.out_col));
    });
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
  const rows: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i] as number)) continue;
    if (cols.every((c) => Number.isFinite(c[i] as number))) rows.push(i);
  }
  const n = rows.length;
  if (n === 0 || (options.alpha === 0 && n <= p)) {
    throw new DataError(
      `Node ${id}: ${n} complete rows to fit ${p} feature(s) on (rows with a null feature or ` +
        `target are dropped); give the fit a longer period or check the feature columns`,
    );
  }
  const xMean = new Float64Array(p);
  let yMean = 0;
  if (options.fitIntercept) {
    for (const i of rows) {
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
  for (const i of rows) {
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
