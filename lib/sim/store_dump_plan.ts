/**
 * Planning of an incremental dump into a bar store (issue 6): what is missing from the store
 * for a requested range, per (symbol, month partition), so that a repeated or extended dump
 * fetches only that, and a dump interrupted half-way resumes where it stopped.
 *
 * A month partition holds the bars whose END falls in the UTC month. For each symbol and each
 * month overlapping the requested `(start, end]`, the month's share of the range is
 * `(max(start, monthStart − 1ms), min(end, nextMonthStart − 1ms)]`; against it a partition is
 * - **missing** (no file, or no row in that share): the whole share is fetched;
 * - **partial**: it lacks bars before its first bar or after its last one: those edges are
 *   fetched (from its last bar END on, and up to its first bar's start);
 * - **complete**: nothing fetched. Holes between the first and last bar are exchange gaps: they
 *   are reported, not re-fetched (an interrupted dump never leaves holes, since a month is
 *   written only once fetched to its end).
 * Adjacent fetch windows of a symbol are merged into one `DumpWindow`, so pagination runs
 * through consecutive months without restarting.
 */
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { formatTimeframe, parseTimeframe } from "./bar_schema.ts";
import { assetIdOf } from "./asset_id.ts";
import { listStorePartitions, readStoreMeta, storePartitionPath } from "./store.ts";
import type { TimeRange } from "./snapshot.ts";
import { _messageOf, _readFileBytes } from "./_bars_frame.ts";

/** A range of bar ENDs `(start, end]` of one symbol to fetch. */
export interface DumpWindow extends TimeRange {
  /** Full symbol (`binance::BTC_USDT`). */
  fullSymbol: string;
}

/** The state of one (symbol, month) partition for the requested range. */
export interface MonthPlan {
  /** Full symbol. */
  fullSymbol: string;
  /** UTC year of the partition. */
  year: number;
  /** UTC month (1-12) of the partition. */
  month: number;
  /** The month's share of the requested range, bar ENDs `(start, end]`. */
  share: TimeRange;
  /** `complete` (skipped), `partial` (edges fetched) or `missing` (all fetched). */
  status: "complete" | "partial" | "missing";
  /** Rows the partition holds in its share before the dump. */
  rows: number;
}

/** What `planStoreDump` returns. */
export interface StoreDumpPlan {
  /** Every (symbol, month) of the requested range, by symbol (request order) then month. */
  months: MonthPlan[];
  /** What to fetch, by symbol (request order) then time; adjacent months merged. */
  windows: DumpWindow[];
}

/** Options of `planStoreDump`. */
export interface PlanStoreDumpOptions {
  /** Full symbols requested. Required. */
  fullSymbols: readonly string[];
  /** Requested range of bar ENDs `(start, end]`, epoch ms. Required. */
  range: TimeRange;
  /** The bar period, ms. Required. */
  barMs: number;
}

/**
 * Plans a dump into the store at `dir` (which may not exist yet: then everything is missing).
 * A store holding another timeframe is a `DataError` (dump into another directory).
 */
export async function planStoreDump(
  dir: string,
  options: PlanStoreDumpOptions,
): Promise<StoreDumpPlan> {
  const { barMs, range } = options;
  const meta = await _storeMetaIfAny(dir);
  if (meta !== undefined && parseTimeframe(meta.timeframe) !== barMs) {
    throw new DataError(
      `Cannot dump ${formatTimeframe(barMs)} bars into store ${dir}: it holds ${meta.timeframe} ` +
        `bars; use another store directory`,
    );
  }
  const existing = new Set(
    meta === undefined && !(await _isDir(dir))
      ? []
      : (await listStorePartitions(dir)).map((p) => `${p.assetId}/${p.year}/${p.month}`),
  );
  const months: MonthPlan[] = [];
  const windows: DumpWindow[] = [];
  for (const fullSymbol of options.fullSymbols) {
    const assetId = assetIdOf(fullSymbol);
    const pieces: TimeRange[] = [];
    for (const { year, month, share } of monthShares(range)) {
      const key = { assetId, year, month };
      const span = existing.has(`${assetId}/${year}/${month}`)
        ? await _partitionSpan(storePartitionPath(dir, key), share)
        : undefined;
      if (span === undefined) {
        months.push({ fullSymbol, year, month, share, status: "missing", rows: 0 });
        pieces.push(share);
        continue;
      }
      const before = span.first - barMs > share.start;
      const after = span.last + barMs <= share.end;
      if (before) pieces.push({ start: share.start, end: span.first - barMs });
      if (after) pieces.push({ start: span.last, end: share.end });
      months.push({
        fullSymbol,
        year,
        month,
        share,
        status: before || after ? "partial" : "complete",
        rows: span.rows,
      });
    }
    for (const p of pieces) {
      const last = windows[windows.length - 1];
      if (last !== undefined && last.fullSymbol === fullSymbol && last.end === p.start) {
        last.end = p.end;
      } else windows.push({ fullSymbol, start: p.start, end: p.end });
    }
  }
  return { months, windows };
}

/**
 * The UTC months overlapping bar ENDs `(start, end]`, each with its share of the range
 * (`(max(start, monthStart − 1), min(end, nextMonthStart − 1)]`, so that a bar ending exactly
 * at a month's first instant belongs to that month, as in the store).
 */
export function monthShares(range: TimeRange): { year: number; month: number; share: TimeRange }[] {
  const out: { year: number; month: number; share: TimeRange }[] = [];
  if (range.end <= range.start) return out;
  const first = new Date(range.start + 1);
  let y = first.getUTCFullYear();
  let m = first.getUTCMonth();
  for (;;) {
    const monthStart = Date.UTC(y, m, 1);
    if (monthStart > range.end) break;
    const next = Date.UTC(y, m + 1, 1);
    out.push({
      year: y,
      month: m + 1,
      share: { start: Math.max(range.start, monthStart - 1), end: Math.min(range.end, next - 1) },
    });
    m += 1;
    if (m === 12) [y, m] = [y + 1, 0];
  }
  return out;
}

/** First and last bar END of a partition inside `share`, and the rows there; undefined when none. */
async function _partitionSpan(
  path: string,
  share: TimeRange,
): Promise<{ first: number; last: number; rows: number } | undefined> {
  const bytes = await _readFileBytes(path, "store partition");
  let ts: Float64Array;
  try {
    const df = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      columns: ["timestamp"],
    });
    ts = df.getColumn("timestamp").cast(pl.Int64).cast(pl.Float64).toTypedArray() as Float64Array;
  } catch (error) {
    throw new DataError(
      `Cannot load store partition ${path}: not a readable bar partition (${_messageOf(error)}); ` +
        `delete it and dump again`,
      { cause: error },
    );
  }
  let first = Infinity;
  let last = -Infinity;
  let rows = 0;
  for (const t of ts) {
    if (t <= share.start || t > share.end) continue;
    rows++;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return rows === 0 ? undefined : { first, last, rows };
}

async function _storeMetaIfAny(dir: string) {
  return (await _isDir(dir)) ? await readStoreMeta(dir) : undefined;
}

async function _isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new DataError(`Cannot read store ${path}: ${_messageOf(error)}`, { cause: error });
  }
}
