import assert from "node:assert/strict";
import { ColumnFrame } from "../../frame/mod.ts";
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { ReturnsNode } from "./returns_node.ts";
import { VolatilityNode } from "./volatility_node.ts";
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

function _naiveVol(
  r: (number | null)[],
  alpha: number,
  window: number,
  minPeriods: number,
): (number | null)[] {
  return r.map((_, t) => {
    let num = 0;
    let den = 0;
    let count = 0;
    for (let k = 0; k < window && t - k >= 0; k++) {
      const v = r[t - k];
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      const w = Math.pow(1 - alpha, k);
      num += w * v * v;
      den += w;
      count++;
    }
    return count >= minPeriods ? Math.sqrt(num / den) : null;
  });
}

function _withReturns(n: number): pl.DataFrame {
  return new ReturnsNode("ret").transform(_bars(n));
}

Deno.test("VolatilityNode.transform() matches a plain finite-window EWMA per asset", () => {
  const df = _withReturns(90);
  const cases = [
    { tau: 5, com: null, window: 12, min_periods: 4 },
    { tau: null, com: 3, window: 20, min_periods: null },
    { tau: 32, com: null, window: 7, min_periods: 1 },
  ];
  for (const c of cases) {
    const node = new VolatilityNode("vol", c);
    const alpha = c.com !== null ? 1 / (1 + c.com) : 1 - Math.exp(-1 / (c.tau as number));
    assert.ok(Math.abs(node.alpha - alpha) < 1e-16);
    const out = node.transform(df);
    const expected = _perAssetJs(
      df,
      "ret_0",
      (r) => _naiveVol(r, alpha, c.window, c.min_periods ?? c.window),
    );
    const got = _col(out, "vol");
    // Relative tolerance: the doubling sums differ from the plain loop in the last bits.
    _assertClose(
      got.map((v, i) => v === null ? null : (v as number) / ((expected[i] ?? 1) as number)),
      expected.map((v) => v === null ? null : 1),
      1e-13,
      JSON.stringify(c),
    );
  }
});

Deno.test("VolatilityNode.transform() is causal and start-independent", () => {
  const df = _withReturns(120);
  const node = new VolatilityNode("vol", { tau: 4, window: 13, min_periods: 3 });
  assert.equal(node.lookbackBars(), 13);
  _assertPrefixCausal(node, df);
  _assertStartIndependent(node, df);
});

Deno.test("VolatilityNode() rejects inconsistent config", () => {
  assert.throws(() => new VolatilityNode("v", { tau: null, com: null }), /set config key 'tau'/);
  assert.throws(() => new VolatilityNode("v", { window: 5, min_periods: 6 }), ConfigError);
  assert.throws(() => new VolatilityNode("v", { tau: -1 }), /'tau' must be a number > 0/);
  assert.throws(() => new VolatilityNode("v", { window: 2.5 }), /positive integer/);
});

Deno.test("VolatilityNode.transform() on many assets equals each asset alone, bit for bit", () => {
  for (const [what, bars] of _variants(150)) {
    const df = new ReturnsNode("ret").transform(bars);
    for (const c of [{ tau: 5, window: 40, min_periods: 3 }, { tau: 9, window: 70 }]) {
      _assertSameAsPerAsset(new VolatilityNode("vol", c), df, `${what} ${JSON.stringify(c)}`);
    }
  }
});

Deno.test("VolatilityNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, bars] of _variants(150)) {
    const df = new ReturnsNode("ret").transform(bars);
    for (const c of [{ tau: 5, window: 40, min_periods: 3 }, { tau: 9, window: 70 }]) {
      const node = new VolatilityNode("vol", c);
      const where = `${what} ${JSON.stringify(c)}`;
      _assertColumnsLikePolars(node, df, where);
      _assertTailSlicesAgree(node, ColumnFrame.fromPolars(df), c.window, where);
    }
  }
});
