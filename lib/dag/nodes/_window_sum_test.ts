import assert from "node:assert/strict";
import {
  _fullWindowMeans,
  _rollingMean,
  _windowSum,
  _windowSumCount,
  _windowSums,
} from "./_window_sum.ts";
import { _rng } from "./_test_utils.ts";

function _series(n: number, seed: number): Float64Array {
  const rand = _rng(seed);
  const x = new Float64Array(n);
  let p = 30_000;
  for (let i = 0; i < n; i++) {
    p *= 1 + (rand() - 0.5) * 0.02;
    x[i] = p;
  }
  return x;
}

Deno.test("_windowSum() equals the plain weighted window sum", () => {
  const x = _series(300, 1);
  for (const window of [1, 2, 3, 5, 10, 17, 50, 64, 100]) {
    for (const decay of [1, 0.9, 0.5]) {
      const got = _windowSum(x, window, decay);
      for (let t = 0; t < x.length; t++) {
        let s = 0;
        for (let k = 0; k < window && t - k >= 0; k++) {
          s += Math.pow(decay, k) * (x[t - k] as number);
        }
        assert.ok(
          Math.abs((got[t] as number) - s) <= 1e-12 * Math.abs(s),
          `w=${window} d=${decay} t=${t}`,
        );
      }
    }
  }
});

Deno.test("_windowSum() does not depend on where the series starts (bit for bit)", () => {
  const x = _series(5000, 2);
  for (const window of [2, 10, 33, 50, 320]) {
    for (const decay of [1, 0.97]) {
      const full = _windowSum(x, window, decay);
      for (const start of [1, 499, 500, 1234]) {
        const part = _windowSum(x.subarray(start), window, decay);
        for (let t = window - 1; t < part.length; t++) {
          if (!Object.is(part[t], full[t + start])) {
            assert.fail(
              `w=${window} decay=${decay} start=${start} t=${t}: ${part[t]} vs ${full[t + start]}`,
            );
          }
        }
      }
    }
  }
});

Deno.test("_windowSumCount() skips NaN and counts valid values", () => {
  const x = Float64Array.from([1, Number.NaN, 3, 4, Number.NaN, Number.NaN, 7]);
  const { sum, count } = _windowSumCount(x, 3);
  assert.deepEqual([...sum], [1, 1, 4, 7, 7, 4, 7]);
  assert.deepEqual([...count], [1, 1, 2, 2, 2, 1, 1]);
  const mean = _rollingMean(x, 3, 2);
  assert.deepEqual([...mean].map((v) => Number.isNaN(v) ? null : v), [
    null,
    null,
    2,
    3.5,
    3.5,
    null,
    null,
  ]);
});

Deno.test("_windowSums() and _fullWindowMeans() equal their one-window forms bit for bit", () => {
  const x = _series(700, 3);
  const windows = [10, 50, 7, 64];
  const many = _windowSums(x, windows, 0.93);
  windows.forEach((w, k) => assert.deepEqual(many[k], _windowSum(x, w, 0.93)));
  const withNaN = x.slice();
  withNaN[100] = Number.NaN;
  for (const series of [x, withNaN]) {
    const means = _fullWindowMeans(series, windows);
    windows.forEach((w, k) => assert.deepEqual(means[k], _rollingMean(series, w, w)));
  }
});
