/**
 * Regenerates `fixtures/` market data from the shared Binance data (freqtrade layout):
 *
 *   deno task fixtures [--src ../shared/data/binance_spot_5m]
 *
 * Writes
 * - `fixtures/market_data/binance_spot_5m.parquet` (+ `.meta.json`): 8 pairs of 5-minute bars,
 *   bar ends in (2025-01-06, 2025-02-17], knowledge_timestamp = bar end + 10 s;
 * - `fixtures/freqtrade/binance/`: a small freqtrade data directory (2 pairs as .feather, 1 as
 *   .json; bar opens from 2025-01-06 for 3 days) for the freqtrade import demo and tests.
 * The output is deterministic: `created_at` is the window's end.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import pl from "nodejs-polars";
import { importFreqtradeDir, writeSnapshot } from "../lib/sim/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    src: {
      type: "string",
      default: new URL("../../shared/data/binance_spot_5m", import.meta.url).pathname,
    },
  },
});
const src = values.src as string;
const root = new URL("../fixtures/", import.meta.url).pathname;

const SYMBOLS = [
  "BTC/USDT",
  "ETH/USDT",
  "SOL/USDT",
  "XRP/USDT",
  "BNB/USDT",
  "DOGE/USDT",
  "ADA/USDT",
  "LTC/USDT",
];
const START = Date.UTC(2025, 0, 6);
const END = Date.UTC(2025, 1, 17);
const DELAY_MS = 10_000;

const imported = await importFreqtradeDir(src, {
  symbols: SYMBOLS,
  start: START,
  end: END,
  knowledgeDelayMs: DELAY_MS,
});
const snapshot = join(root, "market_data", "binance_spot_5m.parquet");
await writeSnapshot(imported.bars, snapshot, {
  createdAt: END,
  timeframe: imported.timeframe,
  requested: { start: START, end: END },
  knowledgeDelayMs: DELAY_MS,
  source: "freqtrade binance_spot_5m (shared/data), cut by scripts/make_fixtures.ts",
});
console.log(`wrote ${snapshot}: ${imported.bars.height} rows, ${imported.symbols.length} pairs`);

// A small freqtrade data directory: candles stamped with their OPEN time, as freqtrade saves them.
const ftDir = join(root, "freqtrade", "binance");
await Deno.mkdir(ftDir, { recursive: true });
const ftStart = START;
const ftEnd = START + 3 * 86_400_000;
for (
  const [pair, format] of [["BTC_USDT", "feather"], ["ETH_USDT", "feather"], [
    "SOL_USDT",
    "json",
  ]] as const
) {
  const df = pl.readIPC(Buffer.from(await Deno.readFile(join(src, `${pair}-5m.feather`))));
  const cut = df.filter(
    pl.col("date").cast(pl.Datetime("ms", "UTC")).cast(pl.Float64).gtEq(ftStart)
      .and(pl.col("date").cast(pl.Datetime("ms", "UTC")).cast(pl.Float64).lt(ftEnd)),
  );
  const path = join(ftDir, `${pair}-5m.${format}`);
  if (format === "feather") {
    cut.writeIPC(path, { compression: "lz4" });
  } else {
    const t = cut.getColumn("date").cast(pl.Datetime("ms", "UTC")).cast(pl.Float64)
      .toTypedArray() as Float64Array;
    const cols = ["open", "high", "low", "close", "volume"].map((c) =>
      cut.getColumn(c).toTypedArray() as Float64Array
    );
    const rows = Array.from(t, (ms, i) => [ms, ...cols.map((c) => c[i] as number)]);
    await Deno.writeTextFile(path, JSON.stringify(rows));
  }
  console.log(`wrote ${path}: ${cut.height} candles`);
}
