import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { CrossSectionalRankNode } from "./cross_sectional_rank_node.ts";
import { ReturnsNode } from "./returns_node.ts";
import { _normalQuantile } from "./_normal_quantile.ts";
import {
  _assertClose,
  _assertPrefixCausal,
  _assertStartIndependent,
  _bars,
  _col,
} from "./_test_utils.ts";

const _T = (m: number) => new Date(Date.UTC(2025, 0, 1, 0, m));

function _frame(): pl.DataFrame {
  return pl.DataFrame({
    timestamp: [_T(5), _T(5), _T(5), _T(5), _T(10), _T(10), _T(15)],
    asset_id: [1, 2, 3, 4, 1, 2, 3],
    x: [0.3, -0.1, 0.3, null, 2, Number.NaN, 5],
  }).withColumns(
    pl.col("timestamp").cast(pl.Datetime("ms", "UTC")),
    pl.col("asset_id").cast(pl.Int64),
  );
}

Deno.test("CrossSectionalRankNode.transform() ranks within each timestamp", () => {
  const df = _frame();
  const raw = new CrossSectionalRankNode("r", { in_col: "x", mode: "raw" }).transform(df);
  _assertClose(_col(raw, "cs_rank"), [2.5, 1, 2.5, null, 1, null, 1], 0, "raw");
  const uni = new CrossSectionalRankNode("r", { in_col: "x", mode: "uniform" }).transform(df);
  _assertClose(_col(uni, "cs_rank"), [0.5, -1, 0.5, null, 0, null, 0], 1e-15, "uniform");
  const gauss = new CrossSectionalRankNode("r", { in_col: "x", mode: "gaussian" }).transform(df);
  const q = _normalQuantile;
  _assertClose(
    _col(gauss, "cs_rank"),
    [q(2 / 3), q(1 / 6), q(2 / 3), null, 0, null, 0],
    1e-15,
    "gaussian",
  );
});

Deno.test("_normalQuantile() matches known quantiles", () => {
  assert.equal(_normalQuantile(0.5), 0);
  assert.ok(Math.abs(_normalQuantile(0.975) - 1.959963984540054) < 1e-15);
  assert.ok(Math.abs(_normalQuantile(0.8413447460685429) - 1) < 1e-14);
  assert.ok(Math.abs(_normalQuantile(1e-10) + 6.361340902404056) < 1e-13);
  assert.ok(Math.abs(_normalQuantile(1e-20) + 9.262340089798408) < 1e-13);
  assert.equal(_normalQuantile(0.3), -_normalQuantile(0.7));
});

Deno.test("CrossSectionalRankNode.transform() is causal and start-independent", () => {
  const df = new ReturnsNode("ret").transform(_bars(40));
  for (const mode of ["raw", "uniform", "gaussian"] as const) {
    const node = new CrossSectionalRankNode("r", { mode });
    _assertPrefixCausal(node, df);
    _assertStartIndependent(node, df);
  }
});
