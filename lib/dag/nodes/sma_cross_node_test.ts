import assert from "node:assert/strict";
import { ColumnFrame } from "../../frame/mod.ts";
import { SmaCrossNode } from "./sma_cross_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertPrefixCausal,
  _assertSameAsPerAsset,
  _assertStartIndependent,
  _assertTailSlicesAgree,
  _bars,
  _col,
  _perAssetJs,
  _variants,
} from "./_test_utils.ts";

function _sma(x: (number | null)[], w: number): (number | null)[] {
  return x.map((_, t) => {
    if (t < w - 1) return null;
    let s = 0;
    for (let k = t - w + 1; k <= t; k++) s += x[k] as number;
    return s / w;
  });
}

Deno.test("SmaCrossNode.transform() is 1 when SMA fast > SMA slow, else 0 (also before slow bars)", () => {
  const df = _bars(80);
  const node = new SmaCrossNode("sma", { fast: 3, slow: 8 });
  const out = node.transform(df);
  const fast = _perAssetJs(df, "close", (x) => _sma(x, 3));
  const slow = _perAssetJs(df, "close", (x) => _sma(x, 8));
  _assertClose(_col(out, "sma_fast"), fast, 1e-10, "fast");
  _assertClose(_col(out, "sma_slow"), slow, 1e-10, "slow");
  const signal = fast.map((f, i) => {
    const s = slow[i];
    return f !== null && s !== null && s !== undefined && f > s ? 1 : 0;
  });
  assert.deepEqual(_col(out, "prediction"), signal);
  assert.ok(signal.includes(1) && signal.includes(0));
  // The first slow−1 rows of every asset are flat.
  const firstRows = _perAssetJs(out, "prediction", (p) => p.slice(0, 7));
  assert.ok(firstRows.every((v) => v === null || v === 0));
});

Deno.test("SmaCrossNode.transform() is causal and start-independent", () => {
  const df = _bars(150);
  const node = new SmaCrossNode("sma", { fast: 10, slow: 50 });
  assert.equal(node.lookbackBars(), 50);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("SmaCrossNode.transform() on many assets equals each asset alone, bit for bit", () => {
  for (const [what, df] of _variants(150)) {
    _assertSameAsPerAsset(new SmaCrossNode("sma", { fast: 5, slow: 37 }), df, what);
  }
});

Deno.test("SmaCrossNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, df] of _variants(150)) {
    const node = new SmaCrossNode("sma", { fast: 5, slow: 37 });
    _assertColumnsLikePolars(node, df, what);
    _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), 37, what);
  }
});
