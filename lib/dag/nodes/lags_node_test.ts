import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ColumnFrame } from "../../frame/mod.ts";
import { LagsNode } from "./lags_node.ts";
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

Deno.test("LagsNode.transform() adds <col>_lag_<k> per asset", () => {
  const df = _bars(30);
  const node = new LagsNode("lags", { in_cols: ["close", "volume"], n_lags: 3, first_lag: 0 });
  const out = node.transform(df);
  assert.deepEqual(node.outputColumns(), [
    "close_lag_0",
    "close_lag_1",
    "close_lag_2",
    "volume_lag_0",
    "volume_lag_1",
    "volume_lag_2",
  ]);
  assert.deepEqual(out.columns, [...df.columns, ...node.outputColumns()]);
  for (const col of ["close", "volume"]) {
    for (const k of [0, 1, 2]) {
      const expected = _perAssetJs(
        df,
        col,
        (x) => x.map((_, t) => t - k >= 0 ? x[t - k] ?? null : null),
      );
      _assertClose(_col(out, `${col}_lag_${k}`), expected, 0, `${col} lag ${k}`);
    }
  }
  const late = new LagsNode("lags", { in_cols: ["close"], n_lags: 2, first_lag: 1 });
  assert.deepEqual(late.outputColumns(), ["close_lag_1", "close_lag_2"]);
  assert.equal(late.lookbackBars(), 3);
});

Deno.test("LagsNode.transform() is causal and start-independent", () => {
  const df = _bars(50);
  const node = new LagsNode("lags", { in_cols: ["close"], n_lags: 4, first_lag: 1 });
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("LagsNode.transform() equals its Polars expression bit for bit (any dtype, any frame)", () => {
  for (const [what, holed] of _variants(40)) {
    // The node library reads a NaN as null (ColumnFrame): the expression sees NaN as null too,
    // and NaN and null are compared as one missing value.
    const df = _nanAsNull(holed);
    for (const first_lag of [0, 2]) {
      const in_cols = ["close", "full_symbol", "asset_id"];
      const node = new LagsNode("lags", { in_cols, n_lags: 3, first_lag });
      const expected = df.withColumns(
        ...in_cols.flatMap((col) =>
          [0, 1, 2].map((i) => {
            const k = first_lag + i;
            const e = k === 0 ? pl.col(col) : pl.col(col).shift(k).over("asset_id");
            return e.alias(`${col}_lag_${k}`);
          })
        ),
      );
      _assertFramesEqual(
        _nanAsNull(node.transform(holed)),
        expected,
        `${what}, first lag ${first_lag}`,
      );
    }
  }
});

Deno.test("LagsNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, df] of _variants(60)) {
    const node = new LagsNode("lags", {
      in_cols: ["close", "full_symbol", "timestamp"],
      n_lags: 3,
      first_lag: 1,
    });
    _assertColumnsLikePolars(node, df, what);
    _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), node.lookbackBars(), what);
  }
});
