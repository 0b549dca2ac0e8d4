import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError } from "../../errors/mod.ts";
import { ColumnFrame } from "../../frame/mod.ts";
import { CrossSectionalDemeanNode } from "./cross_sectional_demean_node.ts";
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

const _T = (m: number) => new Date(Date.UTC(2025, 0, 1, 0, m));

Deno.test("CrossSectionalDemeanNode.transform() subtracts the timestamp's mean", () => {
  const df = pl.DataFrame({
    timestamp: [_T(5), _T(5), _T(5), _T(10), _T(10), _T(15)],
    asset_id: [1, 2, 3, 1, 2, 3],
    x: [1, 2, 6, null, 4, Number.NaN],
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")));
  const out = new CrossSectionalDemeanNode("d", { in_col: "x", out_col: "y" }).transform(df);
  _assertClose(_col(out, "y"), [-2, -1, 3, null, 0, null], 0, "demeaned");
});

Deno.test("CrossSectionalDemeanNode.transform() rejects a frame not sorted by timestamp", () => {
  const df = pl.DataFrame({ timestamp: [_T(10), _T(5)], asset_id: [1, 1], x: [1, 2] });
  assert.throws(() => new CrossSectionalDemeanNode("d", { in_col: "x" }).transform(df), DataError);
});

Deno.test("CrossSectionalDemeanNode.transform() is causal and start-independent", () => {
  const df = new ReturnsNode("ret").transform(_bars(40));
  const node = new CrossSectionalDemeanNode("d");
  assert.equal(node.lookbackBars(), 1);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("CrossSectionalDemeanNode.transformColumns() equals transform(), Polars and tail slices", () => {
  for (const [what, df] of _variants(60)) {
    const node = new CrossSectionalDemeanNode("d", { in_col: "close", out_col: "y" });
    _assertColumnsLikePolars(node, df, what);
    _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), 1, what, { crossSectional: true });
    // Polars' group mean sums in its own order: equal within rounding.
    const x = pl.col("close");
    const expected = _nanAsNull(df).withColumns(x.minus(x.mean().over("timestamp")).alias("y"));
    _assertClose(
      _col(node.transform(df), "y"),
      _col(expected, "y") as (number | null)[],
      1e-12,
      what,
    );
  }
});

Deno.test("CrossSectionalDemeanNode.transformColumns() rejects a null timestamp", () => {
  const frame = ColumnFrame.fromPolars(
    pl.DataFrame({ timestamp: [1, null], asset_id: [1, 2], x: [1, 2] }),
  );
  assert.throws(
    () => new CrossSectionalDemeanNode("d", { in_col: "x" }).transformColumns(frame),
    /null timestamp/,
  );
});
