import assert from "node:assert/strict";
import {
  _fullWindowMeans,
  _rollingMean,
  _windowCount,
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

Deno.test("_windowSums() and _fullWindowMeans() (with or without a stride) equal their one-window forms bit for bit", () => {
  const x = _series(700, 3);
  const windows = [10, 50, 7, 64];
  const many = _windowSums(x, windows, 0.93);
  windows.forEach((w, k) => assert.deepEqual(many[k], _windowSum(x, w, 0.93)));
  const withNaN = x.slice();
  withNaN[100] = Number.NaN;
  for (const series of [x, withNaN]) {
    const means = _fullWindowMeans(series, windows);
    windows.forEach((w, k) => assert.deepEqual(means[k], _rollingMean(series, w, w)));
    for (const stride of [3, 14]) {
      const strided = _fullWindowMeans(series, windows, stride);
      windows.forEach((w, k) => assert.deepEqual(strided[k], _rollingMean(series, w, w, stride)));
    }
  }
});

Deno.test("_windowSums() with a stride sums each interleaved series on its own, bit for bit", () => {
  const x = _series(3000, 4);
  for (const stride of [2, 3, 14]) {
    const n = x.length - 1; // the last cycle cut short
    const many = _windowSums(x.subarray(0, n), [10, 50, 7], 0.96, stride);
    for (let g = 0; g < stride; g++) {
      const one = Float64Array.from(
        { length: Math.ceil((n - g) / stride) },
        (_, t) => x[t * stride + g] as number,
      );
      const alone = _windowSums(one, [10, 50, 7], 0.96);
      alone.forEach((sums, k) => {
        sums.forEach((v, t) => {
          const got = (many[k] as Float64Array)[t * stride + g];
          if (!Object.is(got, v)) {
            assert.fail(`stride ${stride} series ${g} t=${t}: ${got} vs ${v}`);
          }
        });
      });
    }
  }
});

Deno.test("_rollingMean() and _windowCount() with a stride treat each interleaved series alone, bit for bit", () => {
  const x = _series(600, 6);
  for (let i = 0; i < x.length; i++) if (i % 7 === 3 || i % 11 === 0) x[i] = Number.NaN;
  for (const stride of [1, 3, 14]) {
    const n = x.length - 2; // the last cycle cut short
    const mean = _rollingMean(x.subarray(0, n), 9, 4, stride);
    const count = _windowCount(x.subarray(0, n), 9, stride);
    for (let g = 0; g < stride; g++) {
      const one = Float64Array.from(
        { length: Math.ceil((n - g) / stride) },
        (_, t) => x[t * stride + g] as number,
      );
      const aloneMean = _rollingMean(one, 9, 4);
      const aloneCount = _windowCount(one, 9);
      for (let t = 0; t < one.length; t++) {
        const i = t * stride + g;
        assert.ok(Object.is(mean[i], aloneMean[t]), `stride ${stride} series ${g} t=${t}: mean`);
        assert.equal(count[i], aloneCount[t], `stride ${stride} series ${g} t=${t}: count`);
        let valid = 0;
        for (let k = Math.max(0, t - 8); k <= t; k++) if (!Number.isNaN(one[k] as number)) valid++;
        assert.equal(aloneCount[t], valid, `series ${g} t=${t}: count`);
      }
    }
  }
});

Deno.test("_windowSum() of a long series (computed in chunks) is window-local, bit for bit", () => {
  const x = _series(400_000, 5);
  for (const [window, decay, stride] of [[50, 1, 1], [320, 0.97, 1], [100, 0.9, 14]] as const) {
    const whole = _windowSum(x, window, decay, stride);
    // Around the chunk boundaries and elsewhere: the value from just the window's rows.
    for (const t of [131_071, 131_072, 131_073, 262_150, 300_001, 399_999]) {
      const from = t - (window - 1) * stride;
      const part = _windowSum(x.subarray(from, t + 1), window, decay, stride);
      assert.ok(Object.is(part[part.length - 1], whole[t]), `w=${window} stride=${stride} t=${t}`);
    }
  }
});
