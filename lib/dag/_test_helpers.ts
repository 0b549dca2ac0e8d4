/**
 * Private test helpers of lib/dag (imported only by `*_test.ts` files): synthetic bars built
 * from typed arrays, tiny causal nodes, a manual clock and a frame-backed `MarketData`.
 */
import pl from "nodejs-polars";
import { FuturePeekingError, TimeoutError } from "../errors/mod.ts";
import type { Clock } from "../sim/clock.ts";
import type { MarketData, MarketDataQueryOptions, WaitForDataOptions } from "../sim/market_data.ts";
import { upperBound } from "../frame/mod.ts";
import { _timestamps } from "./_frame_time.ts";
import { Dag, type DagOptions } from "./dag.ts";
import { FrameSourceNode } from "./frame_source_node.ts";
import type { JsonValue, NodeFrames } from "./node.ts";
import { TransformNode } from "./node.ts";

/** 5 minutes in ms. */
export const _BAR_MS = 300_000;
/** 2025-01-01T00:00Z. */
export const _T0 = Date.UTC(2025, 0, 1);

/** Options of `_makeBars`. */
export interface _MakeBarsOptions {
  /** Number of assets (ids 101, 102, ...). Default: 3. */
  assets?: number;
  /** Number of bars. Default: 300. */
  bars?: number;
  /** Seed of the random walk. Default: 1. */
  seed?: number;
}

/** Bars on the 5-minute grid ending at `_T0 + k·_BAR_MS`, k = 1..bars, a seeded random walk. */
export function _makeBars(options: _MakeBarsOptions = {}): pl.DataFrame {
  const nAssets = options.assets ?? 3;
  const nBars = options.bars ?? 300;
  let seed = options.seed ?? 1;
  const rand = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = nAssets * nBars;
  const ts = new Float64Array(n);
  const ids = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const last = Array.from({ length: nAssets }, (_, a) => 100 * (a + 1));
  for (let k = 0; k < nBars; k++) {
    for (let a = 0; a < nAssets; a++) {
      const i = k * nAssets + a;
      ts[i] = _T0 + (k + 1) * _BAR_MS;
      ids[i] = 101 + a;
      last[a] = (last[a] as number) * (1 + (rand() - 0.5) * 0.01);
      close[i] = last[a] as number;
      volume[i] = 1 + rand() * 10;
    }
  }
  const time = (name: string, values: Float64Array) =>
    pl.Series(name, values).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const start = ts.map((t) => t - _BAR_MS);
  return pl.DataFrame([
    time("timestamp", ts),
    pl.Series("asset_id", ids).cast(pl.Int64),
    pl.Series("close", close),
    pl.Series("volume", volume),
    time("start_timestamp", start),
  ]);
}

/** Per-asset sum of the last `window` values of `column` (null until `window` bars exist). */
export class _RollingSumNode extends TransformNode {
  /** Creates the node. */
  constructor(id: string, readonly column: string, readonly window: number, readonly out: string) {
    super(id);
  }
  /** Adds the rolling sum column. */
  override transform(df: pl.DataFrame): pl.DataFrame {
    let expr = pl.col(this.column);
    for (let k = 1; k < this.window; k++) expr = expr.add(pl.col(this.column).shift(k));
    return df.withColumns(expr.over("asset_id").alias(this.out));
  }
  /** Bars, the current one included, the output depends on. */
  lookbackBars(): number {
    return this.window;
  }
}

/** Per-asset one-bar return of `close` as `ret`. */
export class _ReturnsNode extends TransformNode {
  /** Adds `ret`. */
  override transform(df: pl.DataFrame): pl.DataFrame {
    return df.withColumns(
      pl.col("close").div(pl.col("close").shift(1)).sub(1).over("asset_id").alias("ret"),
    );
  }
}

/** Cross-sectional demean of `column` into `out`. */
export class _DemeanNode extends TransformNode {
  /** Creates the node. */
  constructor(id: string, readonly column: string, readonly out: string) {
    super(id);
  }
  /** Adds the demeaned column. */
  override transform(df: pl.DataFrame): pl.DataFrame {
    return df.withColumns(
      pl.col(this.column).sub(pl.col(this.column).mean().over("timestamp")).alias(this.out),
    );
  }
}

/** A node with fit state: `fit` learns the mean of `column`; both methods add `out = column − mean`. */
export class _CenterNode extends TransformNode {
  /** The learned mean (null before fit). */
  mean: number | null = null;
  /** Number of fits run. */
  fits = 0;
  /** Creates the node. */
  constructor(id: string, readonly column: string, readonly out: string) {
    super(id);
  }
  /** Learns the mean, then transforms. */
  override fit(inputs: NodeFrames): NodeFrames {
    const df = inputs["df_in"] as pl.DataFrame;
    const m = df.getColumn(this.column).dropNulls().mean();
    this.mean = Number.isFinite(m) ? m : 0;
    this.fits++;
    return { df_out: this.transform(df) };
  }
  /** Subtracts the learned mean. */
  override transform(df: pl.DataFrame): pl.DataFrame {
    if (this.mean === null) throw new Error(`node ${this.id} is not fitted`);
    return df.withColumns(pl.col(this.column).sub(pl.lit(this.mean)).alias(this.out));
  }
  /** `{mean}`. */
  override getFitState(): JsonValue {
    return this.mean === null ? null : { mean: this.mean };
  }
  /** Restores `{mean}`. */
  override setFitState(state: JsonValue): void {
    const mean = state !== null && typeof state === "object" && !Array.isArray(state)
      ? state["mean"]
      : undefined;
    if (typeof mean !== "number") throw new Error(`bad state ${JSON.stringify(state)}`);
    this.mean = mean;
  }
}

/** A clock moved by hand; `sleepUntil(t)` jumps to `t` (an event-driven replay). */
export class _ManualClock implements Clock {
  /** Creates the clock at `t`. */
  constructor(public t: number) {}
  /** The current time. */
  now(): number {
    return this.t;
  }
  /** Jumps to `t` (never backwards). */
  sleepUntil(t: number): Promise<void> {
    this.t = Math.max(this.t, t);
    return Promise.resolve();
  }
}

/** `MarketData` over a bars frame; a bar is known `delayMs` after its end. */
export class _FrameMarketData implements MarketData {
  readonly #df: pl.DataFrame;
  readonly #ts: Float64Array;
  readonly #ids: number[];
  /** Creates it over `df` (sorted by (timestamp, asset_id)). */
  constructor(
    df: pl.DataFrame,
    readonly clock: Clock,
    readonly barMs: number,
    readonly delayMs = 0,
  ) {
    this.#df = df;
    this.#ts = _timestamps(df);
    this.#ids = [...new Set(df.getColumn("asset_id").toArray() as number[])].sort((a, b) => a - b);
  }
  /** Asset ids. */
  assetIds(): readonly number[] {
    return this.#ids;
  }
  /** Synthetic symbols. */
  fullSymbols(): ReadonlyMap<number, string> {
    return new Map(this.#ids.map((id) => [id, `test::A${id}_USDT`]));
  }
  /** Bars in (start, end] known now. */
  getData(start: number, end: number, options: MarketDataQueryOptions = {}): pl.DataFrame {
    const now = this.clock.now();
    if (end > now) throw new FuturePeekingError(`getData end ${end} > now ${now}`);
    const lo = upperBound(this.#ts, start);
    const hi = Math.max(lo, upperBound(this.#ts, Math.min(end, now - this.delayMs)));
    const df = this.#df.slice(lo, hi - lo);
    return options.assetIds === undefined
      ? df
      : df.filter(pl.col("asset_id").isIn([...options.assetIds]));
  }
  /** The last `bars` bars. */
  getDataForLastBars(bars: number, options: MarketDataQueryOptions = {}): pl.DataFrame {
    const t = this.lastKnownBarEnd();
    if (t === undefined) return this.#df.head(0);
    return this.getData(t - bars * this.barMs, t, options);
  }
  /** The latest known bar end. */
  lastKnownBarEnd(): number | undefined {
    const hi = upperBound(this.#ts, this.clock.now() - this.delayMs);
    return hi === 0 ? undefined : this.#ts[hi - 1];
  }
  /** Waits on the clock until the bar is known. */
  async waitForLatestData(barEnd: number, options: WaitForDataOptions = {}): Promise<void> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 3 * this.barMs);
    while ((this.lastKnownBarEnd() ?? -Infinity) < barEnd) {
      if (this.clock.now() >= deadline) throw new TimeoutError(`bar ${barEnd} never came`);
      await this.clock.sleepUntil(Math.min(deadline, barEnd + this.delayMs), options.signal);
    }
  }
  /** Last close per asset. */
  lastPrice(end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    const df = this.getData(-Infinity, end, options);
    const out = new Map<number, number>();
    const ids = df.getColumn("asset_id").toArray() as number[];
    const close = df.getColumn("close").toArray() as number[];
    ids.forEach((id, i) => out.set(id, close[i] as number));
    return out;
  }
  /** Mean close per asset over (start, end] (the test bars have close only). */
  twapPrice(start: number, end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#mean(start, end, options, false);
  }
  /** Volume-weighted mean close per asset over (start, end]. */
  vwapPrice(start: number, end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#mean(start, end, options, true);
  }
  #mean(
    start: number,
    end: number,
    options: MarketDataQueryOptions,
    weighted: boolean,
  ): Map<number, number> {
    const df = this.getData(start, end, options);
    const ids = df.getColumn("asset_id").toArray() as number[];
    const close = df.getColumn("close").toArray() as number[];
    const vol = df.getColumn("volume").toArray() as number[];
    const sums = new Map<number, [number, number]>();
    ids.forEach((id, i) => {
      const w = weighted ? vol[i] as number : 1;
      const s = sums.get(id) ?? [0, 0];
      sums.set(id, [s[0] + w * (close[i] as number), s[1] + w]);
    });
    return new Map([...sums].map(([id, [num, den]]) => [id, num / den]));
  }
}

/**
 * The test model: src → ret (1-bar returns) → mom (4-bar sum of returns) → xs (cross-sectional
 * demean of mom into `mom_xs`) → center (fitted: `pred = mom − mean(mom)`). Lookback 5 bars.
 */
export function _testDag(options: DagOptions = {}): Dag {
  const dag = new Dag("test_model", options);
  dag.addNode(new FrameSourceNode("src"));
  dag.addNode(new _ReturnsNode("ret"));
  dag.addNode(new _RollingSumNode("mom", "ret", 4, "mom"));
  dag.addNode(new _DemeanNode("xs", "mom", "mom_xs"));
  dag.addNode(new _CenterNode("center", "mom", "pred"));
  dag.connect("src", "ret");
  dag.connect("ret", "mom");
  dag.connect("mom", "xs");
  dag.connect("xs", "center");
  return dag;
}

/** Lookback of `_testDag`, current bar included: 1 + (2 − 1) + (4 − 1). */
export const _TEST_DAG_LOOKBACK = 5;
