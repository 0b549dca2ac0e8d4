/**
 * Private test helpers of the market-data files: small deterministic bar frames and a way to
 * corrupt one cell. Used only by the `_test.ts` files beside it.
 */
import pl from "nodejs-polars";
import { BAR_COLUMNS } from "./bar_schema.ts";
import { assetIdOf } from "./asset_id.ts";

/** Options of `_makeBars`. */
export interface _MakeBarsOptions {
  /** Full symbols. Default: `binance::BTC_USDT`, `binance::ETH_USDT`. */
  symbols?: readonly string[];
  /** End of the first bar, epoch ms. Default: 2025-01-03T10:05Z. */
  firstEnd?: number;
  /** Bars per symbol. Default: 4. */
  bars?: number;
  /** Bar period, ms. Default: 5 minutes. */
  barMs?: number;
  /** knowledge_timestamp - timestamp, ms. Default: 0. */
  delayMs?: number;
}

/** A valid bar frame sorted by (timestamp, asset_id), prices varying by bar and asset. */
export function _makeBars(options: _MakeBarsOptions = {}): pl.DataFrame {
  const symbols = [...(options.symbols ?? ["binance::BTC_USDT", "binance::ETH_USDT"])]
    .sort((a, b) => assetIdOf(a) - assetIdOf(b));
  const n = options.bars ?? 4;
  const barMs = options.barMs ?? 300_000;
  const firstEnd = options.firstEnd ?? Date.UTC(2025, 0, 3, 10, 5);
  const delay = options.delayMs ?? 0;
  const rows = n * symbols.length;
  const ts = new Float64Array(rows);
  const ids: number[] = [];
  const names: string[] = [];
  const [open, high, low, close, volume] = [0, 0, 0, 0, 0].map(() => new Float64Array(rows)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  let r = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < symbols.length; k++) {
      const fs = symbols[k] as string;
      const base = 100 + 10 * k + 0.5 * i;
      ts[r] = firstEnd + i * barMs;
      ids.push(assetIdOf(fs));
      names.push(fs);
      open[r] = base;
      close[r] = base + (i % 2 === 0 ? 0.25 : -0.25);
      high[r] = Math.max(open[r] as number, close[r] as number) + 1;
      low[r] = Math.min(open[r] as number, close[r] as number) - 1;
      volume[r] = 10 + i + 0.125 * k;
      r++;
    }
  }
  const time = (name: string, values: Float64Array) =>
    pl.Series(name, values).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  return pl.DataFrame([
    time("timestamp", ts),
    time("start_timestamp", ts.map((t) => t - barMs)),
    pl.Series("asset_id", ids, pl.Int64),
    pl.Series("full_symbol", names, pl.String),
    pl.Series("open", open),
    pl.Series("high", high),
    pl.Series("low", low),
    pl.Series("close", close),
    pl.Series("volume", volume),
    time("knowledge_timestamp", ts.map((t) => t + delay)),
  ]).select(...BAR_COLUMNS);
}

/** The frame with `column` of row `row` replaced by `value` (epoch ms for time columns). */
export function _setCell(
  df: pl.DataFrame,
  at: { row: number; column: string; value: number | string | null },
): pl.DataFrame {
  const dtype = df.getColumn(at.column).dtype;
  const isTime = dtype.variant === "Datetime";
  const value = at.value === null
    ? pl.lit(null).cast(dtype)
    : isTime
    ? pl.lit(at.value).cast(pl.Int64).cast(dtype)
    : pl.lit(at.value).cast(dtype);
  return df.withRowIndex("_i").withColumns(
    pl.when(pl.col("_i").eq(at.row)).then(value).otherwise(pl.col(at.column)).alias(at.column),
  ).drop("_i");
}
