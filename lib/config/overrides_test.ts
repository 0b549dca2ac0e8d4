import assert from "node:assert/strict";
import { ConfigError, UsageError } from "../errors/mod.ts";
import { Config } from "./config.ts";
import { ClobberError, ReadOnlyConfigError } from "./config_errors.ts";
import { applyOverrides, parseOverride } from "./overrides.ts";

Deno.test("parseOverride() splits the key and keeps a non-JSON value as a string", () => {
  assert.deepEqual(parseOverride("market_data.start=2024-01-01"), {
    key: ["market_data", "start"],
    value: "2024-01-01",
    text: "market_data.start=2024-01-01",
  });
});

Deno.test("parseOverride() parses JSON values", () => {
  assert.equal(parseOverride("a=5").value, 5);
  assert.equal(parseOverride("a=-1.5e-3").value, -1.5e-3);
  assert.equal(parseOverride("a=true").value, true);
  assert.equal(parseOverride("a=null").value, null);
  assert.equal(parseOverride('a="5"').value, "5");
  assert.deepEqual(parseOverride('a=["BTC/USDT",1]').value, ["BTC/USDT", 1]);
  assert.deepEqual(parseOverride('a={"fast":5}').value, { fast: 5 });
});

Deno.test("parseOverride() never evaluates the value", () => {
  assert.equal(parseOverride("a=1+1").value, "1+1");
  assert.equal(parseOverride("a=Deno.exit(1)").value, "Deno.exit(1)");
  assert.equal(parseOverride("a=b=c").value, "b=c");
  assert.equal(parseOverride("a=").value, "");
  assert.equal(parseOverride("a= x").value, " x");
});

Deno.test("parseOverride() rejects a missing '=' or an empty key with the expected form", () => {
  for (
    const [text, why] of [["market_data.start", "no '='"], ["=5", "empty key"], [
      "a..b=1",
      "key 'a..b' has an empty part",
    ]]
  ) {
    assert.throws(
      () => parseOverride(text as string),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          `Cannot parse override '${text}': ${why}; expected key=value, e.g. --set market_data.start=2024-01-01`,
    );
  }
});

Deno.test("applyOverrides() overwrites existing values and creates missing subconfigs", () => {
  const cfg = Config.fromObject({ market_data: { start: "2025-01-01" }, fees: 10 });
  const out = applyOverrides(cfg, ["market_data.start=2024-01-01", "fees=5", "dag.sma.fast=7"]);
  assert.equal(out, cfg);
  assert.deepEqual(cfg.toObject(), {
    market_data: { start: "2024-01-01" },
    fees: 5,
    dag: { sma: { fast: 7 } },
  });
  assert.deepEqual(new Set(cfg.leaves().map((l) => l.writer)), new Set(["--set"]));
});

Deno.test("applyOverrides() turns an object value into a subconfig", () => {
  const cfg = applyOverrides(new Config(), ['dag={"sma":{"fast":5}}']);
  assert.equal(cfg.get("dag.sma.fast"), 5);
});

Deno.test("applyOverrides() checks every override before applying any", () => {
  const cfg = Config.fromObject({ a: 1 });
  assert.throws(() => applyOverrides(cfg, ["a=2", "oops"]), UsageError);
  assert.equal(cfg.get("a"), 1);
});

Deno.test("applyOverrides() names the override when the config refuses it", () => {
  const cfg = Config.fromObject({ a: 1, b: 2 });
  assert.throws(
    () => applyOverrides(cfg, ["a.x=1"]),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith("Cannot apply override 'a.x=1': Cannot set 'a.x': 'a' holds a value"),
  );
  cfg.getAndMarkAsUsed("b");
  assert.throws(() => applyOverrides(cfg, ["b=3"]), ClobberError);
  cfg.markReadOnly();
  assert.throws(() => applyOverrides(cfg, ["a=3"]), ReadOnlyConfigError);
});
