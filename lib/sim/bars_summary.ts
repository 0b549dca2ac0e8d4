/**
 * A summary of a bar frame for people: per asset, its rows, first and last bar, and gaps;
 * overall, the range, the bar period and the knowledge delay seen.
 */
import pl from "nodejs-polars";
import { type BarGap, gapReport } from "./gap_report.ts";
import { inferBarMs } from "./validate_bars.ts";

/** One asset's line of a `BarsSummary`. */
export interface AssetSummary {
  /** `binance::BTC_USDT`. */
  fullSymbol: string;
  /** Its asset id. */
  assetId: number;
  /** Number of bars. */
  rows: number;
  /** END time of its first bar, epoch ms. */
  first: number;
  /** END time of its last bar, epoch ms. */
  last: number;
  /** Bars missing between its first and last bar. */
  missingBars: number;
}

/** What `summarizeBars` returns. */
export interface BarsSummary {
  /** Total rows. */
  rows: number;
  /** Bar period in ms, or undefined when it cannot be inferred (fewer than 2 bars per asset). */
  barMs: number | undefined;
  /** END time of the earliest bar, or undefined for no bars. */
  first: number | undefined;
  /** END time of the latest bar, or undefined for no bars. */
  last: number | undefined;
  /** Smallest and largest `knowledge_timestamp − timestamp`, ms. */
  knowledgeDelayMs: { min: number; max: number } | undefined;
  /** One entry per asset, sorted by full symbol. */
  assets: AssetSummary[];
  /** The gaps (runs of missing bars) inside each asset's range. */
  gaps: BarGap[];
}

/** Summarizes a bar-contract frame (DESIGN §3). `barMs` defaults to the inferred bar period. */
export function summarizeBars(bars: pl.DataFrame, options: { barMs?: number } = {}): BarsSummary {
  const barMs = options.barMs ?? inferBarMs(bars);
  if (bars.height === 0) {
    return {
      rows: 0,
      barMs,
      first: undefined,
      last: undefined,
      knowledgeDelayMs: undefined,
      assets: [],
      gaps: [],
    };
  }
  const ts = pl.col("timestamp").cast(pl.Float64);
  const per = bars.lazy().groupBy(["full_symbol", "asset_id"]).agg(
    pl.len().alias("rows"),
    ts.min().alias("first"),
    ts.max().alias("last"),
  ).sort("full_symbol").collectSync();
  const delay = bars.lazy().select(
    pl.col("knowledge_timestamp").cast(pl.Float64).sub(ts).alias("d"),
  ).select(pl.col("d").min().alias("min"), pl.col("d").max().alias("max")).collectSync();
  const gaps = barMs === undefined ? [] : gapReport(bars, { barMs });
  const missing = new Map<number, number>();
  for (const g of gaps) missing.set(g.assetId, (missing.get(g.assetId) ?? 0) + g.missingBars);
  const symbols = per.getColumn("full_symbol").toArray() as string[];
  const ids = per.getColumn("asset_id").cast(pl.Float64).toTypedArray() as Float64Array;
  const rows = per.getColumn("rows").cast(pl.Float64).toTypedArray() as Float64Array;
  const firsts = per.getColumn("first").toTypedArray() as Float64Array;
  const lasts = per.getColumn("last").toTypedArray() as Float64Array;
  const assets: AssetSummary[] = symbols.map((fullSymbol, i) => ({
    fullSymbol,
    assetId: ids[i] as number,
    rows: rows[i] as number,
    first: firsts[i] as number,
    last: lasts[i] as number,
    missingBars: missing.get(ids[i] as number) ?? 0,
  }));
  return {
    rows: bars.height,
    barMs,
    first: Math.min(...assets.map((a) => a.first)),
    last: Math.max(...assets.map((a) => a.last)),
    knowledgeDelayMs: {
      min: (delay.getColumn("min").toTypedArray() as Float64Array)[0] as number,
      max: (delay.getColumn("max").toTypedArray() as Float64Array)[0] as number,
    },
    assets,
    gaps,
  };
}
