import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { gapReport } from "./gap_report.ts";
import { _makeBars } from "./_test_bars.ts";

const BAR = 300_000;
const T0 = Date.UTC(2025, 0, 3, 10, 5);
const BTC = "binance::BTC_USDT";
const ETH = "binance::ETH_USDT";

function withoutBars(df: pl.DataFrame, symbol: string, ends: number[]): pl.DataFrame {
  let out = df;
  for (const t of ends) {
    out = out.filter(
      pl.col("full_symbol").neq(pl.lit(symbol))
        .or(pl.col("timestamp").cast(pl.Int64).neq(pl.lit(t).cast(pl.Int64))),
    );
  }
  return out;
}

Deno.test("gapReport() finds runs of missing bars per asset", () => {
  const df = _makeBars({ bars: 10 });
  assert.deepEqual(gapReport(df, { barMs: BAR }), []);
  const holed = withoutBars(
    withoutBars(df, BTC, [T0 + 2 * BAR, T0 + 3 * BAR, T0 + 4 * BAR]),
    ETH,
    [T0 + 7 * BAR],
  );
  const expected = [
    { fullSymbol: BTC, assetId: 1467591036, from: T0 + 2 * BAR, to: T0 + 4 * BAR, missingBars: 3 },
    { fullSymbol: ETH, assetId: 1464553467, from: T0 + 7 * BAR, to: T0 + 7 * BAR, missingBars: 1 },
  ];
  assert.deepEqual(gapReport(holed, { barMs: BAR }), expected);
  // Row order does not matter.
  assert.deepEqual(gapReport(holed.sort("close", true), { barMs: BAR }), expected);
});

Deno.test("gapReport() reports the edges of a requested range and absent symbols", () => {
  const df = _makeBars({ bars: 4 }); // bar ends T0 .. T0 + 3 bars
  const gaps = gapReport(df.filter(pl.col("full_symbol").eq(pl.lit(BTC))), {
    barMs: BAR,
    start: T0 - 3 * BAR, // expected bars end at T0 - 2 bars, T0 - 1 bar, ...
    end: T0 + 5 * BAR,
    fullSymbols: [BTC, "binance::ADA_USDT"],
  });
  assert.deepEqual(gaps, [
    {
      fullSymbol: "binance::ADA_USDT",
      assetId: 3303714233,
      from: T0 - 2 * BAR,
      to: T0 + 5 * BAR,
      missingBars: 8,
    },
    { fullSymbol: BTC, assetId: 1467591036, from: T0 - 2 * BAR, to: T0 - BAR, missingBars: 2 },
    { fullSymbol: BTC, assetId: 1467591036, from: T0 + 4 * BAR, to: T0 + 5 * BAR, missingBars: 2 },
  ]);
  assert.deepEqual(gapReport(df, { barMs: BAR, start: T0 - BAR, end: T0 + 3 * BAR }), []);
});
