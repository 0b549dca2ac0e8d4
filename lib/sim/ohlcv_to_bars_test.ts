import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { BAR_COLUMNS } from "./bar_schema.ts";
import { ohlcvToBars } from "./ohlcv_to_bars.ts";

const BAR = 300_000;
const T0 = Date.UTC(2025, 0, 6);
const fs = "binance::BTC_USDT";

function times(df: pl.DataFrame, column: string): number[] {
  return [...(df.getColumn(column).cast(pl.Int64).cast(pl.Float64).toTypedArray() as Float64Array)];
}

Deno.test("ohlcvToBars() stamps bars at their END and knows them at receipt", () => {
  const { bars, unclosed, duplicates } = ohlcvToBars([
    { candles: [[T0 + BAR, 2, 4, 1, 3, 7], [T0, 1, 2, 0.5, 1.5, 5]], receivedAt: T0 + 10 * BAR },
  ], { fullSymbol: fs, barMs: BAR });
  assert.deepEqual(bars.columns, [...BAR_COLUMNS]);
  assert.deepEqual(times(bars, "timestamp"), [T0 + BAR, T0 + 2 * BAR]);
  assert.deepEqual(times(bars, "start_timestamp"), [T0, T0 + BAR]);
  assert.deepEqual(times(bars, "knowledge_timestamp"), [T0 + 10 * BAR, T0 + 10 * BAR]);
  assert.deepEqual(bars.getColumn("asset_id").toArray().map(Number), [1467591036, 1467591036]);
  assert.deepEqual(bars.getColumn("full_symbol").toArray(), [fs, fs]);
  assert.deepEqual(bars.getColumn("close").toArray(), [1.5, 3]);
  assert.deepEqual(bars.getColumn("volume").toArray(), [5, 7]);
  assert.equal(unclosed, 0);
  assert.equal(duplicates, 0);
});

Deno.test("ohlcvToBars() drops bars not closed at receipt and keeps a bar's first receipt", () => {
  const { bars, unclosed, duplicates } = ohlcvToBars([
    // Received at T0 + 1.5 bars: the bar opened at T0 + 1 bar is still forming.
    { candles: [[T0, 1, 2, 0.5, 1.5, 5], [T0 + BAR, 9, 9, 9, 9, 1]], receivedAt: T0 + 1.5 * BAR },
    // Received again later, now closed (different values: the forming one was partial).
    { candles: [[T0, 1, 2, 0.5, 1.5, 5], [T0 + BAR, 2, 4, 1, 3, 7]], receivedAt: T0 + 3 * BAR },
  ], { fullSymbol: fs, barMs: BAR });
  assert.equal(unclosed, 1);
  assert.equal(duplicates, 1);
  assert.deepEqual(times(bars, "timestamp"), [T0 + BAR, T0 + 2 * BAR]);
  assert.deepEqual(times(bars, "knowledge_timestamp"), [T0 + 1.5 * BAR, T0 + 3 * BAR]);
  assert.deepEqual(bars.getColumn("open").toArray(), [1, 2]);
  // A bar received exactly at its end is closed.
  const exact = ohlcvToBars([{ candles: [[T0, 1, 1, 1, 1, 0]], receivedAt: T0 + BAR }], {
    fullSymbol: fs,
    barMs: BAR,
  });
  assert.equal(exact.bars.height, 1);
});

Deno.test("ohlcvToBars() can model knowledge as bar end + a delay", () => {
  const { bars } = ohlcvToBars([
    { candles: [[T0, 1, 2, 0.5, 1.5, 5]], receivedAt: T0 + 1000 * BAR },
  ], { fullSymbol: fs, barMs: BAR, knowledgeDelayMs: 10_000 });
  assert.deepEqual(times(bars, "knowledge_timestamp"), [T0 + BAR + 10_000]);
});

Deno.test("ohlcvToBars() refuses invalid candles naming the source and the rule", () => {
  assert.throws(
    () =>
      ohlcvToBars([{ candles: [[T0, 1, 2, 0.5, 3, 5]], receivedAt: T0 + BAR }], {
        fullSymbol: fs,
        barMs: BAR,
        source: "ccxt binance BTC/USDT",
      }),
    (e: unknown) =>
      e instanceof DataError &&
      e.message ===
        "Bad candles from ccxt binance BTC/USDT: row 2025-01-06T00:05Z binance::BTC_USDT: high < close",
  );
});

Deno.test("ohlcvToBars() of nothing is an empty bar frame", () => {
  const { bars } = ohlcvToBars([], { fullSymbol: fs, barMs: BAR });
  assert.equal(bars.height, 0);
  assert.deepEqual(bars.columns, [...BAR_COLUMNS]);
});
