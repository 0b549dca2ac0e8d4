import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { ColumnFrame } from "../../frame/mod.ts";
import { ReturnsNode } from "./returns_node.ts";
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

Deno.test("ReturnsNode.transform() pct and log returns per asset", () => {
  const df = _bars(60);
  for (const mode of ["pct", "log"] as const) {
    const out = new ReturnsNode("ret", { mode }).transform(df);
    const expected = _perAssetJs(df, "close", (p) =>
      p.map((v, i) => {
        if (i === 0) return null;
        const r = (v as number) / (p[i - 1] as number);
        return mode === "pct" ? r - 1 : Math.log(r);
      }));
    _assertClose(_col(out, "ret_0"), expected, 1e-15, mode);
    assert.deepEqual(out.columns, [...df.columns, "ret_0"]);
  }
});

Deno.test("ReturnsNode.transform() is causal and start-independent", () => {
  const df = _bars(80);
  for (const mode of ["pct", "log"] as const) {
    const node = new ReturnsNode("ret", { mode, out_col: "r" });
    assert.equal(node.lookbackBars(), 2);
    _assertPrefixCausal(node, df);
    _assertStartIndependent(node, df);
  }
});

Deno.test("ReturnsNode() rejects bad config and missing columns", () => {
  assert.throws(() => new ReturnsNode("ret", { mode: "diff" as "pct" }), ConfigError);
  assert.throws(
    () => new ReturnsNode("ret", { windw: 3 } as unknown as Record<string, never>),
    /unknown config key 'windw'/,
  );
  assert.throws(
    () => new ReturnsNode("ret", { in_col: "vwap" }).transform(_bars(5)),
    /column\(s\) 'vwap' \(config key 'in_col'\) not in its input frame/,
  );
  assert.deepEqual(ReturnsNode.configTemplate, { in_col: "close", out_col: "ret_0", mode: "pct" });
});

Deno.test("ReturnsNode.transform() equals its Polars expression (NaN compared as null, any frame)", () => {
  for (const [what, df] of _variants(60)) {
    for (const mode of ["pct", "log"] as const) {
      // NaN compared as null: the node writes the NaN it computes as null.
      const p = pl.col("close").cast(pl.Float64);
      const ratio = p.div(p.shift(1));
      const ret = mode === "pct" ? ratio.minus(1) : ratio.log();
      const expected = _nanAsNull(df.withColumns(ret.over("asset_id").alias("ret_0")));
      const out = _nanAsNull(new ReturnsNode("ret", { mode }).transform(df));
      if (mode === "pct") {
        _assertFramesEqual(out, expected, `${what}, ${mode}`);
      } else {
        // ln is Math.log (JS), not Polars' ln: equal within an ulp, not bit for bit.
        _assertFramesEqual(out.drop("ret_0"), expected.drop("ret_0"), `${what}, ${mode}`);
        _assertClose(
          _col(out, "ret_0"),
          _col(expected, "ret_0") as (number | null)[],
          1e-17,
          `${what}, ${mode}`,
        );
      }
    }
  }
});

Deno.test("ReturnsNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, df] of _variants(60)) {
    for (const mode of ["pct", "log"] as const) {
      const node = new ReturnsNode("ret", { mode });
      _assertColumnsLikePolars(node, df, `${what}, ${mode}`);
      _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), 2, `${what}, ${mode}`);
    }
  }
});
