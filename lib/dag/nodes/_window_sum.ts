/**
 * Exactly window-local rolling sums (private kernel of the node library).
 *
 * Polars' `rollingMean`/`rollingSum`/`rollingStd` keep a running sum, so the value at a row
 * depends (in the last bits) on where the series starts: on a 5,000-row series, 346 of the
 * rollingMean(10) values differed bit for bit between the whole series and the series sliced
 * from row 500 (2,061 for rollingMean(50); 4,400 for rollingStd(10)). Tiled, incremental and
 * untiled runs must agree exactly, so the node library computes window sums itself.
 *
 * `_windowSum(x, w, λ)[t] = Σ_{k<w} λ^k x[t−k]` (values before the segment count as 0) is
 * computed by binary doubling: `E_0 = x`, `E_{j+1}[t] = E_j[t] + λ^{2^j} E_j[t − 2^j]`
 * (each `E_j[t]` is the weighted sum of the `2^j` values ending at `t`), and the set bits of
 * `w` are combined from the lowest (most recent block) up. Every value is a fixed expression
 * of the `w` values in its window, so it does not depend on where the series starts, and the
 * cost is O(n log w) instead of the O(n w) of a plain per-window sum. The pairwise-style
 * additions are also more accurate than a running sum.
 */

/**
 * `out[t] = Σ_{k<window} decay^k · x[t−k]` for one asset's segment (0 before its start); see
 * `_windowSums` for `stride`.
 */
export function _windowSum(
  x: Float64Array,
  window: number,
  decay = 1,
  stride = 1,
): Float64Array {
  return _windowSums(x, [window], decay, stride)[0] as Float64Array;
}

/** Rows per block of the blocked kernel (at least; see `_windowSums`). */
const _BLOCK = 4096;

/**
 * `_windowSum` for several windows at once, sharing the doubling levels; each result is
 * bit-identical to `_windowSum(x, window, decay)`.
 *
 * Every value is the same expression as in the level-by-level description above: `E_{j+1}[t]
 * = E_j[t] + λ^{2^j}·E_j[t−2^j]` (just `E_j[t]` for `t < 2^j`), and a window's sum adds the
 * levels of its set bits from the lowest up, `acc[t] += λ^c·E_j[t−c]` for `t >= c` (`c` = the
 * values already covered). The rows are processed in blocks, every level of a block before the
 * next block, and each level keeps only the block and the rows it looks back to (a level
 * only looks back, into rows already complete), so the work stays in cache.
 *
 * With `stride` s > 1, `x` interleaves s series (row `t·s + g` is value t of series g, as in a
 * long frame where every timestamp holds the same s assets in the same order) and each is
 * summed on its own: every lag is `s` times longer, and row `t·s + g` gets exactly the value
 * `_windowSums` gives value t of series g alone.
 */
export function _windowSums(
  x: Float64Array,
  windows: readonly number[],
  decay = 1,
  stride = 1,
): Float64Array[] {
  const m = x.length;
  const accs = windows.map(() => new Float64Array(m));
  if (m === 0 || windows.length === 0) return accs;
  const maxWindow = Math.max(...windows);
  // Levels E_0 (= x) .. E_top: E_top is the highest set bit of the largest window.
  let top = 0;
  while (2 ** (top + 1) <= maxWindow) top++;
  const levelFactor: number[] = [];
  for (let j = 1; j <= top; j++) levelFactor.push(decay === 1 ? 1 : Math.pow(decay, 2 ** (j - 1)));
  // Per window: its set bits from the lowest, as (level, rows already covered, factor).
  const terms = windows.map((w) => {
    const out: { level: number; lag: number; factor: number }[] = [];
    let covered = 0;
    let r = w;
    for (let j = 0; r > 0; j++, r = Math.floor(r / 2)) {
      if (r % 2 !== 1) continue;
      out.push({
        level: j,
        lag: covered * stride,
        factor: covered === 0 || decay === 1 ? 1 : Math.pow(decay, covered),
      });
      covered += 2 ** j;
    }
    return out;
  });
  // Level j >= 1 is kept for the rows [a − hist, b) of block [a, b), at [0, hist + b − a).
  const block = Math.max(_BLOCK, 2 * maxWindow * stride);
  const hist = m <= block ? 0 : maxWindow * stride; // > every lag; none with one block
  const levels: Float64Array[] = [x];
  for (let j = 1; j <= top; j++) levels.push(new Float64Array(hist + Math.min(block, m)));
  for (let a = 0; a < m; a += block) {
    const b = Math.min(m, a + block);
    if (a > 0) {
      for (let j = 1; j <= top; j++) (levels[j] as Float64Array).copyWithin(0, block, block + hist);
    }
    const base = a - hist; // row t of a level j >= 1 is at index t − base
    for (let j = 1; j <= top; j++) {
      const src = levels[j - 1] as Float64Array;
      const srcBase = j === 1 ? 0 : base;
      const dst = levels[j] as Float64Array;
      const span = 2 ** (j - 1) * stride;
      const f = levelFactor[j - 1] as number;
      let t = a;
      for (const head = Math.min(b, span); t < head; t++) {
        dst[t - base] = src[t - srcBase] as number;
      }
      const d = t - base; // dst index of row t
      const sc = t - srcBase; // src index of row t
      const n = b - t;
      if (f === 1) {
        for (let k = 0; k < n; k++) {
          dst[d + k] = (src[sc + k] as number) + (src[sc + k - span] as number);
        }
      } else {
        for (let k = 0; k < n; k++) {
          dst[d + k] = (src[sc + k] as number) + f * (src[sc + k - span] as number);
        }
      }
    }
    for (let w = 0; w < windows.length; w++) {
      const acc = accs[w] as Float64Array;
      for (const { level, lag, factor } of terms[w] as typeof terms[number]) {
        const src = levels[level] as Float64Array;
        const srcBase = level === 0 ? 0 : base;
        if (lag === 0) {
          for (let t = a; t < b; t++) acc[t] = src[t - srcBase] as number;
          continue;
        }
        const from = Math.max(a, lag);
        const sc = from - lag - srcBase;
        if (factor === 1) {
          for (let t = from, k = sc; t < b; t++, k++) {
            acc[t] = (acc[t] as number) + (src[k] as number);
          }
        } else {
          for (let t = from, k = sc; t < b; t++, k++) {
            acc[t] = (acc[t] as number) + factor * (src[k] as number);
          }
        }
      }
    }
  }
  return accs;
}

/**
 * Number of valid (non-NaN) values among the last `window` values at each `t` — exactly the
 * decay-1 window sum of the validity mask (sums of 0s and 1s are exact in any order).
 */
export function _windowCount(x: Float64Array, window: number): Float64Array {
  const m = x.length;
  const count = new Float64Array(m);
  let n = 0;
  for (let t = 0; t < m; t++) {
    if (!Number.isNaN(x[t] as number)) n++;
    if (t >= window && !Number.isNaN(x[t - window] as number)) n--;
    count[t] = n;
  }
  return count;
}

/** `x` with NaN replaced by 0, or `x` itself when it has no NaN. */
function _filled(x: Float64Array): Float64Array {
  const m = x.length;
  let t = 0;
  while (t < m && !Number.isNaN(x[t] as number)) t++;
  if (t === m) return x;
  const filled = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const v = x[i] as number;
    if (!Number.isNaN(v)) filled[i] = v;
  }
  return filled;
}

/**
 * Window statistics of one segment that may hold missing values (NaN): the window sum of the
 * valid values (`sum`, NaN counted as 0) and the number of valid values (`count`).
 */
export function _windowSumCount(
  x: Float64Array,
  window: number,
  decay = 1,
): { sum: Float64Array; count: Float64Array } {
  return { sum: _windowSum(_filled(x), window, decay), count: _windowCount(x, window) };
}

/** `1` where `x` is not NaN, else `0`. */
export function _validMask(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < x.length; t++) out[t] = Number.isNaN(x[t] as number) ? 0 : 1;
  return out;
}

/** Rolling mean of one asset's segment (NaN where fewer than `minPeriods` valid values). */
export function _rollingMean(
  seg: Float64Array,
  window: number,
  minPeriods: number,
): Float64Array {
  const { sum, count } = _windowSumCount(seg, window);
  const out = new Float64Array(seg.length);
  for (let t = 0; t < seg.length; t++) {
    const n = count[t] as number;
    out[t] = n >= minPeriods ? (sum[t] as number) / n : Number.NaN;
  }
  return out;
}

/**
 * Means over full windows (min_periods = window) for several windows at once; each result is
 * bit-identical to `_rollingMean(seg, window, window)` (a full window holds no NaN, so its
 * sum over the NaN-filled segment is the same expression of the same values).
 */
export function _fullWindowMeans(seg: Float64Array, windows: readonly number[]): Float64Array[] {
  const filled = _filled(seg);
  const sums = _windowSums(filled, windows);
  return sums.map((sum, k) => {
    const w = windows[k] as number;
    const count = filled === seg ? undefined : _windowCount(seg, w);
    const out = sum; // reused in place: each value is read once, before it is overwritten
    for (let t = 0; t < seg.length; t++) {
      const full = count === undefined ? t >= w - 1 : (count[t] as number) >= w;
      out[t] = full ? (sum[t] as number) / w : Number.NaN;
    }
    return out;
  });
}
