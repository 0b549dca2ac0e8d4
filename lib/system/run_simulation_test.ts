import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import type { JsonValue } from "../config/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import { DagtradeError, DataError, UsageError } from "../errors/mod.ts";
import { SqliteOmsDatabase } from "../oms/db/mod.ts";
import { statisticsFromMetrics } from "../report/mod.ts";
import { StaticClock } from "../sim/mod.ts";
import { _FIXTURE } from "./_test_system.ts";
import { runSimulation, type RunSimulationOptions } from "./run_simulation.ts";
import { buildSimulateConfig } from "./simulate_settings.ts";
import { SYSTEM_LOG_PATHS } from "./system_log.ts";

const SETTINGS = {
  data: _FIXTURE,
  start: "2025-01-08T00:00:00Z",
  end: "2025-01-08T06:00:00Z",
  symbols: ["BTC/USDT", "ETH/USDT"],
  sizing: "equity",
  fee_bps: 10,
};

function config(settings: { [key: string]: JsonValue } = {}, overrides: string[] = []) {
  return buildSimulateConfig({
    builder: getBuilder("sma_cross"),
    settings: { ...SETTINGS, ...settings },
    overrides,
  });
}

function options(dstDir: string, more: Partial<RunSimulationOptions> = {}): RunSimulationOptions {
  return { dstDir, version: "test", wallClock: new StaticClock(0), ...more };
}

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function runJson(dir: string): Promise<Record<string, JsonValue>> {
  return JSON.parse(await Deno.readTextFile(join(dir, SYSTEM_LOG_PATHS.runJson)));
}

Deno.test("runSimulation() writes the system log directory, the OMS run and backtest-keyed stats", async () => {
  await inTemp(async (tmp) => {
    const dir = join(tmp, "sim");
    const result = await runSimulation(config(), options(dir, { timer: () => performance.now() }));
    assert.equal(result.status, "completed");
    assert.equal(result.barsProcessed, 72);
    assert.equal(result.barsTotal, 72);
    for (
      const rel of [
        SYSTEM_LOG_PATHS.configInputTxt,
        SYSTEM_LOG_PATHS.configInputJson,
        SYSTEM_LOG_PATHS.configOutputTxt,
        SYSTEM_LOG_PATHS.configOutputJson,
        SYSTEM_LOG_PATHS.forecasts,
        SYSTEM_LOG_PATHS.profiling,
        SYSTEM_LOG_PATHS.targetPositions,
        SYSTEM_LOG_PATHS.orders,
        SYSTEM_LOG_PATHS.fills,
        SYSTEM_LOG_PATHS.statistics,
        SYSTEM_LOG_PATHS.positions,
        SYSTEM_LOG_PATHS.statsJson,
        SYSTEM_LOG_PATHS.logTxt,
        join(SYSTEM_LOG_PATHS.marketData, "store.meta.json"),
        "oms.sqlite",
      ]
    ) {
      assert.ok((await Deno.stat(join(dir, rel))).isFile, rel);
    }
    const info = await runJson(dir);
    assert.equal(info["mode"], "simulate");
    assert.equal(info["status"], "completed");
    assert.equal(info["bars_processed"], 72);
    assert.equal(info["version"], "test");
    assert.equal(info["run_id"], result.runId);
    assert.match(String(info["config_hash"]), /^[0-9a-f]{64}$/);
    const statistics = pl.readParquet(join(dir, SYSTEM_LOG_PATHS.statistics));
    const stats = statisticsFromMetrics(statistics, { barMs: 300_000, initialCash: 10_000 });
    assert.deepEqual(result.stats, stats);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "stats.json"))), stats);
    const profile = pl.readCSV(join(dir, SYSTEM_LOG_PATHS.profiling));
    assert.deepEqual(profile.columns, ["bar_timestamp", "method", "node_id", "ms"]);
    assert.ok(profile.height >= 72 * 2, "every node of every bar");
    const output = await Deno.readTextFile(join(dir, SYSTEM_LOG_PATHS.configOutputTxt));
    assert.match(output, /knowledge_delay_ms \(marked_as_used=True/);
    const db = await SqliteOmsDatabase.open(join(dir, "oms.sqlite"));
    try {
      const run = await db.getRun(result.runId);
      assert.equal(run?.status, "completed");
      assert.equal(run?.mode, "simulate");
      assert.equal((await db.readPortfolioStatistics(result.runId)).length, 72);
    } finally {
      await db.close();
    }
  });
});

Deno.test("runSimulation() stops after the bar in flight on the signal: status interrupted, outputs consolidated", async () => {
  await inTemp(async (tmp) => {
    const dir = join(tmp, "sim");
    const controller = new AbortController();
    const result = await runSimulation(
      config(),
      options(dir, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 10) controller.abort();
        },
      }),
    );
    assert.equal(result.status, "interrupted");
    assert.equal(result.barsProcessed, 10);
    assert.equal(result.stats.bars, 10);
    const info = await runJson(dir);
    assert.equal(info["status"], "interrupted");
    assert.equal(info["bars_processed"], 10);
    assert.equal(pl.readParquet(join(dir, SYSTEM_LOG_PATHS.statistics)).height, 10);
    const db = await SqliteOmsDatabase.open(join(dir, "oms.sqlite"));
    try {
      assert.equal((await db.getRun(result.runId))?.status, "interrupted");
      assert.equal((await db.readPortfolioStatistics(result.runId)).length, 10);
    } finally {
      await db.close();
    }
  });
});

Deno.test("runSimulation() records a failure: run.json failed with the reason, complete bars consolidated", async () => {
  await inTemp(async (tmp) => {
    const dir = join(tmp, "sim");
    await assert.rejects(
      runSimulation(
        config(),
        options(dir, {
          onProgress: (p) => {
            if (p.done === 3) throw new DagtradeError("boom at bar 3");
          },
        }),
      ),
      /boom at bar 3/,
    );
    const info = await runJson(dir);
    assert.equal(info["status"], "failed");
    assert.equal(info["exit_reason"], "boom at bar 3");
    assert.equal(pl.readParquet(join(dir, SYSTEM_LOG_PATHS.statistics)).height, 3);
  });
});

Deno.test("runSimulation() refuses data that does not cover the warm-up or the range, and an unusable delay", async () => {
  await inTemp(async (tmp) => {
    // The fixture starts 2025-01-06; sma_cross needs 149 bars (12 h 25 min) of warm-up.
    await assert.rejects(
      runSimulation(config({ start: "2025-01-06T06:00:00Z" }), options(join(tmp, "a"))),
      (error: unknown) =>
        error instanceof DataError && /warm-up/.test(error.message) &&
        /choose --start at or after 2025-01-06T12:25Z/.test(error.message),
    );
    await assert.rejects(
      runSimulation(config({ end: "2025-03-01" }), options(join(tmp, "b"))),
      /outside the data|ends at/,
    );
    await assert.rejects(
      runSimulation(config({}, ["dag.volatility.window=20000"]), options(join(tmp, "c"))),
      (error: unknown) =>
        error instanceof DataError && /lookback is 20050 bars/.test(error.message),
    );
    await assert.rejects(
      runSimulation(config({}, ["simulate.knowledge_delay_ms=290000"]), options(join(tmp, "d"))),
      (error: unknown) =>
        error instanceof UsageError && /knowledge delay under 290000/.test(error.message),
    );
    // Nothing was written for refused inputs.
    for (const d of ["a", "b", "c", "d"]) {
      await assert.rejects(Deno.stat(join(tmp, d)), Deno.errors.NotFound);
    }
  });
});

Deno.test("runSimulation() interrupted before its first bar, and with node IO dumps", async () => {
  await inTemp(async (tmp) => {
    const controller = new AbortController();
    controller.abort();
    const none = await runSimulation(
      config(),
      options(join(tmp, "none"), { signal: controller.signal }),
    );
    assert.equal(none.status, "interrupted");
    assert.equal(none.barsProcessed, 0);
    assert.equal(none.stats.bars, 0);
    assert.equal((await runJson(join(tmp, "none")))["status"], "interrupted");
    const dumps = join(tmp, "io");
    await runSimulation(
      config({ end: "2025-01-08T00:15:00Z" }),
      options(dumps, { saveNodeIo: true }),
    );
    const names: string[] = [];
    for await (const e of Deno.readDir(join(dumps, SYSTEM_LOG_PATHS.nodeIo))) names.push(e.name);
    assert.ok(names.includes("predict.1.sma.df_out.20250108T001500Z.parquet"), names.join(" "));
    assert.equal(names.filter((n) => n.includes("20250108T000500Z")).length > 0, true);
  });
});

Deno.test("runSimulation() refuses a --dst-dir holding a run unless forced, and a run id already in the database", async () => {
  await inTemp(async (tmp) => {
    const dir = join(tmp, "sim");
    const short = config({ end: "2025-01-08T00:30:00Z" });
    await runSimulation(short, options(dir));
    await assert.rejects(runSimulation(short, options(dir)), /holds a run/);
    const again = await runSimulation(short, options(dir, { force: true }));
    assert.equal(again.status, "completed");
    const db = join(tmp, "shared.sqlite");
    await runSimulation(short, options(join(tmp, "x"), { db }));
    await assert.rejects(
      runSimulation(short, options(join(tmp, "y"), { db })),
      (error: unknown) => error instanceof UsageError && /already exists/.test(error.message),
    );
    const other = await runSimulation(short, options(join(tmp, "z"), { db, runId: "second" }));
    assert.equal(other.runId, "second");
  });
});
