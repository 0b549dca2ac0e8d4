import assert from "node:assert/strict";
import { Config } from "../config/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { Dag } from "./dag.ts";
import type { DagBuilder } from "./dag_builder.ts";
import { DagBuilderRegistry, getBuilder } from "./registry.ts";

function fakeBuilder(name: string): DagBuilder {
  return {
    name,
    description: `${name} model`,
    configTemplate: () => Config.fromObject({}),
    build: () => new Dag(name),
    lookbackBars: () => 1,
    columnNames: () => ({ price: "close", volatility: "vol", prediction: "pred" }),
    fitInterval: () => undefined,
  };
}

Deno.test("DagBuilderRegistry.get() names the known dags for an unknown name", () => {
  const registry = new DagBuilderRegistry();
  assert.throws(() => registry.get("foo"), /^UsageError: Unknown dag 'foo'; known dags: \(none\)$/);
  for (const name of ["sma_cross", "cross_sectional", "ridge"]) {
    registry.register(fakeBuilder(name));
  }
  assert.throws(
    () => registry.get("foo"),
    (e: unknown) =>
      e instanceof UsageError && e.exitCode === 2 &&
      e.message === "Unknown dag 'foo'; known dags: cross_sectional, ridge, sma_cross",
  );
  assert.equal(registry.get("ridge").name, "ridge");
  assert.deepEqual(registry.list().map((b) => b.name), ["cross_sectional", "ridge", "sma_cross"]);
  assert.ok(registry.has("sma_cross") && !registry.has("foo"));
});

Deno.test("DagBuilderRegistry.register() rejects a taken name and a bad name", () => {
  const registry = new DagBuilderRegistry();
  const builder = fakeBuilder("sma_cross");
  registry.register(builder);
  registry.register(builder); // the same builder again: no-op
  assert.throws(() => registry.register(fakeBuilder("sma_cross")), /name is already taken/);
  assert.throws(() => registry.register(fakeBuilder("bad name")), /names use letters/);
});

Deno.test("getBuilder() uses the default registry", () => {
  assert.throws(() => getBuilder("no_such_dag_xyz"), /Unknown dag 'no_such_dag_xyz'; known dags:/);
});
