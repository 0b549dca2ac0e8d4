import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ColumnFrame } from "../../frame/mod.ts";
import { AdjustedReturnsNode } from "./adjusted_returns_node.ts";
import { ReturnsNode } from "./returns_node.ts";
import { VolatilityNode } from "./volatility_node.ts";
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
  _perAssetJs,
  _variants,
} from "./_test_utils.ts";

function _frame(n: number): pl.DataFrame {
  const df = new ReturnsNode("ret").transform(_bars(n));
  return new VolatilityNode("vol", { tau: 3, window: 6, min_periods: 2 }).transform(df);
}

Deno.test("AdjustedReturnsNode.transform() divides by the delayed volatility per asset", () => {
  const df = _frame(50);
  for (const delay of [0, 1, 2]) {
    const out = new AdjustedReturnsNode("adj", { delay }).transform(df);
    const vol = _perAssetJs(
      df,
      "vol",
      (v) => v.map((_, t) => t - delay >= 0 ? v[t - delay] ?? null : null),
    );
    const ret = _col(df, "ret_0") as (number | null)[];
    const expected = ret.map((r, i) => {
      const s = vol[i];
      return r === null || s === null || s === undefined || !(s > 0) ? null : r / s;
    });
    _assertClose(_col(out, "ret_0_vol_adj"), expected, 0, `delay ${delay}`);
  }
});

Deno.test("AdjustedReturnsNode.transform() gives null for a zero volatility", () => {
  const df = _frame(20).withColumns(pl.lit(0).cast(pl.Float64).alias("vol"));
  const out = new AdjustedReturnsNode("adj").transform(df);
  assert.equal(out.getColumn("ret_0_vol_adj").nullCount(), df.height);
});

Deno.test("AdjustedReturnsNode.transform() is causal and start-independent", () => {
  const df = _frame(60);
  const node = new AdjustedReturnsNode("adj", { delay: 2 });
  assert.equal(node.lookbackBars(), 3);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("AdjustedReturnsNode.transform() equals its Polars expression bit for bit (NaN compared as null)", () => {
  for (const [what, bars] of _variants(60)) {
    const df0 = new VolatilityNode("vol", { tau: 3, window: 6, min_periods: 2 }).transform(
      new ReturnsNode("ret").transform(bars),
    );
    // Volatilities that are NaN, zero or negative too. NaN compared as null: the node reads a
    // NaN volatility as null (no value) and writes the NaN it computes as null.
    const v = (_col(df0, "vol") as (number | null)[]).map((x, i) =>
      i % 17 === 3 ? NaN : i % 19 === 4 ? 0 : i % 23 === 5 ? -1 : x
    );
    const df = df0.withColumns(pl.Series("vol", v, pl.Float64));
    for (const delay of [0, 1, 2]) {
      const vol = pl.col("vol").cast(pl.Float64).shift(delay).over("asset_id");
      const adj = pl.when(vol.gt(0)).then(pl.col("ret_0").cast(pl.Float64).div(vol)).otherwise(
        pl.lit(null),
      );
      _assertFramesEqual(
        _nanAsNull(new AdjustedReturnsNode("adj", { delay }).transform(df)),
        _nanAsNull(df.withColumns(adj.alias("ret_0_vol_adj"))),
        `${what}, delay ${delay}`,
      );
    }
  }
});

Deno.test("AdjustedReturnsNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, bars] of _variants(60)) {
    const df = new VolatilityNode("vol", { tau: 3, window: 6, min_periods: 2 }).transform(
      new ReturnsNode("ret").transform(bars),
    );
    for (const delay of [0, 1, 2]) {
      const node = new AdjustedReturnsNode("adj", { delay });
      _assertColumnsLikePolars(node, df, `${what}, delay ${delay}`);
      _assertTailSlicesAgree(
        node,
        ColumnFrame.fromPolars(df),
        delay + 1,
        `${what}, delay ${delay}`,
      );
    }
  }
});
