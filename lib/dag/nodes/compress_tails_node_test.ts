import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ColumnFrame } from "../../frame/mod.ts";
import { CompressTailsNode } from "./compress_tails_node.ts";
import { ReturnsNode } from "./returns_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertPrefixCausal,
  _assertStartIndependent,
  _assertTailSlicesAgree,
  _bars,
  _col,
  _nanAsNull,
  _variants,
} from "./_test_utils.ts";

Deno.test("CompressTailsNode.transform() applies scale * tanh(x / scale)", () => {
  const df = pl.DataFrame({ a: [0, 1, -10, 100, null], b: [2, 3, 4, 5, 6] });
  const out = new CompressTailsNode("ct", { in_cols: ["a", "b"], scale: 3 }).transform(df);
  const f = (x: number) => 3 * Math.tanh(x / 3);
  _assertClose(_col(out, "a"), [0, f(1), f(-10), f(100), null], 1e-15, "a");
  _assertClose(_col(out, "b"), [2, 3, 4, 5, 6].map(f), 1e-15, "b");
  assert.ok((_col(out, "a")[3] as number) <= 3 && (_col(out, "a")[1] as number) < 1);
  const suffixed = new CompressTailsNode("ct", { in_cols: ["a"], scale: 3, suffix: "_c" })
    .transform(df);
  assert.deepEqual(suffixed.columns, ["a", "b", "a_c"]);
  assert.deepEqual(_col(suffixed, "a"), _col(df, "a").map((v) => v === null ? null : Number(v)));
});

Deno.test("CompressTailsNode.transform() is causal and start-independent", () => {
  const df = new ReturnsNode("ret").transform(_bars(40));
  const node = new CompressTailsNode("ct", { in_cols: ["ret_0"], scale: 0.005 });
  assert.equal(node.lookbackBars(), 1);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("CompressTailsNode.transformColumns() equals transform(), Polars' tanh and tail slices", () => {
  for (const [what, df] of _variants(60)) {
    const node = new CompressTailsNode("ct", { in_cols: ["close", "volume"], scale: 150 });
    _assertColumnsLikePolars(node, df, what);
    _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), 1, what);
    // Polars' tanh is another implementation of the same function: equal within an ulp or so.
    const expected = _nanAsNull(df).withColumns(
      pl.col("close").div(150).tanh().mul(150).alias("close"),
    );
    const out = node.transform(df);
    _assertClose(_col(out, "close"), _col(expected, "close") as (number | null)[], 1e-12, what);
  }
});
