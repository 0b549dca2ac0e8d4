import assert from "node:assert/strict";
import { ColumnFrame } from "../../frame/mod.ts";
import pl from "nodejs-polars";
import { DataError } from "../../errors/mod.ts";
import { RollingMeanNode } from "./rolling_mean_node.ts";
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

function _naiveMean(x: (number | null)[], window: number, minPeriods: number): (number | null)[] {
  return x.map((_, t) => {
    let s = 0;
    let n = 0;
    for (let k = Math.max(0, t - window + 1); k <= t; k++) {
      const v = x[k];
      if (v !== null && v !== undefined && !Number.isNaN(v)) {
        s += v;
        n++;
      }
    }
    return n >= minPeriods ? s / n : null;
  });
}

Deno.test("RollingMeanNode.transform() equals a plain per-asset rolling mean", () => {
  const df = _bars(70);
  for (const [window, minPeriods] of [[1, null], [5, null], [8, 3], [33, null]] as const) {
    const node = new RollingMeanNode("m", { window, min_periods: minPeriods });
    const out = node.transform(df);
    const expected = _perAssetJs(df, "close", (x) => _naiveMean(x, window, minPeriods ?? window));
    _assertClose(_col(out, "rolling_mean"), expected, 1e-10, `window ${window}`);
  }
});

Deno.test("RollingMeanNode.transform() skips nulls within the window", () => {
  const df = _bars(20).withColumns(
    pl.when(pl.col("close").gt(200).and(pl.col("close").lt(300))).then(pl.lit(null)).otherwise(
      pl.col("close"),
    ).alias("x"),
  );
  assert.ok(df.getColumn("x").nullCount() > 3);
  const out = new RollingMeanNode("m", { in_col: "x", out_col: "m", window: 4, min_periods: 2 })
    .transform(df);
  const expected = _perAssetJs(df, "x", (x) => _naiveMean(x, 4, 2));
  _assertClose(_col(out, "m"), expected, 1e-10, "nulls");
});

Deno.test("RollingMeanNode.transform() is causal and start-independent", () => {
  const df = _bars(120);
  for (const window of [3, 10, 21]) {
    const node = new RollingMeanNode("m", { window });
    assert.equal(node.lookbackBars(), window);
    _assertPrefixCausal(node, df);
    _assertStartIndependent(node, df);
  }
});

Deno.test("RollingMeanNode.transform() rejects frames not sorted within an asset", () => {
  const df = _bars(10);
  const shuffled = df.slice(3, 10).vstack(df.slice(0, 3));
  assert.throws(
    () => new RollingMeanNode("m", { window: 2 }).transform(shuffled),
    (err: unknown) =>
      err instanceof DataError && /is not after the asset's previous row/.test(err.message),
  );
  const duplicated = df.vstack(df.slice(df.height - 1, 1));
  assert.throws(() => new RollingMeanNode("m").transform(duplicated), DataError);
});

Deno.test("RollingMeanNode.transform() on many assets equals each asset alone, bit for bit", () => {
  for (const [what, df] of _variants(100)) {
    _assertSameAsPerAsset(new RollingMeanNode("m", { window: 9, min_periods: 3 }), df, what);
  }
});

Deno.test("RollingMeanNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, df] of _variants(100)) {
    for (const [window, minPeriods] of [[9, 3], [20, null]] as const) {
      const node = new RollingMeanNode("m", { window, min_periods: minPeriods });
      const where = `${what}, window ${window}`;
      _assertColumnsLikePolars(node, df, where);
      _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), window, where);
    }
  }
});
