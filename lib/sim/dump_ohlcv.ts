/**
 * `dumpOhlcv`: downloads bars through a `CcxtOhlcvFetcher` into a snapshot file or a store
 * directory (issue 6). A snapshot is written once, at the end, atomically (data then meta,
 * with the requested range and the gaps). A store is dumped incrementally: `planStoreDump`
 * says which (symbol, month) partitions are missing or partial, only those ranges are
 * fetched, and each month is written (atomically, merged into its partition) as soon as the
 * pages have gone past its end, so a dump killed half-way and run again fetches only the
 * months it had not written.
 */
import pl from "nodejs-polars";
import { UsageError } from "../errors/mod.ts";
import type { Clock } from "./clock.ts";
import { formatTime } from "./bar_schema.ts";
import { assetIdOf } from "./asset_id.ts";
import { type BarGap, gapReport } from "./gap_report.ts";
import { snapshotFormatOf, type SnapshotMeta, type TimeRange, writeSnapshot } from "./snapshot.ts";
import { readStore, writeStore } from "./store.ts";
import { type CcxtOhlcvFetcher, type OhlcvPage } from "./ccxt_ohlcv_fetcher.ts";
import { ohlcvToBars, type ReceivedCandles } from "./ohlcv_to_bars.ts";
import { type DumpWindow, type MonthPlan, planStoreDump } from "./store_dump_plan.ts";
import { _canonicalBars } from "./_bars_frame.ts";

/** Progress of a dump, reported after each page. */
export interface DumpProgress {
  /** Pages fetched so far. */
  pages: number;
  /** Pages the plan expects (a lower bound when the exchange returns fewer candles than asked). */
  expectedPages: number;
  /** Bars received so far (in the requested windows). */
  bars: number;
  /** The ccxt symbol of the last page. */
  symbol: string;
}

/** Options of `dumpOhlcv`. */
export interface DumpOhlcvOptions {
  /** Snapshot file (`.parquet`, `.csv`, `.csv.gz`) or store directory. Required. */
  dst: string;
  /** Symbols (`BTC/USDT`, `BTC_USDT`, `binance::BTC_USDT`). Required, not empty. */
  symbols: readonly string[];
  /** Bar ENDs to dump, `(start, end]` epoch ms. Required. */
  range: TimeRange;
  /** Clock of the snapshot's `created_at`. Required. */
  clock: Clock;
  /**
   * `knowledge_timestamp = timestamp + knowledgeDelayMs` instead of the receipt time (see
   * `ohlcvToBars`). Default: undefined (receipt time).
   */
  knowledgeDelayMs?: number | undefined;
  /** The snapshot meta's `source`. Default: `ccxt <exchange id>`. */
  source?: string | undefined;
  /** Called after each page. Default: none. */
  onProgress?: ((progress: DumpProgress) => void) | undefined;
}

/** What `dumpOhlcv` did. */
export interface DumpOhlcvResult {
  /** Whether `dst` was a snapshot file or a store directory. */
  kind: "snapshot" | "store";
  /** Full symbols dumped, in request order. */
  fullSymbols: string[];
  /** The destination's bars over the requested range and symbols after the dump. */
  bars: pl.DataFrame;
  /** Pages fetched. */
  pages: number;
  /** Requests made, retries and market loading included. */
  requests: number;
  /** Retries made. */
  retries: number;
  /** Closed bars received (before merging into the store). */
  fetchedBars: number;
  /** Candles dropped because their bar had not closed when received. */
  unclosed: number;
  /** Store only: the (symbol, month) plan. Snapshot: empty. */
  months: MonthPlan[];
  /** Store only: partition files written. */
  partitionsWritten: number;
  /** Missing bars over the requested range, per symbol. */
  gaps: BarGap[];
  /** Snapshot only: the meta written. */
  meta?: SnapshotMeta;
}

/**
 * Dumps the bars of `options.symbols` over `options.range` from the fetcher's exchange into
 * `options.dst` (see the module doc). Errors: `UsageError` for an empty range or no symbols;
 * the fetcher's errors (unknown symbol, unsupported timeframe, retries exhausted);
 * `DataError` for invalid candles or a store of another timeframe.
 */
export async function dumpOhlcv(
  fetcher: CcxtOhlcvFetcher,
  options: DumpOhlcvOptions,
): Promise<DumpOhlcvResult> {
  const { range, dst } = options;
  if (!(range.end > range.start)) {
    throw new UsageError(
      `The end ${formatTime(range.end)} is not after the start ${formatTime(range.start)}`,
    );
  }
  const symbols = await fetcher.prepare(options.symbols);
  const fullSymbols = symbols.map((s) => fetcher.fullSymbolOf(s));
  const ccxtOf = new Map(fullSymbols.map((fs, i) => [fs, symbols[i] as string]));
  const barMs = fetcher.barMs;
  const isSnapshot = snapshotFormatOf(dst) !== undefined;
  const plan = isSnapshot
    ? {
      months: [],
      windows: fullSymbols.map((fullSymbol) => ({ fullSymbol, ...range })),
    }
    : await planStoreDump(dst, { fullSymbols, range, barMs });
  const state = {
    pages: 0,
    expectedPages: plan.windows.reduce((s, w) => s + fetcher.expectedPages(w), 0),
    bars: 0,
    unclosed: 0,
    partitions: 0,
  };
  const toBars = (batches: ReceivedCandles[], fullSymbol: string) => {
    const out = ohlcvToBars(batches, {
      fullSymbol,
      barMs,
      knowledgeDelayMs: options.knowledgeDelayMs,
      source: `ccxt ${fetcher.exchange.id} ${ccxtOf.get(fullSymbol)}`,
    });
    state.bars += out.bars.height;
    state.unclosed += out.unclosed;
    return out.bars;
  };
  const frames: pl.DataFrame[] = [];
  for (const window of plan.windows) {
    const symbol = ccxtOf.get(window.fullSymbol) as string;
    const pending: ReceivedCandles[] = [];
    for await (const page of fetcher.pages(symbol, window)) {
      state.pages++;
      pending.push(page);
      options.onProgress?.({
        pages: state.pages,
        expectedPages: Math.max(state.expectedPages, state.pages),
        bars: state.bars + pending.reduce((s, p) => s + p.candles.length, 0),
        symbol,
      });
      if (isSnapshot) continue;
      const boundary = _finalBoundary(page, barMs);
      if (boundary !== undefined) {
        state.partitions += await _flush(pending, boundary, window, dst, fetcher, toBars);
      }
    }
    if (isSnapshot) frames.push(toBars(pending, window.fullSymbol));
    else state.partitions += await _flush(pending, Infinity, window, dst, fetcher, toBars);
  }
  const common = {
    fullSymbols,
    pages: state.pages,
    requests: fetcher.requests,
    retries: fetcher.retries,
    fetchedBars: state.bars,
    unclosed: state.unclosed,
  };
  if (isSnapshot) {
    const bars = _canonicalBars(
      frames.length === 1 ? frames[0] as pl.DataFrame : pl.concat(frames),
    );
    const meta = await writeSnapshot(bars, dst, {
      createdAt: options.clock.now(),
      timeframe: fetcher.timeframe,
      exchange: fetcher.exchange.id,
      symbols: fullSymbols,
      requested: range,
      source: options.source ?? `ccxt ${fetcher.exchange.id}`,
      ...(options.knowledgeDelayMs === undefined
        ? {}
        : { knowledgeDelayMs: options.knowledgeDelayMs }),
    });
    return {
      kind: "snapshot",
      ...common,
      bars,
      months: [],
      partitionsWritten: 0,
      gaps: meta.gaps,
      meta,
    };
  }
  const out = (await _exists(dst))
    ? await readStore(dst, {
      start: range.start,
      end: range.end,
      assetIds: fullSymbols.map(assetIdOf),
    })
    : _emptyBars();
  return {
    kind: "store",
    ...common,
    bars: out,
    months: plan.months,
    partitionsWritten: state.partitions,
    gaps: gapReport(out, {
      barMs,
      start: range.start,
      end: range.end,
      fullSymbols,
    }),
  };
}

/**
 * The first instant of the month of `lastEnd + barMs` (lastEnd = the END of the last candle of
 * the page): every bar ending before it has been received, since the next one ends at or
 * after `lastEnd + barMs`. Undefined when the page has no candle.
 */
function _finalBoundary(page: OhlcvPage, barMs: number): number | undefined {
  let maxOpen = -Infinity;
  for (const c of page.candles) if ((c[0] as number) > maxOpen) maxOpen = c[0] as number;
  if (maxOpen === -Infinity) return undefined;
  const next = new Date(maxOpen + 2 * barMs);
  return Date.UTC(next.getUTCFullYear(), next.getUTCMonth(), 1);
}

/**
 * Writes the pending candles whose bar ENDs before `boundary` into the store (removing them
 * from `pending`); returns the number of partition files written.
 */
async function _flush(
  pending: ReceivedCandles[],
  boundary: number,
  window: DumpWindow,
  dst: string,
  fetcher: CcxtOhlcvFetcher,
  toBars: (batches: ReceivedCandles[], fullSymbol: string) => pl.DataFrame,
): Promise<number> {
  const barMs = fetcher.barMs;
  const done: ReceivedCandles[] = [];
  const keep: ReceivedCandles[] = [];
  for (const batch of pending) {
    const before = batch.candles.filter((c) => (c[0] as number) + barMs < boundary);
    const after = batch.candles.filter((c) => (c[0] as number) + barMs >= boundary);
    if (before.length > 0) done.push({ candles: before, receivedAt: batch.receivedAt });
    if (after.length > 0) keep.push({ candles: after, receivedAt: batch.receivedAt });
  }
  pending.splice(0, pending.length, ...keep);
  if (done.length === 0) return 0;
  const bars = toBars(done, window.fullSymbol);
  if (bars.height === 0) return 0;
  const result = await writeStore(bars, dst, {
    timeframe: fetcher.timeframe,
    exchange: fetcher.exchange.id,
  });
  return result.partitions.length;
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function _emptyBars(): pl.DataFrame {
  const time = (name: string) => pl.Series(name, [], pl.Int64).cast(pl.Datetime("ms", "UTC"));
  return pl.DataFrame([
    time("timestamp"),
    time("start_timestamp"),
    pl.Series("asset_id", [], pl.Int64),
    pl.Series("full_symbol", [], pl.String),
    ...["open", "high", "low", "close", "volume"].map((c) => pl.Series(c, [], pl.Float64)),
    time("knowledge_timestamp"),
  ]);
}
