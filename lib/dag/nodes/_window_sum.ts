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

/**
 * `_windowSum` for several windows at once, sharing the doubling levels; each result is
 * bit-identical to `_windowSum(x, window, decay)`.
 *
 * With `stride` s > 1, `x` interleaves s series (row `t·s + g` is value t of series g, as in a
 * long frame where every timestamp holds the same s assets in the same order) and each is
 * summed on its own: every lag is `s` rows long (and "before the start" is `row < lag`), so
 * row `t·s + g` gets exactly the value `_windowSums` gives value t of series g alone.
 */
export function _windowSums(
  x: Float64Array,
  windows: readonly number[],
  decay = 1,
  stride = 1,
): Float64Array[] {
  const m = x.length;
  const accs = windows.map(() => new Float64Array(m));
  const overlap = (Math.max(0, ...windows) - 1) * stride;
  const chunk = Math.max(_CHUNK, 4 * overlap);
  if (m <= chunk + overlap) {
    _windowSumsInto(x, windows, { decay, stride, accs, levels: _levels(m) });
    return accs;
  }
  // Long inputs in chunks that stay in cache: chunk [a, b) is computed on rows
  // [a − overlap, b), which hold every value its windows reach, so every value kept is the
  // same full-window expression of the same values as in one pass. The rows before a only
  // fill the chunk's head: their (final) values are saved and put back.
  const levels = _levels(chunk + overlap);
  for (let a = 0; a < m; a += chunk) {
    const b = Math.min(m, a + chunk);
    const from = Math.max(0, a - overlap);
    const saved = accs.map((acc) => acc.slice(from, a));
    _windowSumsInto(x.subarray(from, b), windows, {
      decay,
      stride,
      accs: accs.map((acc) => acc.subarray(from, b)),
      levels,
    });
    accs.forEach((acc, k) => acc.set(saved[k] as Float64Array, from));
  }
  return accs;
}

/** Rows per chunk of a long `_windowSums` (at least). */
const _CHUNK = 131_072;

function _levels(m: number): [Float64Array, Float64Array] {
  return [new Float64Array(m), new Float64Array(m)];
}

/**
 * `_windowSums` in one pass per level over `x`, into `options.accs` (one per window, as long
 * as `x`; no need to be zeroed), using the two `options.levels` buffers (at least as long as
 * `x`) for the doubling levels.
 */
function _windowSumsInto(
  x: Float64Array,
  windows: readonly number[],
  options: {
    decay: number;
    stride: number;
    accs: Float64Array[];
    levels: [Float64Array, Float64Array];
  },
): void {
  const { decay, stride, accs } = options;
  const m = x.length;
  const buffers = options.levels.map((b) => b.subarray(0, m));
  const covered = windows.map(() => 0); // how many most recent values each acc already sums
  const remaining = [...windows];
  let level: Float64Array = x;
  let pingPong = 0;
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
        const lag = c * stride;
        if (f === 1) {
          for (let t = lag; t < m; t++) acc[t] = (acc[t] as number) + (level[t - lag] as number);
        } else {
          for (let t = lag; t < m; t++) {
            acc[t] = (acc[t] as number) + f * (level[t - lag] as number);
          }
        }
      }
      covered[w] = c + span;
    }
    for (let w = 0; w < windows.length; w++) {
      remaining[w] = Math.floor((remaining[w] as number) / 2);
    }
    if (remaining.some((r) => r > 0)) {
      // Ping-pong between the two level buffers (never overwriting the input `x`).
      const next = buffers[pingPong] as Float64Array;
      pingPong = 1 - pingPong;
      const f = decay === 1 ? 1 : Math.pow(decay, span);
      const lag = span * stride;
      const head = Math.min(lag, m);
      for (let t = 0; t < head; t++) next[t] = level[t] as number;
      if (f === 1) {
        for (let t = lag; t < m; t++) next[t] = (level[t] as number) + (level[t - lag] as number);
      } else {
        for (let t = lag; t < m; t++) {
          next[t] = (level[t] as number) + f * (level[t - lag] as number);
        }
      }
      level = next;
      span *= 2;
    }
  }
}

/**
 * Number of valid (non-NaN) values among the last `window` values at each `t` — exactly the
 * decay-1 window sum of the validity mask (sums of 0s and 1s are exact in any order). With
 * `stride` s, `x` interleaves s series as in `_windowSums` and each is counted on its own.
 */
export function _windowCount(x: Float64Array, window: number, stride = 1): Float64Array {
  const m = x.length;
  const count = new Float64Array(m);
  const span = window * stride;
  for (let t = 0; t < m; t++) {
    let n = t >= stride ? count[t - stride] as number : 0;
    if (!Number.isNaN(x[t] as number)) n++;
    if (t >= span && !Number.isNaN(x[t - span] as number)) n--;
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
 * valid values (`sum`, NaN counted as 0) and the number of valid values (`count`); `stride`
 * as in `_windowSums`.
 */
export function _windowSumCount(
  x: Float64Array,
  window: number,
  decay = 1,
  stride = 1,
): { sum: Float64Array; count: Float64Array } {
  return {
    sum: _windowSum(_filled(x), window, decay, stride),
    count: _windowCount(x, window, stride),
  };
}

/** `1` where `x` is not NaN, else `0`. */
export function _validMask(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < x.length; t++) out[t] = Number.isNaN(x[t] as number) ? 0 : 1;
  return out;
}

/**
 * Rolling mean of one asset's segment (NaN where fewer than `minPeriods` valid values); with
 * `stride` s, of each of the s interleaved series of `seg` (see `_windowSums`), each value
 * bit-identical to the series' own rolling mean.
 */
export function _rollingMean(
  seg: Float64Array,
  window: number,
  minPeriods: number,
  stride = 1,
): Float64Array {
  const { sum, count } = _windowSumCount(seg, window, 1, stride);
  const out = sum; // in place: each value is read once, before it is overwritten
  for (let t = 0; t < seg.length; t++) {
    const n = count[t] as number;
    out[t] = n >= minPeriods ? (sum[t] as number) / n : Number.NaN;
  }
  return out;
}

/**
 * Means over full windows (min_periods = window) for several windows at once, with `stride`
 * as in `_windowSums`; each result is bit-identical to `_rollingMean(seg, window, window,
 * stride)`. The sums run on the values as they are: a full window without NaN is the same
 * expression of the same values as over the NaN-filled segment, and one with a NaN sums to
 * NaN, which is also the mean of a window with fewer than `window` valid values.
 */
export function _fullWindowMeans(
  seg: Float64Array,
  windows: readonly number[],
  stride = 1,
): Float64Array[] {
  const sums = _windowSums(seg, windows, 1, stride);
  return sums.map((sum, k) => {
    const w = windows[k] as number;
    const first = Math.min((w - 1) * stride, seg.length); // rows before: not a full window
    const out = sum; // in place: each value is read once, before it is overwritten
    out.fill(Number.NaN, 0, first);
    for (let t = first; t < seg.length; t++) out[t] = (sum[t] as number) / w;
    return out;
  });
}
