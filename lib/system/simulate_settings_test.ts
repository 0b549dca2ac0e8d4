import assert from "node:assert/strict";
import { Config } from "../config/mod.ts";
import { readBacktestSettings } from "../backtest/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import {
  buildSimulateConfig,
  readSimulateSettings,
  simulateConfigTemplate,
} from "./simulate_settings.ts";

const builder = getBuilder("sma_cross");

Deno.test("buildSimulateConfig() is backtest's config plus simulate.*: template < file < options < --set", () => {
  const template = simulateConfigTemplate(builder);
  assert.deepEqual(template.keys(), ["dag_builder", "dag", "backtest", "simulate"]);
  const file = Config.fromObject({
    dag: { sma: { fast: 7 } },
    backtest: { fee_bps: 3, style: "signal" },
    simulate: { knowledge_delay_ms: 1_000 },
  });
  const config = buildSimulateConfig({
    builder,
    file,
    settings: { data: "x.parquet", start: "2025-01-08", end: "2025-01-09", fee_bps: 5 },
    simulate: { knowledge_delay_ms: 2_000 },
    overrides: ["dag.sma.fast=8", "simulate.knowledge_delay_ms=3000"],
  });
  assert.equal(config.get("dag.sma.fast"), 8);
  assert.equal(config.get("dag.sma.slow"), 50);
  const s = readBacktestSettings(config);
  assert.equal(s.feeBps, 5);
  assert.equal(s.fill, "next_open");
  assert.deepEqual(readSimulateSettings(config), { knowledgeDelayMs: 3_000 });
  const noSet = buildSimulateConfig({ builder, file, simulate: { knowledge_delay_ms: 2_000 } });
  assert.deepEqual(readSimulateSettings(noSet), { knowledgeDelayMs: 2_000 });
  const fileOnly = buildSimulateConfig({ builder, file });
  assert.deepEqual(readSimulateSettings(fileOnly), { knowledgeDelayMs: 1_000 });
});

Deno.test("readSimulateSettings() refuses unknown simulate keys and bad delays", () => {
  const config = buildSimulateConfig({ builder, overrides: ["simulate.speed=3"] });
  assert.throws(() => readSimulateSettings(config), /Unknown config key 'simulate.speed'/);
  const bad = buildSimulateConfig({ builder, overrides: ["simulate.knowledge_delay_ms=-1"] });
  assert.throws(() => readSimulateSettings(bad), ConfigError);
  assert.throws(() => buildSimulateConfig({ builder, simulate: { nope: 1 } }), UsageError);
});
