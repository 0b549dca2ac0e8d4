/** Test helper of lib/system: a deterministic pseudo-random sequence. */

/** A deterministic pseudo-random sequence in [0, 1) (a linear congruential generator). */
export function _random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}
