import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ConfigError, DataError } from "../../errors/mod.ts";
import { ColumnFrame } from "../../frame/mod.ts";
import { RidgeNode } from "./ridge_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertFramesEqual,
  _assertPrefixCausal,
  _assertStartIndependent,
  _assertTailSlicesAgree,
  _ASSETS,
  _col,
  _FIVE_MIN,
  _rng,
  _T0,
} from "./_test_utils.ts";

/**
 * Long frame with features x1, x2 and a return column whose NEXT value per asset is
 * `0.5 + 2 x1 − 3 x2 + noise` (the asset's first return is null).
 */
function _synthetic(n: number, noise: number, seed = 3): pl.DataFrame {
  const rand = _rng(seed);
  const rows: { t: number; a: number; x1: number; x2: number | null; ret: number | null }[] = [];
  for (const a of _ASSETS) {
    let prev: number | null = null;
    for (let i = 0; i < n; i++) {
      const x1 = rand() - 0.5;
      const x2 = rand() * 2 - 1;
      rows.push({ t: _T0 + (i + 1) * _FIVE_MIN, a, x1, x2: i === 5 ? null : x2, ret: prev });
      prev = 0.5 + 2 * x1 - 3 * x2 + noise * (rand() - 0.5);
    }
  }
  rows.sort((p, q) => p.t - q.t || p.a - q.a);
  return pl.DataFrame({
    timestamp: pl.Series("timestamp", rows.map((r) => r.t)).cast(pl.Int64).cast(
      pl.Datetime("ms", "UTC"),
    ),
    asset_id: pl.Series("asset_id", rows.map((r) => r.a)).cast(pl.Int64),
    x1: rows.map((r) => r.x1),
    x2: rows.map((r) => r.x2),
    ret: rows.map((r) => r.ret),
  });
}

const _CONFIG = { features: ["x1", "x2"], target_col: "ret", alpha: 0 };

Deno.test("RidgeNode.fit() recovers known coefficients pooled across assets", () => {
  const df = _synthetic(200, 0);
  const node = new RidgeNode("ridge", _CONFIG);
  const out = node.fit({ df_in: df })["df_out"] as pl.DataFrame;
  const state = node.getFitState() as { coef: number[]; intercept: number; n: number };
  assert.ok(Math.abs((state.coef[0] as number) - 2) < 1e-10, `coef ${state.coef}`);
  assert.ok(Math.abs((state.coef[1] as number) + 3) < 1e-10, `coef ${state.coef}`);
  assert.ok(Math.abs(state.intercept - 0.5) < 1e-10);
  // 3 assets × (200 rows − the last, whose next return is unknown − the row with null x2).
  assert.equal(state.n, 3 * 198);
  const x1 = _col(df, "x1") as number[];
  const x2 = _col(df, "x2") as (number | null)[];
  _assertClose(
    _col(out, "prediction"),
    x1.map((v, i) => x2[i] === null ? null : 0.5 + 2 * v - 3 * (x2[i] as number)),
    1e-9,
    "prediction",
  );
});

/** `df` without some rows of the second asset (an irregular frame: a gap and a late start). */
function _irregular(df: pl.DataFrame): pl.DataFrame {
  const row = pl.col("timestamp").cumCount().over("asset_id");
  return df.filter(
    pl.col("asset_id").neq(pl.lit(_ASSETS[1])).or(row.gtEq(5).and(row.lt(40).or(row.gt(44)))),
  );
}

Deno.test("RidgeNode.fit() shrinks by alpha as the closed form says (any frame)", () => {
  for (const df of [_synthetic(100, 0.5), _irregular(_synthetic(100, 0.5))]) _checkClosedForm(df);
});

function _checkClosedForm(df: pl.DataFrame): void {
  const alpha = 7;
  const node = new RidgeNode("ridge", { features: ["x1"], target_col: "ret", alpha });
  node.fit({ df_in: df });
  // Independent closed form for one feature: β = Σ xc·yc / (Σ xc² + α), b = ȳ − β x̄.
  const byAsset = new Map<number, { x: number; y: number | null }[]>();
  const ids = _col(df, "asset_id") as number[];
  const x1 = _col(df, "x1") as number[];
  const ret = _col(df, "ret") as (number | null)[];
  ids.forEach((a, i) => {
    const list = byAsset.get(a) ?? [];
    list.push({ x: x1[i] as number, y: ret[i] ?? null });
    byAsset.set(a, list);
  });
  const pairs: [number, number][] = [];
  for (const list of byAsset.values()) {
    list.forEach((r, t) => {
      const next = list[t + 1]?.y;
      if (next !== undefined && next !== null) pairs.push([r.x, next]);
    });
  }
  const mx = pairs.reduce((s, p) => s + p[0], 0) / pairs.length;
  const my = pairs.reduce((s, p) => s + p[1], 0) / pairs.length;
  const sxy = pairs.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = pairs.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const beta = sxy / (sxx + alpha);
  const state = node.getFitState() as { coef: number[]; intercept: number; alpha: number };
  assert.ok(Math.abs((state.coef[0] as number) - beta) < 1e-12);
  assert.ok(Math.abs(state.intercept - (my - beta * mx)) < 1e-12);
  assert.equal(state.alpha, alpha);
  assert.equal((node.getFitState() as { n: number }).n, pairs.length);
}

Deno.test("RidgeNode fit state round-trips through JSON", () => {
  const df = _synthetic(60, 0.3);
  const node = new RidgeNode("ridge", { ..._CONFIG, alpha: 0.5 });
  const fitted = node.fit({ df_in: df })["df_out"] as pl.DataFrame;
  const json = JSON.stringify(node.getFitState());
  const restored = new RidgeNode("ridge", { ..._CONFIG, alpha: 0.5 });
  restored.setFitState(JSON.parse(json));
  assert.deepEqual(restored.getFitState(), node.getFitState());
  assert.deepEqual(Object.keys(JSON.parse(json)).sort(), [
    "alpha",
    "coef",
    "features",
    "intercept",
    "n",
  ]);
  _assertFramesEqual(
    restored.predict({ df_in: df })["df_out"] as pl.DataFrame,
    fitted,
    "restored predict",
  );
});

Deno.test("RidgeNode.predict() before fit and bad fit states are clear errors", () => {
  const node = new RidgeNode("ridge", _CONFIG);
  assert.equal(node.getFitState(), null);
  assert.throws(() => node.predict({ df_in: _synthetic(5, 0) }), /predict called before fit/);
  assert.throws(
    () => node.setFitState({ features: ["x1"], coef: [1], intercept: 0, alpha: 0, n: 1 }),
    /differ from the config/,
  );
  assert.throws(
    () => node.setFitState({ features: ["x1", "x2"], coef: [1], intercept: 0, alpha: 0, n: 1 }),
    ConfigError,
  );
  assert.throws(() => node.setFitState([1, 2]), ConfigError);
  assert.throws(
    () =>
      node.fit({ df_in: _synthetic(5, 0).withColumns(pl.lit(null).cast(pl.Float64).alias("ret")) }),
    DataError,
  );
  const collinear = _synthetic(20, 0).withColumns(pl.col("x1").mul(2).alias("x2"));
  assert.throws(() => node.fit({ df_in: collinear }), /singular/);
});

Deno.test("RidgeNode.predict() is causal and start-independent", () => {
  const df = _synthetic(40, 0.2);
  const node = new RidgeNode("ridge", { ..._CONFIG, alpha: 1 });
  node.fit({ df_in: df });
  assert.equal(node.lookbackBars(), 1);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("RidgeNode.fitColumns()/predictColumns() equal fit()/predict() and agree on tail slices", () => {
  for (const df of [_synthetic(60, 0.3), _irregular(_synthetic(60, 0.3))]) {
    const viaPolars = new RidgeNode("ridge", { ..._CONFIG, alpha: 0.5 });
    const fitted = viaPolars.fit({ df_in: df })["df_out"] as pl.DataFrame;
    const viaColumns = new RidgeNode("ridge", { ..._CONFIG, alpha: 0.5 });
    const frame = ColumnFrame.fromPolars(df);
    const out = viaColumns.fitColumns({ df_in: frame })["df_out"] as ColumnFrame;
    assert.deepEqual(viaColumns.getFitState(), viaPolars.getFitState());
    _assertFramesEqual(out.toPolars(), fitted, "fitColumns vs fit");
    _assertColumnsLikePolars(viaColumns, df, "predictColumns vs predict");
    _assertTailSlicesAgree(viaColumns, frame, 1, "predictColumns");
  }
  const node = new RidgeNode("ridge", _CONFIG);
  assert.throws(
    () => node.predictColumns({ df_in: ColumnFrame.fromPolars(_synthetic(5, 0)) }),
    /predict called before fit/,
  );
  assert.throws(() => node.fitColumns({}), /missing input 'df_in'/);
});
