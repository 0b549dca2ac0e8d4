import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { Config, type JsonValue } from "../config/mod.ts";
import { DagtradeError, FuturePeekingError, UsageError } from "../errors/mod.ts";
import {
  type Dag,
  DagBuilderBase,
  type DagColumnNames,
  FrameSourceNode,
  getBuilder,
  PeekingNode,
  registerBuilder,
  SmaCrossNode,
} from "../dag/mod.ts";
import { StaticClock } from "../sim/mod.ts";
import { buildEffectiveConfig } from "./backtest_settings.ts";
import { runBacktest, type RunBacktestOptions } from "./run_backtest.ts";
import { tileMarkerPath } from "./tile_marker.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const clock = new StaticClock(Date.UTC(2026, 0, 1));
const WINDOW: Record<string, JsonValue> = {
  data: FIXTURE,
  start: "2025-01-06T00:00:00.000Z",
  end: "2025-01-24T00:00:00.000Z",
  symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT"],
  sizing: "equity",
  initial_cash: 10_000,
  fee_bps: 5,
};

function config(
  dag: string,
  settings: Record<string, JsonValue> = {},
  overrides: string[] = [],
): Config {
  return buildEffectiveConfig({
    builder: getBuilder(dag),
    settings: { ...WINDOW, ...settings },
    overrides,
  });
}

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function run(c: Config, dstDir: string, options: Partial<RunBacktestOptions> = {}) {
  return runBacktest(c, { dstDir, clock, ...options });
}

function portfolio(dir: string): pl.DataFrame[] {
  return ["metrics", "positions"].map((f) =>
    pl.readParquet(join(dir, "portfolio", `${f}.parquet`))
  );
}

function assertSamePortfolio(a: string, b: string): void {
  const [ma, pa] = portfolio(a);
  const [mb, pb] = portfolio(b);
  assert.ok((ma as pl.DataFrame).height > 0);
  assert.ok((ma as pl.DataFrame).frameEqual(mb as pl.DataFrame, true), "per-bar metrics differ");
  assert.ok((pa as pl.DataFrame).frameEqual(pb as pl.DataFrame, true), "positions differ");
}

Deno.test("runBacktest() tiled (weekly x 2-asset tiles) equals untiled, and writes the DESIGN §7 layout", async () => {
  await inTemp(async (dir) => {
    const tiled = await run(
      config("sma_cross", { tile_freq: "week", asset_tile_size: 2 }),
      join(dir, "tiled"),
    );
    const whole = await run(config("sma_cross", { tile_freq: "none" }), join(dir, "whole"));
    assert.equal(tiled.plan.tiles.length, 3 * 3);
    assert.equal(tiled.tilesComputed, 9);
    assert.equal(whole.plan.tiles.length, 1);
    assertSamePortfolio(join(dir, "tiled"), join(dir, "whole"));
    assert.deepEqual(tiled.stats, whole.stats);
    assert.equal(tiled.stats?.initial_cash, 10_000);
    for (const f of ["config.json", "config.txt", "stats.json", "log.txt"]) {
      assert.ok((await Deno.stat(join(dir, "tiled", f))).isFile, f);
    }
    const part = join(dir, "tiled", "tiled_results", "asset_id=1467591036", "year=2025", "month=1");
    const files = [...Deno.readDirSync(part)].map((e) => e.name).sort();
    assert.deepEqual(files, [
      "data.2025-01-06.parquet",
      "data.2025-01-13.parquet",
      "data.2025-01-20.parquet",
    ]);
    const one = pl.readParquet(join(part, "data.2025-01-13.parquet"));
    assert.deepEqual(one.columns.slice(0, 2), ["timestamp", "asset_id"]);
    for (const c of ["close", "vol", "prediction", "sma_fast"]) {
      assert.ok(one.columns.includes(c), c);
    }
    assert.ok(!one.columns.includes("knowledge_timestamp"), "input bar columns are not repeated");
    assert.equal(one.height, 7 * 288, "one week of 5-minute bars");
    const stats = JSON.parse(await Deno.readTextFile(join(dir, "tiled", "stats.json")));
    assert.deepEqual(stats, JSON.parse(JSON.stringify(tiled.stats)));
  });
});

Deno.test("runBacktest() ridge: asset tiles equal the untiled run (fitted once on every asset)", async () => {
  await inTemp(async (dir) => {
    const fit = ["dag.fit.start=2025-01-06", "dag.fit.end=2025-01-12"];
    const settings = { start: "2025-01-12T00:00:00.000Z", style: "longitudinal", sizing: "gmv" };
    const tiled = await run(
      config("ridge", { ...settings, tile_freq: "week", asset_tile_size: 2 }, fit),
      join(dir, "a"),
    );
    await run(config("ridge", { ...settings, tile_freq: "none" }, fit), join(dir, "b"));
    assert.equal(tiled.plan.fitInterval?.[1], Date.UTC(2025, 0, 12));
    assertSamePortfolio(join(dir, "a"), join(dir, "b"));
  });
});

Deno.test("runBacktest() resumes: finished tiles are skipped and not rewritten, broken ones redone", async () => {
  await inTemp(async (dir) => {
    const c = () => config("sma_cross", { tile_freq: "week" });
    const shard = await run(c(), dir, { shard: { index: 0, count: 2 } });
    assert.equal(shard.stats, undefined, "a shard does not merge");
    assert.equal(shard.tilesComputed, 2);
    await assert.rejects(
      run(c(), dir, { mergeOnly: true }),
      (e) =>
        e instanceof DagtradeError && e.exitCode === 1 &&
        /1 of 3 tiles are not done: 2025-01-13 \(no success marker\)/.test(e.message),
    );
    const mtime = async (id: string) => (await Deno.stat(tileMarkerPath(dir, id))).mtime?.getTime();
    const before = await mtime("2025-01-06");
    // Damage a finished tile's file: that tile is redone, the other is kept.
    const marker = JSON.parse(await Deno.readTextFile(tileMarkerPath(dir, "2025-01-20")));
    await Deno.writeTextFile(join(dir, marker.files[0].path), "partial");
    const full = await run(c(), dir);
    assert.equal(full.tilesSkipped, 1);
    assert.equal(full.tilesComputed, 2);
    assert.equal(await mtime("2025-01-06"), before);
    assert.match(
      await Deno.readTextFile(join(dir, "log.txt")),
      /skipped 1 finished tiles, 2 to compute/,
    );
    const again = await run(c(), dir);
    assert.deepEqual([again.tilesSkipped, again.tilesComputed], [3, 0]);
    assert.deepEqual(again.stats, full.stats);
  });
});

Deno.test("runBacktest() refuses another config in the directory unless forced; forced, it reuses valid tiles", async () => {
  await inTemp(async (dir) => {
    const first = await run(config("sma_cross"), dir);
    await assert.rejects(
      run(config("sma_cross", { fee_bps: 20 }), dir),
      (e) =>
        e instanceof UsageError &&
        /differs from the config in .*config\.json:\n {2}~ backtest\.fee_bps: 5 -> 20\nuse --force/
          .test(e.message),
    );
    const forced = await run(config("sma_cross", { fee_bps: 20 }), dir, { force: true });
    assert.equal(forced.tilesComputed, 0, "portfolio settings do not invalidate tiles");
    assert.ok((forced.stats?.fees ?? 0) > (first.stats?.fees ?? 0));
    const changed = await run(config("sma_cross", {}, ["dag.sma.fast=5"]), dir, { force: true });
    assert.equal(
      changed.tilesComputed,
      changed.plan.tiles.length,
      "a model change redoes every tile",
    );
    assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))).dag.sma.fast, 5);
  });
});

Deno.test("runBacktest() checks the plan: unknown keys, asset tiles on a cross-sectional model", async () => {
  await inTemp(async (dir) => {
    await assert.rejects(
      run(config("sma_cross", {}, ["backtest.fees_bps=3"]), dir),
      /Unknown config keys: backtest.fees_bps/,
    );
    await assert.rejects(
      run(config("cross_sectional", { asset_tile_size: 2 }), dir),
      /node 'demean' is cross-sectional/,
    );
    await assert.rejects(
      run(config("ridge"), dir),
      /dag 'ridge' has unfilled values: dag\.fit\.start, dag\.fit\.end; set them with --set dag\.fit\.start=/,
    );
  });
});

class _PeekingBuilder extends DagBuilderBase {
  readonly name = "test_backtest_peeking";
  readonly description = "test only: an SMA signal, then a node that reads the next bar";
  configTemplate(): Config {
    return Config.fromObject({});
  }
  lookbackBars(): number {
    return 60;
  }
  columnNames(): DagColumnNames {
    return { price: "close", volatility: "peek", prediction: "prediction" };
  }
  protected addNodes(dag: Dag): void {
    const nodes = [new FrameSourceNode("source"), new SmaCrossNode("sma"), new PeekingNode("peek")];
    nodes.forEach((n, i) => {
      dag.addNode(n);
      if (i > 0) dag.connect((nodes[i - 1] as { id: string }).id, n.id);
    });
  }
}

Deno.test("runBacktest() with checkCausality fails before any tile, naming the peeking node", async () => {
  registerBuilder(new _PeekingBuilder());
  await inTemp(async (dir) => {
    await assert.rejects(
      run(config("test_backtest_peeking"), dir, { checkCausality: true }),
      (e) => e instanceof FuturePeekingError && /node 'peek' differs at bar/.test(e.message),
    );
    assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "tiled_results"), false);
    const ok = await run(config("sma_cross"), join(dir, "ok"), { checkCausality: true });
    assert.match(
      await Deno.readTextFile(join(dir, "ok", "log.txt")),
      /causality check of 'sma_cross' passed/,
    );
    assert.ok(ok.stats !== undefined);
  });
});
