/**
 * Reconciliation (DESIGN §10): compares two portfolios bar by bar — a run against the research
 * portfolio recomputed from its own forecasts, a simulation against a backtest, production
 * against a simulation — in the causal order of a bar:
 *
 * 1. `forecasts`: the prediction of each asset at each bar;
 * 2. `targets`: the target holdings decided at the bar (shares, notional);
 * 3. `fills`: the fills applied during the bar (Σ shares, average price, Σ fees);
 * 4. `trades`: the portfolio's executed trades (shares, notional);
 * 5. `holdings`: the holdings after the bar (shares, notional);
 * 6. `portfolio`: the bar's metrics (pnl, volumes, gmv, nmv, fees, cash, net wealth).
 *
 * Only the bars both portfolios cover are compared (and only those in `(start, end]` when
 * given). The earliest difference (by bar, then by the order above) is where the two start to
 * disagree, and its kind says why when the cause is known: a missing bar, a different
 * forecast, a target or fill size that is the other rounded to a number of decimals
 * (rounding), the same size at another price (fill price), the same fill with another fee
 * (fee), the same holdings marked differently (mark price).
 */
import type pl from "nodejs-polars";
import { lowerBound } from "../frame/mod.ts";
import { formatTime } from "../sim/bar_schema.ts";
import { _floats, _timeMs } from "./_frame_io.ts";
import {
  compareFrames,
  DEFAULT_TOLERANCE,
  type FrameComparison,
  type FrameKey,
} from "./compare_frames.ts";

/** A portfolio to reconcile: per-bar metrics and (optionally) normalized per-asset positions. */
export interface PortfolioFrames {
  /** How the report names it (`run`, `research (recomputed)`, `backtest out/bt`). */
  label: string;
  /** Per-bar metrics (timestamp, pnl, ...), sorted. */
  metrics: pl.DataFrame;
  /** Per-asset positions (`POSITION_FRAME_COLUMNS`), sorted; undefined when not logged. */
  positions: pl.DataFrame | undefined;
}

/** The names of the checks, in causal order. */
export const RECONCILE_CHECKS = [
  "forecasts",
  "targets",
  "fills",
  "trades",
  "holdings",
  "portfolio",
] as const;

/** One check's name. */
export type ReconcileCheckName = typeof RECONCILE_CHECKS[number];

const _CHECK_COLUMNS: Record<ReconcileCheckName, readonly string[]> = {
  forecasts: ["prediction"],
  targets: ["target_holdings_shares", "target_holdings_notional"],
  fills: ["fill_shares", "fill_price", "fill_fees"],
  trades: ["executed_trades_shares", "executed_trades_notional"],
  holdings: ["holdings_shares", "holdings_notional"],
  portfolio: ["pnl", "gross_volume", "net_volume", "gmv", "nmv", "fees", "cash", "net_wealth"],
};

/** One check's result. */
export interface ReconcileCheck {
  /** Which check. */
  name: ReconcileCheckName;
  /** The comparison, or null when a side lacks the check's columns. */
  comparison: FrameComparison | null;
  /** Why the check was skipped (null when it ran). */
  skipped: string | null;
}

/** The earliest difference of a reconciliation and its cause. */
export interface ReconcileFirstDifference {
  /** The check where it shows. */
  check: ReconcileCheckName;
  /** Where. */
  key: FrameKey;
  /** Column (null: a missing row). */
  column: string | null;
  /** Value in the first portfolio (null = NaN or missing). */
  a: number | null;
  /** Value in the second portfolio. */
  b: number | null;
  /** `missing bar`, `forecast`, `rounding`, `fill size`, `fill price`, `fee`, `target`, `holdings`, `mark price` or `unknown`. */
  kind: string;
  /** A sentence saying what differs and why. */
  cause: string;
}

/** The result of `reconcilePortfolios`. */
export interface Reconciliation {
  /** The first portfolio's label. */
  a: string;
  /** The second portfolio's label. */
  b: string;
  /** First and last compared bar (inclusive), null when the portfolios share no bar. */
  range: { first: number; last: number } | null;
  /** Bars of the first portfolio in the compared range. */
  bars: number;
  /** The tolerance used (relative to each column's magnitude). */
  tolerance: number;
  /** The checks, in causal order. */
  checks: ReconcileCheck[];
  /** Σ differences over the checks. */
  differences: number;
  /** The earliest difference with its cause, or null at parity. */
  first: ReconcileFirstDifference | null;
  /** The largest difference of each differing column, largest (relative) first. */
  largest: {
    check: ReconcileCheckName;
    column: string;
    key: FrameKey;
    a: number | null;
    b: number | null;
    absDiff: number | null;
    relDiff: number | null;
  }[];
}

/** Options of `reconcilePortfolios`. */
export interface ReconcileOptions {
  /** Relative tolerance of a difference. Default: `DEFAULT_TOLERANCE` (1e-9). */
  tolerance?: number | undefined;
  /** Compare bars ending after this time. Default: the later of the two first bars, inclusive. */
  start?: number | undefined;
  /** ... and at or before this time. Default: the earlier of the two last bars. */
  end?: number | undefined;
  /** Checks not to run, with the reason shown in their place. Default: none. */
  skip?: Partial<Record<ReconcileCheckName, string>> | undefined;
}

/** Reconciles `a` with `b` (see the module documentation). */
export function reconcilePortfolios(
  a: PortfolioFrames,
  b: PortfolioFrames,
  options: ReconcileOptions = {},
): Reconciliation {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const ta = _timeMs(a.metrics, "timestamp", `Cannot reconcile ${a.label}`);
  const tb = _timeMs(b.metrics, "timestamp", `Cannot reconcile ${b.label}`);
  const base: Reconciliation = {
    a: a.label,
    b: b.label,
    range: null,
    bars: 0,
    tolerance,
    checks: [],
    differences: 0,
    first: null,
    largest: [],
  };
  if (ta.length === 0 || tb.length === 0) return base;
  const first = Math.max(ta[0] as number, tb[0] as number, _after(options.start));
  const last = Math.min(
    ta[ta.length - 1] as number,
    tb[tb.length - 1] as number,
    options.end ?? Infinity,
  );
  if (!(first <= last)) return base;
  const range = { start: first - 1, end: last };
  let bars = 0;
  for (const t of ta) if (t >= first && t <= last) bars++;

  const checks: ReconcileCheck[] = RECONCILE_CHECKS.map((name) => {
    const skipReason = options.skip?.[name];
    if (skipReason !== undefined) return { name, comparison: null, skipped: skipReason };
    const columns = _CHECK_COLUMNS[name];
    const [fa, fb] = name === "portfolio" ? [a.metrics, b.metrics] : [a.positions, b.positions];
    if (fa === undefined || fb === undefined) {
      return {
        name,
        comparison: null,
        skipped: `${fa === undefined ? a.label : b.label} has no per-asset positions`,
      };
    }
    const common = columns.filter((c) => fa.columns.includes(c) && fb.columns.includes(c));
    if (common.length === 0) {
      const inA = columns.some((c) => fa.columns.includes(c));
      const inB = columns.some((c) => fb.columns.includes(c));
      const who = !inA && !inB
        ? `neither ${a.label} nor ${b.label} has`
        : `${inA ? b.label : a.label} has no`;
      return { name, comparison: null, skipped: `${who} ${columns.join(", ")}` };
    }
    const keys = name === "portfolio"
      ? ["timestamp" as const]
      : ["timestamp" as const, "asset_id" as const];
    const comparison = compareFrames(fa, fb, {
      keys,
      columns: common,
      tolerance,
      ...range,
      missingAsZero: name !== "portfolio",
    });
    return { name, comparison, skipped: null };
  });

  let earliest: { check: ReconcileCheck; index: number } | undefined;
  checks.forEach((check, index) => {
    const f = check.comparison?.first;
    if (f === undefined || f === null) return;
    const current = earliest?.check.comparison?.first;
    if (
      current === undefined || current === null ||
      f.key.timestamp < current.key.timestamp
    ) earliest = { check, index };
  });

  const largest: Reconciliation["largest"] = [];
  for (const check of checks) {
    for (const column of check.comparison?.columns ?? []) {
      if (column.differing === 0 || column.largest === null) continue;
      const { key, a: x, b: y } = column.largest;
      largest.push({
        check: check.name,
        column: column.column,
        key,
        a: x,
        b: y,
        absDiff: x === null || y === null ? null : Math.abs(x - y),
        relDiff: x === null || y === null ? null : column.maxScaledDiff,
      });
    }
  }
  largest.sort((p, q) => (q.relDiff ?? Infinity) - (p.relDiff ?? Infinity));

  return {
    ...base,
    range: { first, last },
    bars,
    checks,
    differences: checks.reduce((s, c) => s + (c.comparison?.differences ?? 0), 0),
    first: earliest === undefined ? null : _explain(earliest.check, a, b),
    largest,
  };
}

/** The earliest difference of `check`, with its cause. */
function _explain(
  check: ReconcileCheck,
  a: PortfolioFrames,
  b: PortfolioFrames,
): ReconcileFirstDifference {
  const f = check.comparison?.first;
  if (f === undefined || f === null) throw new Error("unreachable: no difference to explain");
  const where = `${formatTime(f.key.timestamp)}${
    f.key.asset_id === undefined ? "" : ` asset ${f.key.asset_id}`
  }`;
  const out = (kind: string, cause: string): ReconcileFirstDifference => ({
    check: check.name,
    key: f.key,
    column: f.column,
    a: f.a,
    b: f.b,
    kind,
    cause,
  });
  if (f.column === null) {
    const lacking = f.missingIn === "a" ? a.label : b.label;
    return check.name === "portfolio"
      ? out("missing bar", `bar ${where} is missing in ${lacking}`)
      : out("missing bar", `${check.name} row ${where} is missing in ${lacking}`);
  }
  const frames = check.name === "portfolio" ? [a.metrics, b.metrics] : [a.positions, b.positions];
  const at = (
    column: string,
  ): [number, number] => [_valueAt(frames[0], f.key, column), _valueAt(frames[1], f.key, column)];
  const same = (column: string): boolean => {
    const [x, y] = at(column);
    return x === y || (Number.isNaN(x) && Number.isNaN(y)) ||
      Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
  };
  const vs = (column: string) => {
    const [x, y] = at(column);
    return `${column} ${_num(x)} (${a.label}) vs ${_num(y)} (${b.label})`;
  };
  const rounding = (column: string): string | undefined => {
    const [x, y] = at(column);
    const d = roundingDecimals(x, y);
    return d === undefined
      ? undefined
      : `${vs(column)}: one is the other rounded to ${d} decimals (share precision)`;
  };
  switch (check.name) {
    case "forecasts":
      return out(
        "forecast",
        `at ${where}: ${vs("prediction")}; the model saw different inputs (bars, warm-up) or ` +
          `has a different state`,
      );
    case "targets": {
      const r = rounding(f.column);
      if (r !== undefined) return out("rounding", `target at ${where}: ${r}`);
      return out(
        "target",
        `target at ${where}: ${vs(f.column)} with the same forecast; the sizing inputs differ ` +
          `(decision price, volatility, net wealth, holdings) or the settings do`,
      );
    }
    case "fills":
    case "trades": {
      const shares = check.name === "fills" ? "fill_shares" : "executed_trades_shares";
      const notional = check.name === "fills" ? "fill_price" : "executed_trades_notional";
      const what = check.name === "fills" ? "fill" : "trade";
      if (!same(shares)) {
        const r = rounding(shares);
        if (r !== undefined) return out("rounding", `${what} at ${where}: ${r}`);
        return out("fill size", `${what} at ${where}: ${vs(shares)}`);
      }
      if (!same(notional)) {
        return out(
          "fill price",
          `${what} at ${where}: same size, ${vs(notional)}; the fill convention or the bar ` +
            `it fills on differ`,
        );
      }
      if (check.name === "fills" && !same("fill_fees")) {
        return out("fee", `fill at ${where}: same size and price, ${vs("fill_fees")}`);
      }
      return out("unknown", `${what} at ${where}: ${vs(f.column)}`);
    }
    case "holdings": {
      const r = rounding(f.column);
      if (r !== undefined) return out("rounding", `holdings at ${where}: ${r}`);
      if (f.column === "holdings_notional" && same("holdings_shares")) {
        return out(
          "mark price",
          `holdings at ${where}: same shares, ${vs(f.column)}; the mark (close) differs`,
        );
      }
      return out(
        "holdings",
        `holdings at ${where}: ${vs(f.column)} without a differing trade before; the starting ` +
          `positions differ`,
      );
    }
    case "portfolio":
      if (f.column === "fees" || (f.column === "cash" && !same("fees"))) {
        return out("fee", `bar ${where}: ${vs("fees")}`);
      }
      if (f.column === "gross_volume" || f.column === "net_volume") {
        return out("fill price", `bar ${where}: ${vs(f.column)}; the traded notional differs`);
      }
      return out(
        a.positions !== undefined && b.positions !== undefined ? "mark price" : "unknown",
        `bar ${where}: ${vs(f.column)}${
          a.positions !== undefined && b.positions !== undefined
            ? "; holdings and trades agree, so the marks (closes) or the cash differ"
            : ""
        }`,
      );
  }
}

/**
 * The number of decimals d (0..12) such that one of `x`, `y` is the other rounded to d
 * decimals (x ≠ y), or undefined.
 */
export function roundingDecimals(x: number, y: number): number | undefined {
  if (!Number.isFinite(x) || !Number.isFinite(y) || x === y) return undefined;
  for (let d = 0; d <= 12; d++) {
    const f = 10 ** d;
    const close = (p: number, q: number) =>
      Math.abs(Math.round(p * f) / f - q) <= 1e-12 * Math.max(1, Math.abs(q));
    if (close(x, y) || close(y, x)) return d;
  }
  return undefined;
}

function _valueAt(df: pl.DataFrame | undefined, key: FrameKey, column: string): number {
  if (df === undefined || !df.columns.includes(column)) return NaN;
  const ts = _timeMs(df, "timestamp", "reconcile");
  const ids = key.asset_id === undefined ? undefined : _floats(df, "asset_id", "reconcile");
  // Sorted by keys: binary search on time, then scan the bar's assets.
  for (let i = lowerBound(ts, key.timestamp); i < ts.length && ts[i] === key.timestamp; i++) {
    if (ids === undefined || ids[i] === key.asset_id) {
      return _floats(df.slice(i, 1), column, "reconcile")[0] as number;
    }
  }
  return NaN;
}

function _after(start: number | undefined): number {
  // `(start, end]` on bar ends: the first compared bar is after `start`.
  return start === undefined ? -Infinity : start + 1;
}

function _num(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}
