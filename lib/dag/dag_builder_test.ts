import assert from "node:assert/strict";
import { Config, DUMMY } from "../config/mod.ts";
import { ConfigError, DagtradeError } from "../errors/mod.ts";
import { _DemeanNode, _makeBars, _ReturnsNode, _RollingSumNode } from "./_test_helpers.ts";
import type { Dag } from "./dag.ts";
import { type DagBuilder, DagBuilderBase, type DagColumnNames } from "./dag_builder.ts";
import { FitPredictRunner } from "./fit_predict_runner.ts";
import { FrameSourceNode } from "./frame_source_node.ts";

/** Momentum: returns → rolling sum (window from the config) → cross-sectional demean. */
class MomentumBuilder extends DagBuilderBase {
  readonly name = "momentum";
  readonly description = "cross-sectional momentum (test)";
  constructor(readonly extraSink = false) {
    super();
  }
  configTemplate(): Config {
    return Config.fromObject({ mom: { window: DUMMY }, xs: { out: "prediction" } });
  }
  lookbackBars(config: Config): number {
    return 1 + (2 - 1) + (config.getNumber(["mom", "window"]) - 1);
  }
  columnNames(config: Config): DagColumnNames {
    return { price: "close", volatility: "mom", prediction: config.getString(["xs", "out"]) };
  }
  protected addNodes(dag: Dag, config: Config): void {
    const window = config.getNumber(["mom", "window"], { markAsUsed: true });
    const out = config.getString(["xs", "out"], { markAsUsed: true });
    dag.addNode(new FrameSourceNode("src"));
    dag.addNode(new _ReturnsNode("ret"));
    dag.addNode(new _RollingSumNode("mom", "ret", window, "mom"));
    dag.addNode(new _DemeanNode("xs", "mom", out));
    dag.connect("src", "ret");
    dag.connect("ret", "mom");
    dag.connect("mom", "xs");
    if (this.extraSink) {
      dag.addNode(new _ReturnsNode("dangling"));
      dag.connect("src", "dangling");
    }
  }
}

Deno.test("DagBuilderBase.build() rejects a template that still holds DUMMY", () => {
  const builder: DagBuilder = new MomentumBuilder();
  assert.throws(
    () => builder.build(builder.configTemplate()),
    (e: unknown) => e instanceof ConfigError && /unfilled DUMMY value: mom\.window/.test(e.message),
  );
});

Deno.test("DagBuilderBase.build() builds the DAG from a filled config and marks its keys", () => {
  const builder = new MomentumBuilder();
  const config = builder.configTemplate();
  config.set(["mom", "window"], 3, { updateMode: "overwrite" });
  const dag = builder.build(config, { timer: () => 0 });
  assert.equal(dag.name, "momentum");
  assert.deepEqual(dag.topologicalOrder(), ["src", "ret", "mom", "xs"]);
  assert.deepEqual(config.unusedLeaves(), []);
  assert.equal(builder.lookbackBars(config), 4);
  assert.deepEqual(builder.columnNames(config), {
    price: "close",
    volatility: "mom",
    prediction: "prediction",
  });
  const result = new FitPredictRunner(dag, { bars: _makeBars({ bars: 20 }) }).predict(
    -Infinity,
    Infinity,
  );
  assert.ok(result.columns.includes("prediction"));
  assert.equal(dag.timings().length, 4);
});

Deno.test("DagBuilderBase.build() rejects a DAG without a single source and sink", () => {
  const builder = new MomentumBuilder(true);
  const config = builder.configTemplate();
  config.set(["mom", "window"], 3, { updateMode: "overwrite" });
  assert.throws(
    () => builder.build(config),
    (e: unknown) =>
      e instanceof DagtradeError &&
      /Builder 'momentum' built a malformed DAG: .*exactly one sink; found xs, dangling/.test(
        e.message,
      ),
  );
});
