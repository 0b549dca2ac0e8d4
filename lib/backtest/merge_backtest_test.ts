import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import pl from "nodejs-polars";
import type { JsonValue } from "../config/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import { evaluateForecasts } from "../oms/mod.ts";
import { statisticsFromMetrics } from "../report/mod.ts";
import { StaticClock } from "../sim/mod.ts";
import { loadBacktestPrices } from "./backtest_data.ts";
import { buildEffectiveConfig } from "./backtest_settings.ts";
import type { BacktestPlan } from "./backtest_plan.ts";
import { mergeBacktest, type MergeResult, PORTFOLIO_FILES } from "./merge_backtest.ts";
import { runBacktest } from "./run_backtest.ts";
import { readTileMarker, writeTileMarker } from "./tile_marker.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const clock = new StaticClock(Date.UTC(2026, 0, 1));

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts bit-identical frames (NaNs included): same columns, types and float64 bits. */
function assertIdentical(x: pl.DataFrame, y: pl.DataFrame, what: string): void {
  assert.deepEqual(x.columns, y.columns, what);
  assert.equal(x.height, y.height, `${what}: rows`);
  for (const column of x.columns) {
    assert.equal(String(x.getColumn(column).dtype), String(y.getColumn(column).dtype));
    const bits = (df: pl.DataFrame) =>
      new Uint32Array(
        (df.getColumn(column).cast(pl.Float64).toTypedArray() as Float64Array).slice().buffer,
      );
    const a = bits(x);
    const b = bits(y);
    let differs = -1;
    for (let i = 0; i < a.length && differs < 0; i++) if (a[i] !== b[i]) differs = i >> 1;
    assert.equal(differs, -1, `${what}: column ${column} differs at row ${differs}`);
  }
}

/** Asserts the merged portfolio in `dst` is the whole-period evaluation of its forecasts. */
async function assertWholePeriod(
  plan: BacktestPlan,
  dst: string,
  merged: MergeResult,
  what: string,
): Promise<void> {
  const files: string[] = [];
  for (const tile of plan.tiles) {
    const marker = await readTileMarker(dst, tile.id);
    assert.ok(marker !== undefined);
    files.push(...marker.files.map((f) => join(dst, f.path)));
  }
  const { price, volatility, prediction } = plan.columns;
  const columns = ["timestamp", "asset_id", ...new Set([price, volatility, prediction])];
  const forecasts = pl.concat(files.map((f) => pl.readParquet(f, { columns })))
    .sort(["timestamp", "asset_id"]);
  assert.equal(merged.forecastRows, forecasts.height);
  const s = plan.settings;
  const bars = await loadBacktestPrices(plan.data, {
    start: s.start,
    end: s.end,
    assetIds: plan.assetIds,
  });
  const whole = evaluateForecasts(forecasts, bars, {
    priceCol: price,
    volatilityCol: volatility,
    predictionCol: prediction,
    style: s.style,
    sizing: s.sizing,
    fill: s.fill,
    feeBps: s.feeBps,
    initialCash: s.initialCash,
    targetGmv: s.targetGmv,
  });
  assertIdentical(pl.readParquet(join(dst, PORTFOLIO_FILES.metrics)), whole.metrics, what);
  assertIdentical(pl.readParquet(join(dst, PORTFOLIO_FILES.positions)), whole.positions, what);
  const stats = statisticsFromMetrics(whole.metrics, {
    barMs: plan.data.barMs,
    initialCash: s.initialCash,
  });
  assert.deepEqual(merged.stats, stats, what);
}

const SIX = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT", "LTC/USDT"];

Deno.test("mergeBacktest() month by month equals the whole-period evaluation bit for bit", async () => {
  await inTemp(async (dir) => {
    const cases: Record<string, JsonValue>[] = [
      { fill: "next_open", sizing: "equity", style: "signal" },
      { fill: "close", sizing: "gmv", style: "cross_sectional" },
      { fill: "vwap", sizing: "equity", style: "longitudinal" },
    ];
    for (const [i, settings] of cases.entries()) {
      const dst = join(dir, `bt${i}`);
      const config = buildEffectiveConfig({
        builder: getBuilder("sma_cross"),
        settings: {
          data: FIXTURE,
          // Two result months (weekly tiles straddle the month end), 6 of the 8 assets.
          start: "2025-01-13T00:00:00.000Z",
          end: "2025-02-10T00:00:00.000Z",
          symbols: SIX,
          tile_freq: "week",
          initial_cash: 10_000,
          fee_bps: 4,
          ...settings,
        },
      });
      const run = await runBacktest(config, { dstDir: dst, clock });
      const what = JSON.stringify(settings);
      // A crashed merge's leftover part must not end up in the output.
      const parts = join(dst, "portfolio", ".positions.parts");
      await Deno.mkdir(parts, { recursive: true });
      await Deno.writeTextFile(join(parts, "part-99999.parquet"), "garbage");
      // One chunk per month (the default chunk holds both months of this small run).
      const merged = await mergeBacktest(run.plan, dst, { chunkRows: 1 });
      assert.deepEqual([merged.months, merged.chunks], [2, 2]);
      assert.deepEqual(
        [...Deno.readDirSync(join(dst, "portfolio"))].map((e) => e.name).sort(),
        ["metrics.parquet", "positions.parquet"],
        "the parts are removed",
      );
      await assertWholePeriod(run.plan, dst, merged, what);
      assert.deepEqual(run.stats, merged.stats, what);
      const single = await mergeBacktest(run.plan, dst);
      assert.equal(single.chunks, 1);
      await assertWholePeriod(run.plan, dst, single, what);
    }
  });
});

Deno.test("mergeBacktest() when a month's forecasts end early: the next chunk's bars start at the last forecast", async () => {
  await inTemp(async (dir) => {
    const config = buildEffectiveConfig({
      builder: getBuilder("sma_cross"),
      settings: {
        data: FIXTURE,
        start: "2025-01-20T00:00:00.000Z",
        end: "2025-02-10T00:00:00.000Z",
        symbols: SIX,
        tile_freq: "month",
        // gmv sizing trades every bar (shares at each decision price): the fill prices count.
        style: "cross_sectional",
        sizing: "gmv",
        fee_bps: 4,
      },
    });
    const dst = join(dir, "bt");
    const run = await runBacktest(config, { dstDir: dst, clock });
    // January's forecasts stop at Jan 31 16:00 (the bars go on): its last decision (a
    // rebalance) fills on the 16:05 bar, which only the bars from the last forecast time give.
    const marker = await readTileMarker(dst, "2025-01");
    assert.ok(marker !== undefined);
    const cut = pl.lit(Date.UTC(2025, 0, 31, 16)).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
    const files = [];
    for (const file of marker.files) {
      const path = join(dst, file.path);
      const kept = pl.readParquet(path).filter(pl.col("timestamp").ltEq(cut));
      kept.writeParquet(path);
      const bytes = await Deno.readFile(path);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      files.push({ ...file, rows: kept.height, bytes: bytes.byteLength, sha256 });
    }
    await writeTileMarker(dst, { ...marker, files, rows: files.reduce((n, f) => n + f.rows, 0) });
    const merged = await mergeBacktest(run.plan, dst, { chunkRows: 1 });
    assert.equal(merged.chunks, 2);
    await assertWholePeriod(run.plan, dst, merged, "forecasts end early");
  });
});
