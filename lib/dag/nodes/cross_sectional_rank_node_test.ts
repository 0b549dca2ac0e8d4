import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ColumnFrame } from "../../frame/mod.ts";
import { CrossSectionalRankNode } from "./cross_sectional_rank_node.ts";
import { ReturnsNode } from "./returns_node.ts";
import { _normalQuantile } from "./_normal_quantile.ts";
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
  _rng,
  _variants,
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

/**
 * `times` timestamps of `assets` assets each, with few distinct values (many ties), some
 * nulls and some NaN in `x`.
 */
function _tied(times: number, assets: number): pl.DataFrame {
  const rand = _rng(11);
  const ts: number[] = [];
  const ids: number[] = [];
  const x: (number | null)[] = [];
  for (let t = 0; t < times; t++) {
    for (let a = 0; a < assets; a++) {
      ts.push(Date.UTC(2025, 0, 1) + t * 300_000);
      ids.push(a + 1);
      const u = rand();
      x.push(u < 0.05 ? null : u < 0.1 ? Number.NaN : Math.floor(rand() * 7) - 3);
    }
  }
  return pl.DataFrame({
    timestamp: pl.Series("timestamp", ts).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
    asset_id: pl.Series("asset_id", ids).cast(pl.Int64),
    x: pl.Series("x", x, pl.Float64),
  });
}

Deno.test("CrossSectionalRankNode.transform() equals Polars' average rank (ties, small and large groups)", () => {
  // 5 assets: ranked by counting; 45 assets: ranked by sorting.
  for (const df of [_tied(30, 5), _tied(12, 45)]) {
    const x = pl.col("x").fillNan(null);
    const r = x.rank("average").over("timestamp").cast(pl.Float64);
    const n = x.count().over("timestamp").cast(pl.Float64);
    const nulled = _nanAsNull(df);
    const raw = new CrossSectionalRankNode("r", { in_col: "x", mode: "raw" }).transform(df);
    _assertFramesEqual(_nanAsNull(raw), nulled.withColumns(r.alias("cs_rank")), "raw");
    const uniform = pl.when(n.gt(1)).then(r.minus(1).mul(2).div(n.minus(1)).minus(1)).otherwise(
      pl.when(r.isNotNull()).then(pl.lit(0)).otherwise(pl.lit(null)),
    ).cast(pl.Float64);
    _assertFramesEqual(
      _nanAsNull(new CrossSectionalRankNode("r", { in_col: "x", mode: "uniform" }).transform(df)),
      nulled.withColumns(uniform.alias("cs_rank")),
      "uniform",
    );
    const p = _col(nulled.select(r.minus(0.5).div(n).alias("p")), "p") as (number | null)[];
    const gauss = new CrossSectionalRankNode("r", { in_col: "x", mode: "gaussian" }).transform(df);
    assert.deepEqual(
      _col(gauss, "cs_rank"),
      p.map((v) => v === null ? null : _normalQuantile(v)),
      "gaussian",
    );
  }
});

Deno.test("CrossSectionalRankNode.transformColumns() equals transform() and agrees on tail slices", () => {
  const frames: [string, pl.DataFrame][] = [..._variants(40), ["45 assets", _tied(12, 45)]];
  for (const [what, df] of frames) {
    for (const mode of ["raw", "uniform", "gaussian"] as const) {
      const in_col = df.columns.includes("x") ? "x" : "close";
      const node = new CrossSectionalRankNode("r", { in_col, mode });
      _assertColumnsLikePolars(node, df, `${what}, ${mode}`);
      _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), 1, `${what}, ${mode}`, {
        crossSectional: true,
      });
    }
  }
});
