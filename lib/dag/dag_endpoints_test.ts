import assert from "node:assert/strict";
import { _ReturnsNode, _testDag } from "./_test_helpers.ts";
import { Dag } from "./dag.ts";
import { dagEndpoints } from "./dag_endpoints.ts";
import { FrameSourceNode } from "./frame_source_node.ts";

Deno.test("dagEndpoints() finds the only FrameSourceNode source and the only sink", () => {
  const { source, sinkNodeId } = dagEndpoints(_testDag());
  assert.ok(source instanceof FrameSourceNode);
  assert.equal(source.id, "src");
  assert.equal(sinkNodeId, "center");
});

Deno.test("dagEndpoints() explains a missing or ambiguous source and honours overrides", () => {
  const noSource = new Dag("plain");
  noSource.addNode(new _ReturnsNode("ret"));
  assert.throws(
    () => dagEndpoints(noSource),
    /DAG 'plain' needs exactly one FrameSourceNode source to feed; found none/,
  );
  const two = _testDag();
  two.addNode(new FrameSourceNode("src2"));
  two.addNode(new _ReturnsNode("ret2"));
  two.connect("src2", "ret2");
  assert.throws(() => dagEndpoints(two), /found src, src2 \(pass sourceNodeId to choose\)/);
  const chosen = dagEndpoints(two, { sourceNodeId: "src2", sinkNodeId: "ret2" });
  assert.equal(chosen.source.id, "src2");
  assert.equal(chosen.sinkNodeId, "ret2");
  assert.throws(
    () => dagEndpoints(two, { sourceNodeId: "ret" }),
    /'ret' .* is not a FrameSourceNode/,
  );
  assert.throws(() => dagEndpoints(two, { sourceNodeId: "src", sinkNodeId: "zz" }), /no such node/);
});
