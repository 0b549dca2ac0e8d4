import assert from "node:assert/strict";
import { applyOverrides, Config } from "../config/mod.ts";
import { readBars } from "../sim/mod.ts";
import { _addChain } from "./builders/_chain.ts";
import { checkCausality, formatCausalityReport } from "./causality_check.ts";
import type { Dag } from "./dag.ts";
import { DagBuilderBase, type DagColumnNames } from "./dag_builder.ts";
import { PeekingNode, ReturnsNode, SmaCrossNode } from "./nodes/mod.ts";
import { getBuilder } from "./registry.ts";
import "./builders/mod.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const T0 = Date.UTC(2025, 0, 6);
const bars = await readBars(FIXTURE, {
  end: T0 + 2 * 86_400_000,
  symbols: ["BTC/USDT", "ETH/USDT", "XRP/USDT"],
});

/** A model with a node that reads the next bar's close (a deliberate bug). */
class PeekingBuilder extends DagBuilderBase {
  readonly name = "peeking";
  readonly description = "test only: sma, then a node that peeks at the next bar, then returns";
  configTemplate(): Config {
    return Config.fromObject({});
  }
  lookbackBars(): number {
    return 60;
  }
  columnNames(): DagColumnNames {
    return { price: "close", volatility: "ret_0", prediction: "prediction" };
  }
  protected addNodes(dag: Dag): void {
    _addChain(dag, [new SmaCrossNode("sma"), new PeekingNode("peek"), new ReturnsNode("returns")]);
  }
}

for (const name of ["sma_cross", "cross_sectional", "ridge"]) {
  Deno.test(`checkCausality() passes the built-in builder ${name}`, () => {
    const builder = getBuilder(name);
    const config = builder.configTemplate();
    if (name === "ridge") applyOverrides(config, ["fit.start=2025-01-06", "fit.end=2025-01-07"]);
    const report = checkCausality(builder, config, bars, { start: T0 + 86_400_000, stride: 3 });
    assert.equal(report.ok, true, formatCausalityReport(report));
    assert.equal(report.barsChecked, 97, "every 3rd of 288 bars, and the last");
  });
}

Deno.test("checkCausality() names a node that peeks at the next bar, and the first bar", () => {
  const report = checkCausality(new PeekingBuilder(), Config.fromObject({}), bars, {
    start: T0 + 86_400_000,
  });
  assert.equal(report.ok, false);
  assert.equal(report.firstDifference?.nodeId, "peek");
  assert.equal(report.firstDifference?.barEnd, T0 + 86_400_000 + 300_000);
  assert.equal(report.firstDifference?.column, "peek");
  assert.match(formatCausalityReport(report), /node 'peek' differs at bar 2025-01-07T00:05Z/);
});
