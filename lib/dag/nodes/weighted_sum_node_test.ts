import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { ColumnFrame } from "../../frame/mod.ts";
import { LagsNode } from "./lags_node.ts";
import { ReturnsNode } from "./returns_node.ts";
import { WeightedSumNode } from "./weighted_sum_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertFramesEqual,
  _assertPrefixCausal,
  _assertStartIndependent,
  _assertTailSlicesAgree,
  _bars,
  _col,
  _nanAsNull,
  _variants,
} from "./_test_utils.ts";

Deno.test("WeightedSumNode.transform() sums weighted columns row by row", () => {
  const df = pl.DataFrame({ a: [1, 2, null], b: [10, 20, 30], c: [0.5, 0.25, 1] });
  const out = new WeightedSumNode("w", { in_cols: ["a", "b", "c"], weights: [2, -0.1, 4] })
    .transform(df);
  _assertClose(_col(out, "prediction"), [2 - 1 + 2, 4 - 2 + 1, null], 1e-15, "sum");
});

Deno.test("WeightedSumNode() needs one weight per column", () => {
  assert.throws(() => new WeightedSumNode("w", { in_cols: ["a", "b"], weights: [1] }), ConfigError);
  assert.throws(
    () => new WeightedSumNode("w", { in_cols: ["a"], weights: [Number.NaN] }),
    /weights\[0\]/,
  );
});

Deno.test("WeightedSumNode.transform() is causal and start-independent", () => {
  const lags = new LagsNode("l", { in_cols: ["ret_0"], n_lags: 3 });
  const df = lags.transform(new ReturnsNode("r").transform(_bars(40)));
  const node = new WeightedSumNode("w", { in_cols: lags.outputColumns(), weights: [0.5, -1, 2] });
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("WeightedSumNode.transform() equals its Polars expression bit for bit", () => {
  for (const [what, df] of _variants(40)) {
    const in_cols = ["close", "open", "volume"];
    const weights = [-1, 0.37, 2.5];
    const terms = in_cols.map((col, i) => pl.col(col).cast(pl.Float64).mul(weights[i]));
    const sum = terms.slice(1).reduce((acc, term) => acc.plus(term), terms[0] as pl.Expr);
    _assertFramesEqual(
      // The node library reads a NaN as null (ColumnFrame): the expression sees NaN as null,
      // and NaN and null are compared as one missing value.
      _nanAsNull(new WeightedSumNode("w", { in_cols, weights, out_col: "p" }).transform(df)),
      _nanAsNull(df).withColumns(sum.alias("p")),
      what,
    );
  }
});

Deno.test("WeightedSumNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, df] of _variants(60)) {
    const node = new WeightedSumNode("w", {
      in_cols: ["close", "asset_id", "volume"],
      weights: [0.3, 1e-9, -2],
    });
    _assertColumnsLikePolars(node, df, what);
    _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), 1, what);
  }
});
