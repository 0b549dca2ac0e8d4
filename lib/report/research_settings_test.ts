import assert from "node:assert/strict";
import { ConfigError } from "../errors/mod.ts";
import { findResearchSettings, parseResearchSettings } from "./research_settings.ts";

Deno.test("parseResearchSettings() reads the keys with their defaults", () => {
  assert.deepEqual(parseResearchSettings({ style: "signal", sizing: "equity" }, "x"), {
    style: "signal",
    sizing: "equity",
    fill: "next_open",
    feeBps: 0,
    initialCash: 10_000,
    targetGmv: undefined,
    source: "x",
  });
  assert.throws(
    () => parseResearchSettings({ style: "signal", sizing: "equity", fee_bps: "1" }, "cfg"),
    (e: Error) => e instanceof ConfigError && /cfg.fee_bps/.test(e.message),
  );
  assert.throws(() => parseResearchSettings({ style: "nope", sizing: "gmv" }, "cfg"), ConfigError);
});

Deno.test("findResearchSettings() takes the first subtree with style and sizing", () => {
  const found = findResearchSettings({
    dag: { style: "x" },
    oms: { optimizer: { style: "cross_sectional", sizing: "gmv", fill: "close", fee_bps: 2 } },
  }, "system_config.output.json");
  assert.equal(found?.style, "cross_sectional");
  assert.equal(found?.fill, "close");
  assert.equal(found?.feeBps, 2);
  assert.equal(found?.source, "system_config.output.json:oms.optimizer");
  assert.equal(findResearchSettings({ a: 1 }, "f"), undefined);
});
