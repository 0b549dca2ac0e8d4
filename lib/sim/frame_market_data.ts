/**
 * `FrameMarketData`: the `MarketData` interface (DESIGN §5) over an in-memory bars frame
 * (DESIGN §3), gated by knowledge time on a clock. A row is known at `now` iff
 * `knowledge_timestamp + delayMs <= now`.
 *
 * The constructor indexes the frame once (typed arrays of bar end, knowledge time and asset,
 * per-asset row lists, block minima of knowledge times); queries binary-search the bar-end
 * array and answer with zero-copy slices of the frame, filtering only when some rows of the
 * window are not known yet or a subset of assets is asked.
 */
import pl from "nodejs-polars";
import {
  ConfigError,
  DagtradeError,
  DataError,
  FuturePeekingError,
  TimeoutError,
  UsageError,
} from "../errors/mod.ts";
import { ColumnFrame, lowerBound, upperBound } from "../frame/mod.ts";
import { formatTime } from "./bar_schema.ts";
import type { Clock } from "./clock.ts";
import type { MarketData, MarketDataQueryOptions, WaitForDataOptions } from "./market_data.ts";

/** Options of `FrameMarketData`. */
export interface FrameMarketDataOptions {
  /** The bar period in ms (e.g. `parseTimeframe("5m")`). Required, positive. */
  barMs: number;
  /** Extra availability delay added to every `knowledge_timestamp`, ms. Default: 0. */
  delayMs?: number;
}

/** Columns the frame must have (other columns, e.g. `start_timestamp`, are kept as they are). */
const _REQUIRED = [
  "timestamp",
  "asset_id",
  "full_symbol",
  "open",
  "high",
  "low",
  "close",
  "volume",
  "knowledge_timestamp",
] as const;

const _FLOAT_COLUMNS = ["open", "high", "low", "close", "volume"] as const;

/** log2 of the block size of the knowledge-time block minima. */
const _BLOCK_SHIFT = 8;
const _BLOCK = 1 << _BLOCK_SHIFT;

/** Price columns as typed arrays, built on the first price query. */
interface _Prices {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/**
 * Market data replayed from an in-memory bars frame on a clock. Rows become visible at
 * `knowledge_timestamp + delayMs`; asking for anything after `clock.now()` throws
 * `FuturePeekingError`. The frame is static: `waitForLatestData` sleeps on the clock straight to
 * the instant the bar becomes known (or to the timeout) instead of polling.
 */
export class FrameMarketData implements MarketData {
  /** The clock whose `now()` gates every answer. */
  readonly clock: Clock;
  /** The bar period in ms. */
  readonly barMs: number;
  /** The availability delay added to `knowledge_timestamp`, ms. */
  readonly delayMs: number;

  readonly #bars: pl.DataFrame;
  /** Bar end per row, epoch ms. */
  readonly #ts: Float64Array;
  /** `knowledge_timestamp + delayMs` per row, epoch ms: the row is known iff `<= now`. */
  readonly #knownAt: Float64Array;
  /** Minimum of `#knownAt` over each block of `_BLOCK` rows. */
  readonly #blockMin: Float64Array;
  /** Position of each row's asset in `#ids`. */
  readonly #assetIdx: Uint32Array;
  /** Served asset ids, ascending. */
  readonly #ids: readonly number[];
  readonly #idToIdx: Map<number, number>;
  readonly #symbols: ReadonlyMap<number, string>;
  /** Row numbers grouped by asset (asset `k` owns `[#groupStart[k], #groupStart[k+1])`), by time. */
  readonly #groupRows: Uint32Array;
  readonly #groupStart: Uint32Array;
  /** Minimum of `#knownAt[#groupRows[p]]` over each block of `_BLOCK` positions of `#groupRows`. */
  readonly #groupBlockMin: Float64Array;
  #prices: _Prices | undefined;
  #columns: ColumnFrame | undefined;

  /**
   * Indexes `bars` (bar contract of DESIGN §3; sorted by `(timestamp, asset_id)` here when it is
   * not). Throws `UsageError` for a bad `barMs`/`delayMs` and `DataError` for a frame that misses
   * columns, has nulls, duplicate `(timestamp, asset_id)` or `knowledge_timestamp < timestamp`.
   */
  constructor(bars: pl.DataFrame, clock: Clock, options: FrameMarketDataOptions) {
    const { barMs, delayMs = 0 } = options;
    if (!Number.isFinite(barMs) || barMs <= 0) {
      throw new UsageError(`FrameMarketData: barMs must be a positive number of ms, got ${barMs}`);
    }
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new UsageError(
        `FrameMarketData: delayMs must be a non-negative number of ms, got ${delayMs}`,
      );
    }
    this.clock = clock;
    this.barMs = barMs;
    this.delayMs = delayMs;

    const frame = _normalize(bars);
    let ts = _floats(frame, "timestamp");
    let ids = _floats(frame, "asset_id");
    let sorted = frame;
    if (!_isSorted(ts, ids)) {
      try {
        sorted = frame.sort(["timestamp", "asset_id"]).rechunk();
      } catch (error) {
        throw new DataError(`Cannot sort bars by (timestamp, asset_id): ${_msg(error)}`, {
          cause: error,
        });
      }
      ts = _floats(sorted, "timestamp");
      ids = _floats(sorted, "asset_id");
    }
    this.#bars = sorted;
    this.#ts = ts;
    const n = ts.length;
    const symbolColumn = sorted.getColumn("full_symbol");

    // Duplicates (the frame is sorted now: a duplicate is a neighbour).
    for (let i = 1; i < n; i++) {
      if (ts[i] === ts[i - 1] && ids[i] === ids[i - 1]) {
        throw new DataError(
          `Bars frame has duplicate rows for ${formatTime(ts[i] as number)} ${
            String(symbolColumn.get(i))
          } (asset_id ${ids[i]}): deduplicate the data before replaying it`,
        );
      }
    }

    // Knowledge times, shifted by the delay; checked against the bar end.
    const knownAt = _floats(sorted, "knowledge_timestamp");
    for (let i = 0; i < n; i++) {
      const k = knownAt[i] as number;
      if (k < (ts[i] as number)) {
        throw new DataError(
          `Bars frame row ${formatTime(ts[i] as number)} ${
            String(symbolColumn.get(i))
          }: knowledge_timestamp ${formatTime(k)} is before the bar end; ` +
            `a bar cannot be known before it closes (fix the data's knowledge_timestamp)`,
        );
      }
      knownAt[i] = k + delayMs;
    }
    this.#knownAt = knownAt;
    this.#blockMin = _blockMinima(knownAt, undefined);

    // Assets: ids ascending, per-row asset position, rows grouped by asset.
    const idSet = new Set<number>();
    for (let i = 0; i < n; i++) idSet.add(ids[i] as number);
    const assetIds = [...idSet].sort((a, b) => a - b);
    this.#ids = Object.freeze(assetIds);
    this.#idToIdx = new Map(assetIds.map((id, k) => [id, k]));
    const assetIdx = new Uint32Array(n);
    const counts = new Uint32Array(assetIds.length + 1);
    let lastId = Number.NaN;
    let lastIdx = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i] as number;
      if (id !== lastId) {
        lastId = id;
        lastIdx = this.#idToIdx.get(id) as number;
      }
      assetIdx[i] = lastIdx;
      counts[lastIdx + 1] = (counts[lastIdx + 1] as number) + 1;
    }
    this.#assetIdx = assetIdx;
    const groupStart = new Uint32Array(assetIds.length + 1);
    for (let k = 0; k < assetIds.length; k++) {
      groupStart[k + 1] = (groupStart[k] as number) + (counts[k + 1] as number);
    }
    const fill = groupStart.slice(0, assetIds.length);
    const groupRows = new Uint32Array(n);
    const symbols = new Map<number, string>();
    for (let i = 0; i < n; i++) {
      const k = assetIdx[i] as number;
      const p = fill[k] as number;
      if (p === groupStart[k]) symbols.set(assetIds[k] as number, String(symbolColumn.get(i)));
      groupRows[p] = i;
      fill[k] = p + 1;
    }
    this.#groupRows = groupRows;
    this.#groupStart = groupStart;
    this.#groupBlockMin = _blockMinima(knownAt, groupRows);
    this.#symbols = symbols;
  }

  /** Asset ids this source serves, ascending. */
  assetIds(): readonly number[] {
    return this.#ids;
  }

  /** `full_symbol` of each served asset id (from its first row). */
  fullSymbols(): ReadonlyMap<number, string> {
    return this.#symbols;
  }

  /**
   * Bars with `timestamp` in `(start, end]` known at `now()`, sorted by (timestamp, asset_id).
   * `end > now()` throws `FuturePeekingError`; `start > end` throws `UsageError`; an asset id
   * not served throws `ConfigError`.
   */
  getData(start: number, end: number, options: MarketDataQueryOptions = {}): pl.DataFrame {
    const now = this.#checkWindow("getData", start, end);
    const lo = upperBound(this.#ts, start);
    const hi = upperBound(this.#ts, end);
    return this.#select(lo, hi, this.#assetMask(options.assetIds), now);
  }

  /** `getData`'s rows as a JS column frame (views of one conversion of the whole frame when contiguous). */
  getColumns(start: number, end: number, options: MarketDataQueryOptions = {}): ColumnFrame {
    const now = this.#checkWindow("getColumns", start, end);
    const lo = upperBound(this.#ts, start);
    const hi = upperBound(this.#ts, end);
    this.#columns ??= ColumnFrame.fromPolars(this.#bars).materialize();
    const all = this.#columns;
    const rows = this.#knownRows(lo, hi, this.#assetMask(options.assetIds), now);
    if (rows.kept === 0) return all.slice(0, 0);
    if (rows.keep === undefined) return all.slice(rows.first, rows.kept);
    const picked = new Uint32Array(rows.kept);
    for (let i = 0, k = 0; i < rows.keep.length; i++) {
      if (rows.keep[i] === 1) picked[k++] = rows.first + i;
    }
    return all.gather(picked);
  }

  /**
   * Bars of the last `bars` bar periods known at `now()`: `getData(T - bars·barMs, T)` with T
   * the latest known bar end of any asset; an empty frame when nothing is known yet.
   */
  getDataForLastBars(bars: number, options: MarketDataQueryOptions = {}): pl.DataFrame {
    if (!Number.isInteger(bars) || bars <= 0) {
      throw new UsageError(`getDataForLastBars: bars must be a positive integer, got ${bars}`);
    }
    const last = this.lastKnownBarEnd();
    if (last === undefined) {
      this.#assetMask(options.assetIds);
      return this.#bars.slice(0, 0);
    }
    return this.getData(last - bars * this.barMs, last, options);
  }

  /** The end of the latest bar known at `now()` (any asset), or `undefined` when none is. */
  lastKnownBarEnd(): number | undefined {
    return this.#lastKnownBarEndAt(this.clock.now());
  }

  /**
   * Waits on the clock until the bar ending at `barEnd` is known. Gaps: an asset without a row
   * at `barEnd` in the frame is not waited for; the bar counts as known once every row the frame
   * has at `barEnd` is known and there is at least one. Returns at once when already known,
   * otherwise sleeps straight to the instant it becomes known (`pollMs` is validated but not
   * needed: the frame is static). Throws `TimeoutError` after `timeoutMs` (default 3 bars) of
   * clock time, `InterruptedError` when `signal` aborts.
   */
  async waitForLatestData(barEnd: number, options: WaitForDataOptions = {}): Promise<void> {
    const { timeoutMs = 3 * this.barMs, pollMs = Math.max(1, this.barMs / 10), signal } = options;
    if (!Number.isFinite(barEnd)) {
      throw new UsageError(`waitForLatestData: barEnd must be epoch ms, got ${barEnd}`);
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new UsageError(`waitForLatestData: timeoutMs must be >= 0 ms, got ${timeoutMs}`);
    }
    if (!Number.isFinite(pollMs) || pollMs <= 0) {
      throw new UsageError(`waitForLatestData: pollMs must be > 0 ms, got ${pollMs}`);
    }
    const lo = lowerBound(this.#ts, barEnd);
    const hi = upperBound(this.#ts, barEnd);
    let readyAt = Number.POSITIVE_INFINITY;
    if (hi > lo) {
      readyAt = Number.NEGATIVE_INFINITY;
      for (let i = lo; i < hi; i++) readyAt = Math.max(readyAt, this.#knownAt[i] as number);
    }
    const deadline = this.clock.now() + timeoutMs;
    // The frame is static: one sleep, to the bar's knowledge instant or to the deadline.
    const now = this.clock.now();
    if (readyAt <= now) return;
    if (now < deadline) {
      const target = Math.min(readyAt, deadline);
      await this.clock.sleepUntil(target, signal);
      const woke = this.clock.now();
      if (woke < target) {
        throw new DagtradeError(
          `waitForLatestData: the clock's sleepUntil(${formatTime(target)}) resolved at ` +
            `${formatTime(woke)}; a Clock must not wake before the requested time`,
        );
      }
      if (readyAt <= woke) return;
    }
    const known = this.#lastKnownBarEndAt(this.clock.now());
    const missing = hi > lo ? "" : `; the data has no bar ending at ${formatTime(barEnd)}`;
    throw new TimeoutError(
      `Timed out after ${_formatDuration(timeoutMs)} waiting for bar ${formatTime(barEnd)} ` +
        `(known up to ${known === undefined ? "nothing yet" : formatTime(known)}${missing}): ` +
        `the data is late or ends before this bar; check the data's range and the delay`,
    );
  }

  /**
   * Close of each asset's latest known bar with `timestamp <= end`; assets with no such bar are
   * absent. `end > now()` throws `FuturePeekingError`.
   */
  lastPrice(end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    const now = this.#checkWindow("lastPrice", Number.NEGATIVE_INFINITY, end);
    const mask = this.#assetMask(options.assetIds);
    const close = this.#priceArrays().close;
    const ts = this.#ts;
    const rows = this.#groupRows;
    const out = new Map<number, number>();
    for (let k = 0; k < this.#ids.length; k++) {
      if (mask !== undefined && mask[k] === 0) continue;
      const s = this.#groupStart[k] as number;
      // First position of the group whose bar ends after `end`.
      let a = s;
      let b = this.#groupStart[k + 1] as number;
      while (a < b) {
        const m = (a + b) >>> 1;
        if ((ts[rows[m] as number] as number) <= end) a = m + 1;
        else b = m;
      }
      const p = _lastKnown(this.#knownAt, rows, this.#groupBlockMin, s, a, now);
      if (p >= 0) out.set(this.#ids[k] as number, close[rows[p] as number] as number);
    }
    return out;
  }

  /**
   * Mean of `(open+high+low+close)/4` over each asset's known bars in `(start, end]`; assets with
   * no bar there are absent. `end > now()` throws `FuturePeekingError`.
   */
  twapPrice(start: number, end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#averagePrice("twapPrice", start, end, options, false);
  }

  /**
   * Volume-weighted mean of `(open+high+low+close)/4` over each asset's known bars in
   * `(start, end]` (the TWAP when the asset's volume there sums to 0); assets with no bar there
   * are absent. `end > now()` throws `FuturePeekingError`.
   */
  vwapPrice(start: number, end: number, options: MarketDataQueryOptions = {}): Map<number, number> {
    return this.#averagePrice("vwapPrice", start, end, options, true);
  }

  #averagePrice(
    what: string,
    start: number,
    end: number,
    options: MarketDataQueryOptions,
    weighted: boolean,
  ): Map<number, number> {
    const now = this.#checkWindow(what, start, end);
    const mask = this.#assetMask(options.assetIds);
    const { open, high, low, close, volume } = this.#priceArrays();
    const lo = upperBound(this.#ts, start);
    const hi = upperBound(this.#ts, end);
    const nAssets = this.#ids.length;
    const count = new Float64Array(nAssets);
    const sumTp = new Float64Array(nAssets);
    const sumTpV = new Float64Array(nAssets);
    const sumV = new Float64Array(nAssets);
    for (let i = lo; i < hi; i++) {
      if ((this.#knownAt[i] as number) > now) continue;
      const k = this.#assetIdx[i] as number;
      if (mask !== undefined && mask[k] === 0) continue;
      const tp = ((open[i] as number) + (high[i] as number) + (low[i] as number) +
        (close[i] as number)) / 4;
      const v = volume[i] as number;
      count[k] = (count[k] as number) + 1;
      sumTp[k] = (sumTp[k] as number) + tp;
      sumTpV[k] = (sumTpV[k] as number) + tp * v;
      sumV[k] = (sumV[k] as number) + v;
    }
    const out = new Map<number, number>();
    for (let k = 0; k < nAssets; k++) {
      const c = count[k] as number;
      if (c === 0) continue;
      const v = sumV[k] as number;
      const price = weighted && v > 0 ? (sumTpV[k] as number) / v : (sumTp[k] as number) / c;
      out.set(this.#ids[k] as number, price);
    }
    return out;
  }

  /** Validates a query window and returns `now`; `end > now` is future peeking. */
  #checkWindow(what: string, start: number, end: number): number {
    if (Number.isNaN(start) || start === Number.POSITIVE_INFINITY || !Number.isFinite(end)) {
      throw new UsageError(`${what}: start and end must be epoch ms, got ${start}, ${end}`);
    }
    if (start > end) {
      throw new UsageError(
        `${what}: start ${formatTime(start)} is after end ${formatTime(end)}; ` +
          `the window is (start, end]`,
      );
    }
    const now = this.clock.now();
    if (end > now) {
      throw new FuturePeekingError(
        `${what}: end ${formatTime(end)} is after the clock's now ${formatTime(now)}: ` +
          `asking for data past now is future peeking; query up to now at most`,
      );
    }
    return now;
  }

  /** Per-asset 0/1 selection for `ids`, or `undefined` when every asset is selected. */
  #assetMask(ids: readonly number[] | undefined): Uint8Array | undefined {
    if (ids === undefined) return undefined;
    const mask = new Uint8Array(this.#ids.length);
    let selected = 0;
    for (const id of ids) {
      const k = this.#idToIdx.get(id);
      if (k === undefined) {
        const served = this.#ids.length <= 20
          ? this.#ids.join(", ")
          : `${this.#ids.slice(0, 20).join(", ")}, ...`;
        throw new ConfigError(
          `Asset id ${id} is not in this market data (it serves ${this.#ids.length} assets: ` +
            `${served}); check the universe against the data`,
        );
      }
      if (mask[k] === 0) selected++;
      mask[k] = 1;
    }
    return selected === this.#ids.length ? undefined : mask;
  }

  /** The known rows of `[lo, hi)` of the selected assets, as a slice when they are contiguous. */
  #select(lo: number, hi: number, mask: Uint8Array | undefined, now: number): pl.DataFrame {
    const rows = this.#knownRows(lo, hi, mask, now);
    if (rows.kept === 0) return this.#bars.slice(0, 0);
    if (rows.keep === undefined) return this.#bars.slice(rows.first, rows.kept);
    // A 0/1 byte mask cast to Boolean builds faster than a Series from a JS boolean array.
    return this.#bars.slice(rows.first, rows.keep.length).filter(
      pl.Series("keep", rows.keep).cast(pl.Bool),
    );
  }

  /**
   * The known rows of `[lo, hi)` of the selected assets: `kept` rows from `first`, contiguous
   * when `keep` is undefined, else those marked 1 in `keep` (indexed from `first`).
   */
  #knownRows(
    lo: number,
    hi: number,
    mask: Uint8Array | undefined,
    now: number,
  ): { first: number; kept: number; keep: Uint8Array | undefined } {
    const knownAt = this.#knownAt;
    const assetIdx = this.#assetIdx;
    let first = -1;
    let last = -1;
    let kept = 0;
    for (let i = lo; i < hi; i++) {
      if (
        (knownAt[i] as number) <= now && (mask === undefined || mask[assetIdx[i] as number] === 1)
      ) {
        if (first < 0) first = i;
        last = i;
        kept++;
      }
    }
    if (kept === 0 || kept === last - first + 1) return { first, kept, keep: undefined };
    const keep = new Uint8Array(last - first + 1);
    for (let i = first; i <= last; i++) {
      if (
        (knownAt[i] as number) <= now && (mask === undefined || mask[assetIdx[i] as number] === 1)
      ) keep[i - first] = 1;
    }
    return { first, kept, keep };
  }

  #lastKnownBarEndAt(now: number): number | undefined {
    // A known row has knowledge >= bar end, so its bar ends at `now - delayMs` at the latest.
    const hi = upperBound(this.#ts, now - this.delayMs);
    const i = _lastKnown(this.#knownAt, undefined, this.#blockMin, 0, hi, now);
    return i < 0 ? undefined : this.#ts[i];
  }

  #priceArrays(): _Prices {
    if (this.#prices === undefined) {
      const f = (name: string) => _floats(this.#bars, name);
      this.#prices = {
        open: f("open"),
        high: f("high"),
        low: f("low"),
        close: f("close"),
        volume: f("volume"),
      };
    }
    return this.#prices;
  }
}

/** Checks columns and nulls, and casts to the contract's types when they differ. */
function _normalize(bars: pl.DataFrame): pl.DataFrame {
  const present = new Set(bars.columns);
  const missing = _REQUIRED.filter((c) => !present.has(c));
  if (missing.length > 0) {
    throw new DataError(
      `Bars frame lacks column(s) ${missing.join(", ")} (has ${bars.columns.join(", ")}); ` +
        `bars must follow the bar contract (DESIGN §3)`,
    );
  }
  try {
    const casts: pl.Expr[] = [];
    for (const name of ["timestamp", "knowledge_timestamp"]) {
      const dtype = bars.getColumn(name).dtype;
      if (dtype.variant !== "Datetime") {
        throw new DataError(
          `Bars frame column ${name} is ${String(dtype)}, expected Datetime("ms", "UTC")`,
        );
      }
      if (!dtype.equals(pl.Datetime("ms", "UTC"))) {
        casts.push(pl.col(name).cast(pl.Datetime("ms", "UTC")));
      }
    }
    if (!bars.getColumn("asset_id").dtype.equals(pl.Int64)) {
      casts.push(pl.col("asset_id").cast(pl.Int64, true));
    }
    for (const name of _FLOAT_COLUMNS) {
      if (!bars.getColumn(name).dtype.equals(pl.Float64)) {
        casts.push(pl.col(name).cast(pl.Float64, true));
      }
    }
    const frame = casts.length > 0 ? bars.withColumns(...casts) : bars;
    for (const name of _REQUIRED) {
      const nulls = frame.getColumn(name).nullCount();
      if (nulls > 0) {
        throw new DataError(
          `Bars frame column ${name} has ${nulls} null value(s); bars must be complete rows`,
        );
      }
    }
    return frame.nChunks() > 1 ? frame.rechunk() : frame;
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`Cannot read the bars frame: ${_msg(error)}`, { cause: error });
  }
}

/** A numeric column as a Float64Array. */
function _floats(frame: pl.DataFrame, name: string): Float64Array {
  try {
    return frame.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array;
  } catch (error) {
    throw new DataError(`Cannot read bars column ${name}: ${_msg(error)}`, { cause: error });
  }
}

/** Whether rows are in `(timestamp, asset_id)` order (ties allowed; duplicates checked later). */
function _isSorted(ts: Float64Array, ids: Float64Array): boolean {
  for (let i = 1; i < ts.length; i++) {
    const a = ts[i - 1] as number;
    const b = ts[i] as number;
    if (b < a || (b === a && (ids[i] as number) < (ids[i - 1] as number))) return false;
  }
  return true;
}

/** Minimum of `values[order[p]]` (or `values[p]`) over each block of `_BLOCK` positions. */
function _blockMinima(values: Float64Array, order: Uint32Array | undefined): Float64Array {
  const n = order === undefined ? values.length : order.length;
  const mins = new Float64Array(Math.ceil(n / _BLOCK)).fill(Number.POSITIVE_INFINITY);
  for (let p = 0; p < n; p++) {
    const v = values[order === undefined ? p : order[p] as number] as number;
    const b = p >>> _BLOCK_SHIFT;
    if (v < (mins[b] as number)) mins[b] = v;
  }
  return mins;
}

/**
 * The last position `p` in `[lo, hi)` whose row (`order[p]`, or `p`) has `knownAt <= now`, or
 * -1. Skips whole blocks whose minimum is after `now`, so a long unknown stretch costs little.
 */
function _lastKnown(
  knownAt: Float64Array,
  order: Uint32Array | undefined,
  blockMin: Float64Array,
  lo: number,
  hi: number,
  now: number,
): number {
  let p = hi - 1;
  while (p >= lo) {
    const blockStart = p - (p & (_BLOCK - 1));
    if (p === blockStart + _BLOCK - 1 && blockStart >= lo) {
      if ((blockMin[p >>> _BLOCK_SHIFT] as number) > now) {
        p = blockStart - 1;
        continue;
      }
    }
    const row = order === undefined ? p : order[p] as number;
    if ((knownAt[row] as number) <= now) return p;
    p--;
  }
  return -1;
}

function _formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function _msg(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
