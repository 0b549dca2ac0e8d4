import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { PeekingNode } from "./peeking_node.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertFramesEqual,
  _assertPrefixCausal,
  _assertStartIndependent,
  _bars,
  _col,
  _nanAsNull,
  _perAssetJs,
  _variants,
} from "./_test_utils.ts";

Deno.test("PeekingNode.transform() outputs the next bar's close per asset", () => {
  const df = _bars(20);
  const out = new PeekingNode("peek").transform(df);
  const expected = _perAssetJs(df, "close", (x) => x.map((_, t) => x[t + 1] ?? null));
  _assertClose(_col(out, "peek"), expected, 0, "peek");
});

Deno.test("PeekingNode.transformColumns() equals transform() and Polars' shift(-1) per asset", () => {
  for (const [what, df] of _variants(30)) {
    const node = new PeekingNode("peek", { in_col: "full_symbol", out_col: "next_symbol" });
    _assertColumnsLikePolars(node, df, what);
    _assertColumnsLikePolars(new PeekingNode("peek"), df, what);
    _assertFramesEqual(
      _nanAsNull(new PeekingNode("peek").transform(df)),
      _nanAsNull(df).withColumns(pl.col("close").shift(-1).over("asset_id").alias("peek")),
      what,
    );
  }
});

Deno.test("PeekingNode fails the prefix-causality check", () => {
  assert.throws(() => _assertPrefixCausal(new PeekingNode("peek"), _bars(30)), /prefix causality/);
});

/** A start-dependent node (a running sum over the whole frame), to test the checker. */
class _CumSumNode extends TransformNode implements LookbackNode {
  lookbackBars(): number {
    return 5;
  }
  override transform(df: pl.DataFrame): pl.DataFrame {
    return df.withColumns(df.getColumn("close").cumSum().alias("cum"));
  }
}

Deno.test("_assertStartIndependent() catches a node that depends on the frame's start", () => {
  assert.throws(
    () => _assertStartIndependent(new _CumSumNode("cum"), _bars(30)),
    /start independence/,
  );
});
