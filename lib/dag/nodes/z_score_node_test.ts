import assert from "node:assert/strict";
import { ConfigError } from "../../errors/mod.ts";
import { ColumnFrame } from "../../frame/mod.ts";
import { ReturnsNode } from "./returns_node.ts";
import { ZScoreNode } from "./z_score_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertPrefixCausal,
  _assertSameAsPerAsset,
  _assertStartIndependent,
  _assertTailSlicesAgree,
  _bars,
  _col,
  _nanAsNull,
  _perAssetJs,
  _variants,
} from "./_test_utils.ts";

function _naiveZ(x: (number | null)[], window: number, minPeriods: number): (number | null)[] {
  return x.map((xt, t) => {
    const vals: number[] = [];
    for (let k = Math.max(0, t - window + 1); k <= t; k++) {
      const v = x[k];
      if (v !== null && v !== undefined) vals.push(v);
    }
    if (xt === null || xt === undefined || vals.length < minPeriods) return null;
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
    return std > 0 ? (xt - mean) / std : null;
  });
}

Deno.test("ZScoreNode.transform() equals a plain per-asset rolling z-score", () => {
  const df = new ReturnsNode("ret").transform(_bars(60));
  for (const [window, minPeriods] of [[5, null], [10, 3], [2, null]] as const) {
    const out = new ZScoreNode("z", { window, min_periods: minPeriods }).transform(df);
    const expected = _perAssetJs(df, "ret_0", (x) => _naiveZ(x, window, minPeriods ?? window));
    _assertClose(_col(out, "zscore"), expected, 1e-9, `window ${window}`);
  }
  // Prices (large level, small spread): the two-pass std stays accurate.
  const out = new ZScoreNode("z", { in_col: "close", window: 12 }).transform(df);
  _assertClose(
    _col(out, "zscore"),
    _perAssetJs(df, "close", (x) => _naiveZ(x, 12, 12)),
    1e-9,
    "close",
  );
});

Deno.test("ZScoreNode.transform() is causal and start-independent", () => {
  const df = new ReturnsNode("ret").transform(_bars(100));
  const node = new ZScoreNode("z", { window: 9 });
  assert.equal(node.lookbackBars(), 9);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("ZScoreNode() needs min_periods >= 2", () => {
  assert.throws(() => new ZScoreNode("z", { window: 5, min_periods: 1 }), ConfigError);
});

Deno.test("ZScoreNode.transform() on many assets equals each asset alone, bit for bit", () => {
  for (const [what, df] of _variants(100)) {
    _assertSameAsPerAsset(
      new ZScoreNode("z", { in_col: "close", window: 11, min_periods: 4 }),
      df,
      what,
    );
  }
});

Deno.test("ZScoreNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, df] of _variants(80)) {
    const node = new ZScoreNode("z", { in_col: "close", window: 11, min_periods: 4 });
    _assertColumnsLikePolars(node, df, what);
    _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), node.lookbackBars(), what);
    const out = ColumnFrame.fromPolars(node.transform(df));
    const expected = _perAssetJs(_nanAsNull(df), "close", (x) => _naiveZ(x, 11, 4));
    _assertClose(_col(out.toPolars(), "zscore"), expected, 1e-9, what);
  }
});
