/** Test helper: a minimal system log directory (DESIGN §9 layout) with hand-made values. */
import { join } from "node:path";
import pl from "nodejs-polars";

/** Bar period of the helper's runs. */
export const _M5 = 300_000;
/** First bar end of the helper's runs. */
export const _T0 = Date.UTC(2025, 0, 6, 0, 5);

function _ts(ms: number[]): pl.Series {
  return pl.Series("timestamp", ms).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}

/**
 * Writes a 4-bar, 2-asset (ids 1, 2) system log into `dir`: statistics, holdings (long) and
 * holdings_notional (wide), target positions, fills of asset 1 at bar 2 (two fills, one stamped
 * 10 s after the bar end as a `close` fill) and of asset 2 at bar 3 (stamped at the bar end),
 * run.json and system_config.output.json.
 */
export async function _writeSystemLog(
  dir: string,
  run: Record<string, unknown> = {},
): Promise<void> {
  const bars = [0, 1, 2, 3].map((k) => _T0 + k * _M5);
  const pf = join(dir, "process_forecasts");
  await Deno.mkdir(join(pf, "portfolio"), { recursive: true });
  await Deno.writeTextFile(join(dir, "run.json"), JSON.stringify({ mode: "simulate", ...run }));
  await Deno.writeTextFile(
    join(dir, "system_config.output.json"),
    JSON.stringify({ process_forecasts: { style: "signal", sizing: "equity", fill: "close" } }),
  );
  await Deno.writeTextFile(
    join(dir, "system_config.output.txt"),
    "process_forecasts:\n  style: signal\n",
  );
  pl.DataFrame([
    _ts(bars),
    pl.Series("pnl", [0, 1, -2, 3]),
    pl.Series("net_wealth", [100, 101, 99, 102]),
    pl.Series("gmv", [0, 50, 50, 80]),
  ]).writeParquet(join(pf, "portfolio", "statistics.parquet"));
  const long = pl.DataFrame([
    _ts(bars.flatMap((t) => [t, t])),
    pl.Series("asset_id", [1, 2, 1, 2, 1, 2, 1, 2]).cast(pl.Int64),
    pl.Series("value", [0, 0, 0.5, 0, 0.5, 0.3, 0.5, 0.3]),
  ]);
  long.writeParquet(join(pf, "portfolio", "holdings_shares.parquet"));
  pl.DataFrame([
    _ts(bars),
    pl.Series("1", [0, 50, 49, 51]),
    pl.Series("2", [0, 0, 30, 29]),
  ]).writeParquet(join(pf, "portfolio", "holdings_notional.parquet"));
  pl.DataFrame([
    _ts(bars.flatMap((t) => [t, t])),
    pl.Series("asset_id", [1, 2, 1, 2, 1, 2, 1, 2]).cast(pl.Int64),
    pl.Series("price", [100, 100, 100, 100, 98, 100, 102, 97]),
    pl.Series("volatility", Array(8).fill(0.01)),
    pl.Series("prediction", [1, 0, 1, 1, 1, 1, 1, 1]),
    pl.Series("target_holdings_shares", [0.5, 0, 0.5, 0.3, 0.5, 0.3, 0.5, 0.3]),
  ]).writeParquet(join(pf, "target_positions.parquet"));
  pl.DataFrame([
    pl.Series("id", [1, 2, 3]).cast(pl.Int64),
    pl.Series("order_id", [1, 1, 2]).cast(pl.Int64),
    pl.Series("asset_id", [1, 1, 2]).cast(pl.Int64),
    _ts([bars[1]! + 10_000, bars[1]! + 10_000, bars[2]!]),
    pl.Series("shares", [0.2, 0.3, 0.3]),
    pl.Series("price", [100, 101, 100]),
    pl.Series("fee", [0.01, 0.02, 0.03]),
  ]).writeParquet(join(pf, "fills.parquet"));
}
