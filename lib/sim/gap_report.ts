/**
 * Gap report of a bar frame (DESIGN §3: gaps are reported, not silently filled): for each
 * asset, the runs of missing bar ends on the bar grid, found with one Polars pass.
 */
import pl from "nodejs-polars";
import { assetIdOf } from "./asset_id.ts";
import { _cell, _int } from "./_bars_frame.ts";

/** One run of consecutive missing bars of one asset. Times are bar END epoch ms. */
export interface BarGap {
  /** The asset's full symbol (`binance::BTC_USDT`). */
  fullSymbol: string;
  /** The asset's id. */
  assetId: number;
  /** End time of the first missing bar. */
  from: number;
  /** End time of the last missing bar (`from` when one bar is missing). */
  to: number;
  /** Number of missing bars: `(to - from) / barMs + 1`. */
  missingBars: number;
}

/** Options of `gapReport`. */
export interface GapReportOptions {
  /** The bar period in ms. Required. */
  barMs: number;
  /**
   * Start of the requested range `(start, end]`: bars missing between it and an asset's first
   * bar are a gap too. Default: each asset's own first bar (no leading gap).
   */
  start?: number | undefined;
  /** End of the requested range: bars missing after an asset's last bar up to it are a gap. Default: none. */
  end?: number | undefined;
  /**
   * Full symbols expected in the frame; one with no bar at all is one gap over the whole
   * `(start, end]` (only when both are given). Default: only the assets present.
   */
  fullSymbols?: readonly string[] | undefined;
}

/**
 * The missing bars of each asset, as runs `{fullSymbol, assetId, from, to, missingBars}`,
 * sorted by full symbol then time. Inside an asset's range a gap is any step between
 * consecutive bar ends larger than `barMs`; `start`/`end` add the edges of a requested range.
 * Expects a frame on the grid (see `validateBars`); any row order is accepted.
 */
export function gapReport(df: pl.DataFrame, options: GapReportOptions): BarGap[] {
  const barMs = options.barMs;
  const gaps: BarGap[] = [];
  const present = new Set<string>();
  if (df.height > 0) {
    const ts = pl.col("timestamp").cast(pl.Int64);
    let lf = df.lazy().select(ts.alias("t"), pl.col("asset_id"), pl.col("full_symbol"));
    const unsorted = df.lazy()
      .select(ts.diff(1, "ignore").lt(0).fillNull(false).any().alias("unsorted"))
      .collectSync();
    if (_cell(unsorted, "unsorted") !== false) lf = lf.sort("t");
    const inner = lf
      .withColumns(pl.col("t").shift(1).over("asset_id").alias("prev"))
      .filter(pl.col("t").sub(pl.col("prev")).gt(_int(barMs)))
      .select(
        pl.col("full_symbol"),
        pl.col("asset_id"),
        pl.col("prev").add(_int(barMs)).cast(pl.Float64).alias("from"),
        pl.col("t").sub(_int(barMs)).cast(pl.Float64).alias("to"),
      )
      .collectSync();
    _append(gaps, inner, barMs);
    const edges = df.lazy()
      .groupBy("asset_id")
      .agg(
        pl.col("full_symbol").first(),
        ts.min().cast(pl.Float64).alias("first"),
        ts.max().cast(pl.Float64).alias("last"),
      )
      .collectSync();
    const ids = edges.getColumn("asset_id").toArray() as (number | bigint)[];
    const symbols = edges.getColumn("full_symbol").toArray() as string[];
    const firsts = edges.getColumn("first").toTypedArray() as Float64Array;
    const lasts = edges.getColumn("last").toTypedArray() as Float64Array;
    for (let i = 0; i < ids.length; i++) {
      const fullSymbol = symbols[i] as string;
      const assetId = Number(ids[i]);
      present.add(fullSymbol);
      const first = firsts[i] as number;
      const last = lasts[i] as number;
      if (options.start !== undefined) {
        const expected = _firstEndAfter(options.start, barMs);
        if (first > expected) _push(gaps, fullSymbol, assetId, expected, first - barMs, barMs);
      }
      if (options.end !== undefined) {
        const expected = _lastEndAtOrBefore(options.end, barMs);
        if (last < expected) _push(gaps, fullSymbol, assetId, last + barMs, expected, barMs);
      }
    }
  }
  if (options.fullSymbols && options.start !== undefined && options.end !== undefined) {
    const from = _firstEndAfter(options.start, barMs);
    const to = _lastEndAtOrBefore(options.end, barMs);
    for (const fs of options.fullSymbols) {
      if (!present.has(fs) && to >= from) _push(gaps, fs, assetIdOf(fs), from, to, barMs);
    }
  }
  return gaps.sort((a, b) =>
    a.fullSymbol < b.fullSymbol ? -1 : a.fullSymbol > b.fullSymbol ? 1 : a.from - b.from
  );
}

function _firstEndAfter(start: number, barMs: number): number {
  return Math.floor(start / barMs) * barMs + barMs;
}

function _lastEndAtOrBefore(end: number, barMs: number): number {
  return Math.floor(end / barMs) * barMs;
}

function _push(
  gaps: BarGap[],
  fullSymbol: string,
  assetId: number,
  from: number,
  to: number,
  barMs: number,
): void {
  gaps.push({ fullSymbol, assetId, from, to, missingBars: Math.floor((to - from) / barMs) + 1 });
}

function _append(gaps: BarGap[], frame: pl.DataFrame, barMs: number): void {
  const symbols = frame.getColumn("full_symbol").toArray() as string[];
  const ids = frame.getColumn("asset_id").toArray() as (number | bigint)[];
  const froms = frame.getColumn("from").toTypedArray() as Float64Array;
  const tos = frame.getColumn("to").toTypedArray() as Float64Array;
  for (let i = 0; i < frame.height; i++) {
    _push(gaps, symbols[i] as string, Number(ids[i]), froms[i] as number, tos[i] as number, barMs);
  }
}
