import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { summarizeBars } from "./bars_summary.ts";
import { assetIdOf } from "./asset_id.ts";

function bars(rows: [number, string][]): pl.DataFrame {
  const ts = new Float64Array(rows.map(([t]) => t));
  const dt = (name: string, v: Float64Array) =>
    pl.Series(name, v).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const ones = new Float64Array(rows.length).fill(1);
  return pl.DataFrame([
    dt("timestamp", ts),
    dt("start_timestamp", ts.map((t) => t - 300_000)),
    pl.Series("asset_id", rows.map(([, s]) => assetIdOf(s)), pl.Int64),
    pl.Series("full_symbol", rows.map(([, s]) => s)),
    pl.Series("open", ones),
    pl.Series("high", ones),
    pl.Series("low", ones),
    pl.Series("close", ones),
    pl.Series("volume", ones),
    dt("knowledge_timestamp", ts.map((t, i) => t + (i === 0 ? 5_000 : 10_000))),
  ]);
}

Deno.test("summarizeBars() reports per-asset rows, range, gaps and knowledge delay", () => {
  const M = 300_000;
  const df = bars([
    [M, "binance::BTC_USDT"],
    [M, "binance::ETH_USDT"],
    [2 * M, "binance::BTC_USDT"],
    [2 * M, "binance::ETH_USDT"],
    [5 * M, "binance::BTC_USDT"],
  ]);
  const s = summarizeBars(df);
  assert.equal(s.rows, 5);
  assert.equal(s.barMs, M);
  assert.equal(s.first, M);
  assert.equal(s.last, 5 * M);
  assert.deepEqual(s.knowledgeDelayMs, { min: 5_000, max: 10_000 });
  assert.deepEqual(s.assets.map((a) => [a.fullSymbol, a.rows, a.missingBars]), [
    ["binance::BTC_USDT", 3, 2],
    ["binance::ETH_USDT", 2, 0],
  ]);
  assert.deepEqual(s.gaps.map((g) => [g.from, g.to]), [[3 * M, 4 * M]]);
});

Deno.test("summarizeBars() of an empty frame has no range", () => {
  const s = summarizeBars(bars([]).head(0), { barMs: 300_000 });
  assert.equal(s.rows, 0);
  assert.equal(s.first, undefined);
  assert.deepEqual(s.assets, []);
});
