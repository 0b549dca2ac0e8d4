import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DagtradeError } from "../errors/mod.ts";
import { ColumnFrame, f64Column } from "../frame/mod.ts";
import { _CenterNode, _DemeanNode, _makeBars, _RollingSumNode } from "./_test_helpers.ts";
import { Dag, fileTimestamp } from "./dag.ts";
import { FrameSourceNode } from "./frame_source_node.ts";
import type { JsonValue, Node, NodeFrames } from "./node.ts";
import { TransformNode } from "./node.ts";

/** Records every call into a shared log; adds a constant column named after itself. */
class LogNode extends TransformNode {
  constructor(id: string, readonly log: string[]) {
    super(id);
  }
  override transform(df: pl.DataFrame): pl.DataFrame {
    this.log.push(this.id);
    return df.withColumns(pl.lit(1).alias(this.id));
  }
}

/** Two inputs (`left`, `right`), two outputs (`df_out`: left + right's `x`, `df_aux`: right). */
class JoinNode implements Node {
  readonly inputNames = ["left", "right"];
  readonly outputNames = ["df_out", "df_aux"];
  constructor(readonly id: string) {}
  fit(inputs: NodeFrames): NodeFrames {
    return this.predict(inputs);
  }
  predict(inputs: NodeFrames): NodeFrames {
    const left = inputs["left"] as pl.DataFrame;
    const right = inputs["right"] as pl.DataFrame;
    return {
      df_out: left.withColumns(right.getColumn("x").add(left.getColumn("x")).alias("sum")),
      df_aux: right,
    };
  }
  getFitState(): JsonValue {
    return null;
  }
  setFitState(): void {}
}

function frame(): pl.DataFrame {
  return pl.DataFrame({ x: [1, 2, 3] });
}

function chain(ids: string[], log: string[] = []): Dag {
  const dag = new Dag("test");
  for (const id of ids) dag.addNode(new LogNode(id, log));
  return dag;
}

Deno.test("Dag.addNode() rejects a duplicate id", () => {
  const dag = chain(["a"]);
  assert.throws(() => dag.addNode(new LogNode("a", [])), /node with this id already exists/);
});

Deno.test("Dag.connect() rejects a cycle and names it", () => {
  const dag = chain(["a", "b", "c"]);
  dag.connect("a", "b");
  dag.connect("b", "c");
  assert.throws(
    () => dag.connect("c", "a"),
    (error: unknown) =>
      error instanceof DagtradeError &&
      error.message.startsWith("Connecting c → a would create the cycle c → a → b → c"),
  );
  assert.throws(() => dag.connect("a", "a"), /would create the cycle a → a/);
  // The rejected edge was not added: the DAG still runs.
  assert.deepEqual(dag.topologicalOrder(), ["a", "b", "c"]);
});

Deno.test("Dag.connect() rejects unknown nodes, unknown names and a doubly fed input", () => {
  const dag = chain(["a", "b"]);
  dag.addNode(new LogNode("c", []));
  assert.throws(() => dag.connect("a", "zz"), /no such node; nodes: a, b, c/);
  assert.throws(() => dag.connect(["a", "nope"], "b"), /has no output 'nope' \(outputs: df_out\)/);
  assert.throws(() => dag.connect("a", ["b", "nope"]), /has no input 'nope' \(inputs: df_in\)/);
  dag.connect("a", "b");
  assert.throws(() => dag.connect("c", "b"), /already fed by a\.df_out/);
});

Deno.test("Dag.sources(), sinks() and topologicalOrder() follow insertion order on ties", () => {
  const dag = chain(["z", "y", "x", "w"]);
  dag.addNode(new JoinNode("j"));
  dag.connect("x", "w");
  dag.connect("z", ["j", "left"]);
  dag.connect("w", ["j", "right"]);
  assert.deepEqual(dag.sources(), ["z", "y", "x"]);
  assert.deepEqual(dag.sinks(), ["y", "j"]);
  assert.deepEqual(dag.topologicalOrder(), ["z", "y", "x", "w", "j"]);
  assert.deepEqual(dag.ancestors("j"), ["z", "x", "w", "j"]);
});

Deno.test("Dag.runLeqNode() runs only the ancestors of the node, parents first", () => {
  const log: string[] = [];
  const dag = new Dag("test");
  dag.addNode(new LogNode("late", log)); // added first but depends on b
  dag.addNode(new FrameSourceNode("src", { data: _makeBars({ bars: 5 }) }));
  dag.addNode(new LogNode("b", log));
  dag.addNode(new LogNode("a", log));
  dag.addNode(new LogNode("unrelated", log));
  dag.connect("src", "a");
  dag.connect("a", "b");
  dag.connect("b", "late");
  dag.connect("src", "unrelated");
  assert.deepEqual(dag.topologicalOrder(), ["src", "a", "b", "late", "unrelated"]);
  const out = dag.runLeqNode("b", "predict");
  assert.deepEqual(log, ["a", "b"]);
  assert.ok(out["df_out"]?.columns.includes("a") && out["df_out"].columns.includes("b"));
  assert.throws(
    () => dag.getOutput("late", "predict"),
    /no predict output 'df_out' of node 'late'/,
  );
  dag.runLeqNode("late", "predict");
  assert.deepEqual(log, ["a", "b", "a", "b", "late"]);
  assert.throws(() => dag.runLeqNode("nope", "fit"), /no such node/);
});

Deno.test("Dag.runLeqNode() routes named inputs and outputs, and takes external inputs", () => {
  const dag = new Dag("test");
  dag.addNode(new JoinNode("j"));
  dag.addNode(new JoinNode("k"));
  dag.connect(["j", "df_aux"], ["k", "left"]);
  dag.connect(["j", "df_out"], ["k", "right"]);
  assert.throws(
    () => dag.runLeqNode("k", "predict"),
    /input 'left' is not connected; connect it or pass it in options.inputs\['j'\]/,
  );
  const out = dag.runLeqNode("k", "predict", { inputs: { j: { left: frame(), right: frame() } } });
  // j: sum = 2x; k: left = j.aux (x), right = j.out (x): sum = 2x.
  assert.deepEqual(out["df_out"]?.getColumn("sum").toArray(), [2, 4, 6]);
  assert.deepEqual(dag.getOutput("j", "predict", "df_aux").getColumn("x").toArray(), [1, 2, 3]);
});

Deno.test("Dag.getOutput() keeps outputs per method", () => {
  const dag = new Dag("test");
  const center = new _CenterNode("center", "x", "y");
  dag.addNode(center);
  dag.runLeqNode("center", "fit", { inputs: { center: { df_in: frame() } } }); // mean 2
  dag.runLeqNode("center", "predict", {
    inputs: { center: { df_in: pl.DataFrame({ x: [10, 20] }) } },
  });
  assert.deepEqual(dag.getOutput("center", "fit").getColumn("y").toArray(), [-1, 0, 1]);
  assert.deepEqual(dag.getOutput("center", "predict").getColumn("y").toArray(), [8, 18]);
  dag.clearOutputs();
  assert.throws(() => dag.getOutput("center", "fit"), /run runLeqNode/);
});

Deno.test("Dag.runLeqNode() names a failing node and a missing output", () => {
  class Boom extends TransformNode {
    override transform(): pl.DataFrame {
      throw new Error("kaput");
    }
  }
  class Silent extends TransformNode {
    override predict(): NodeFrames {
      return {};
    }
    override transform(df: pl.DataFrame): pl.DataFrame {
      return df;
    }
  }
  const dag = new Dag("m");
  dag.addNode(new Boom("boom"));
  dag.addNode(new Silent("silent"));
  const inputs = { boom: { df_in: frame() }, silent: { df_in: frame() } };
  assert.throws(
    () => dag.runLeqNode("boom", "fit", { inputs }),
    (e: unknown) =>
      e instanceof DagtradeError && e.message === "Node 'boom' of DAG 'm' failed in fit: kaput" &&
      e.cause instanceof Error,
  );
  assert.throws(
    () => dag.runLeqNode("silent", "predict", { inputs }),
    /Node 'silent' of DAG 'm' returned no output 'df_out' from predict/,
  );
});

Deno.test("Dag node IO dumps one Parquet file per node output that reads back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bars = _makeBars({ bars: 20 });
    const dag = new Dag("io", { nodeIoDir: dir });
    dag.addNode(new FrameSourceNode("src", { data: bars }));
    dag.addNode(new _RollingSumNode("sum", "close", 3, "close_sum"));
    dag.addNode(new _DemeanNode("demean", "close_sum", "signal"));
    dag.connect("src", "sum");
    dag.connect("sum", "demean");
    dag.runLeqNode("demean", "predict");
    const barTs = Date.UTC(2025, 0, 1, 1, 40);
    dag.runLeqNode("sum", "fit", { barTimestamp: barTs });
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), [
      "fit.0.src.df_out.20250101T014000Z.parquet",
      "fit.1.sum.df_out.20250101T014000Z.parquet",
      "predict.0.src.df_out.parquet",
      "predict.1.sum.df_out.parquet",
      "predict.2.demean.df_out.parquet",
    ]);
    const back = pl.readParquet(`${dir}/predict.2.demean.df_out.parquet`);
    assert.ok(back.frameEqual(dag.getOutput("demean", "predict"), true));
    assert.equal(back.height, 60);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Dag timings are recorded per node and run only with a timer", () => {
  let t = 0;
  const dag = new Dag("timed", { timer: () => (t += 2.5) });
  dag.addNode(new LogNode("a", []));
  dag.addNode(new LogNode("b", []));
  dag.connect("a", "b");
  const inputs = { a: { df_in: frame() } };
  dag.runLeqNode("b", "predict", { inputs, barTimestamp: 1000 });
  dag.runLeqNode("a", "fit", { inputs });
  assert.deepEqual(dag.timings(), [
    { run: 1, method: "predict", nodeId: "a", barTimestamp: 1000, ms: 2.5 },
    { run: 1, method: "predict", nodeId: "b", barTimestamp: 1000, ms: 2.5 },
    { run: 2, method: "fit", nodeId: "a", barTimestamp: null, ms: 2.5 },
  ]);
  dag.clearTimings();
  assert.deepEqual(dag.timings(), []);
  const untimed = chain(["a"]);
  untimed.runLeqNode("a", "predict", { inputs });
  assert.deepEqual(untimed.timings(), []);
});

Deno.test("Dag.getFitStates() and setFitStates() round-trip through JSON", () => {
  const build = () => {
    const dag = new Dag("fs");
    dag.addNode(new LogNode("plain", []));
    dag.addNode(new _CenterNode("center", "x", "y"));
    dag.connect("plain", "center");
    return dag;
  };
  const dag = build();
  dag.runLeqNode("center", "fit", { inputs: { plain: { df_in: frame() } } });
  const states = JSON.parse(JSON.stringify(dag.getFitStates()));
  assert.deepEqual(states, { plain: null, center: { mean: 2 } });
  const other = build();
  other.setFitStates(states);
  const input = { plain: { df_in: pl.DataFrame({ x: [5] }) } };
  assert.deepEqual(
    other.runLeqNode("center", "predict", { inputs: input })["df_out"]?.getColumn(
      "y",
    ).toArray(),
    [3],
  );
  assert.throws(
    () => other.setFitStates({ ghost: 1 }),
    /no node ghost; its nodes are plain, center/,
  );
  assert.throws(
    () => other.setFitStates({ center: "bad" }),
    /Cannot set the fit state of node 'center' of DAG 'fs': bad state/,
  );
});

Deno.test("Dag.toString() lists nodes with their feeds", () => {
  const dag = chain(["a", "b"]);
  dag.addNode(new JoinNode("j"));
  dag.connect("a", "b");
  dag.connect("a", ["j", "left"]);
  dag.connect("b", ["j", "right"]);
  assert.equal(
    dag.toString(),
    "DAG test:\n  a\n  b <- a\n  j <- a.df_out → left, b.df_out → right",
  );
});

Deno.test("fileTimestamp() is ISO 8601 basic format", () => {
  assert.equal(fileTimestamp(Date.UTC(2025, 0, 3, 10, 5)), "20250103T100500Z");
  assert.equal(fileTimestamp(Date.UTC(2025, 0, 3, 10, 5, 1, 250)), "20250103T100501,250Z");
});

/** Adds `<col>2` = 2·col on JS column frames (a columnar node). */
class DoubleNode extends TransformNode {
  calls = 0;
  constructor(id: string, readonly col: string) {
    super(id);
  }
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    this.calls++;
    const x = frame.values(this.col);
    return frame.with([[`${this.col}2`, f64Column(x.map((v) => 2 * v))]]);
  }
}

Deno.test("Dag.runLeqNodeColumns() runs columnar and Polars nodes alike, converting between them", () => {
  const log: string[] = [];
  const dag = new Dag("mixed");
  dag.addNode(new FrameSourceNode("src", { data: _makeBars({ bars: 5 }) }));
  dag.addNode(new DoubleNode("double", "close"));
  dag.addNode(new LogNode("polars", log));
  dag.addNode(new DoubleNode("again", "close2"));
  dag.connect("src", "double");
  dag.connect("double", "polars");
  dag.connect("polars", "again");
  const columns = dag.runLeqNodeColumns("again", "predict")["df_out"] as ColumnFrame;
  const frames = dag.runLeqNode("again", "predict")["df_out"] as pl.DataFrame;
  assert.ok(columns.toPolars().frameEqual(frames, true));
  assert.deepEqual(log, ["polars", "polars"]);
  const close = columns.values("close");
  assert.deepEqual([...columns.values("close22")], [...close].map((v) => 4 * v));
  assert.deepEqual(columns.values("polars")[0], 1);
  // Outputs read back as Polars whichever way the node produced them.
  assert.ok(dag.getOutput("double", "predict").columns.includes("close2"));
  assert.equal(dag.getOutput("polars", "predict").height, columns.height);
});
