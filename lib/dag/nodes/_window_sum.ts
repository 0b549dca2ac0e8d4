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

/** `out[t] = Σ_{k<window} decay^k · x[t−k]` for one asset's segment (0 before its start). */
export function _windowSum(x: Float64Array, window: number, decay = 1): Float64Array {
  return _windowSums(x, [window], decay)[0] as Float64Array;
}

/**
 * `_windowSum` for several windows at once, sharing the doubling levels; each result is
 * bit-identical to `_windowSum(x, window, decay)`.
 */
export function _windowSums(
  x: Float64Array,
  windows: readonly number[],
  decay = 1,
): Float64Array[] {
  const m = x.length;
  const accs = windows.map(() => new Float64Array(m));
  const covered = windows.map(() => 0); // how many most recent values each acc already sums
  const remaining = [...windows];
  let level: Float64Array = x;
  let spare: Float64Array | undefined;
  let span = 1; // 2^j: the window length of `level`
  while (remaining.some((r) => r > 0)) {
    for (let w = 0; w < windows.length; w++) {
      const r = remaining[w] as number;
      if (r % 2 !== 1) continue;
      const acc = accs[w] as Float64Array;
      const c = covered[w] as number;
      if (c === 0) {
        acc.set(level);
      } else {
        const f = decay === 1 ? 1 : Math.pow(decay, c);
        if (f === 1) {
          for (let t = c; t < m; t++) acc[t] = (acc[t] as number) + (level[t - c] as number);
        } else {
          for (let t = c; t < m; t++) acc[t] = (acc[t] as number) + f * (level[t - c] as number);
        }
      }
      covered[w] = c + span;
    }
    for (let w = 0; w < windows.length; w++) {
      remaining[w] = Math.floor((remaining[w] as number) / 2);
    }
    if (remaining.some((r) => r > 0)) {
      // Ping-pong between two scratch buffers (never overwriting the input `x`).
      const next = spare ?? new Float64Array(m);
      spare = level === x ? undefined : level;
      const f = decay === 1 ? 1 : Math.pow(decay, span);
      const head = Math.min(span, m);
      for (let t = 0; t < head; t++) next[t] = level[t] as number;
      if (f === 1) {
        for (let t = span; t < m; t++) next[t] = (level[t] as number) + (level[t - span] as number);
      } else {
        for (let t = span; t < m; t++) {
          next[t] = (level[t] as number) + f * (level[t - span] as number);
        }
      }
      level = next;
      span *= 2;
    }
  }
  return accs;
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
  const m = x.length;
  let missing = false;
  for (let t = 0; t < m; t++) {
    if (Number.isNaN(x[t] as number)) {
      missing = true;
      break;
    }
  }
  if (!missing) {
    const count = new Float64Array(m);
    for (let t = 0; t < m; t++) count[t] = Math.min(t + 1, window);
    return { sum: _windowSum(x, window, decay), count };
  }
  const filled = new Float64Array(m);
  const valid = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    const v = x[t] as number;
    if (!Number.isNaN(v)) {
      filled[t] = v;
      valid[t] = 1;
    }
  }
  return { sum: _windowSum(filled, window, decay), count: _windowSum(valid, window, 1) };
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
 * bit-identical to `_rollingMean(seg, window, window)`.
 */
export function _fullWindowMeans(seg: Float64Array, windows: readonly number[]): Float64Array[] {
  if (seg.some(Number.isNaN)) return windows.map((w) => _rollingMean(seg, w, w));
  const sums = _windowSums(seg, windows);
  return sums.map((sum, k) => {
    const w = windows[k] as number;
    const out = new Float64Array(seg.length).fill(Number.NaN);
    for (let t = w - 1; t < seg.length; t++) out[t] = (sum[t] as number) / w;
    return out;
  });
}
