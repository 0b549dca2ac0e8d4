import assert from "node:assert/strict";
import { lowerBound, upperBound } from "./sorted_search.ts";

Deno.test("upperBound() and lowerBound() find the first index after / at x, ties included", () => {
  const xs = Float64Array.of(1, 2, 2, 2, 5);
  assert.deepEqual([0, 1, 2, 3, 5, 6].map((x) => upperBound(xs, x)), [0, 1, 4, 4, 5, 5]);
  assert.deepEqual([0, 1, 2, 3, 5, 6].map((x) => lowerBound(xs, x)), [0, 0, 1, 4, 4, 5]);
  assert.equal(upperBound([], 3), 0);
  assert.equal(upperBound(xs, -Infinity), 0);
  assert.equal(upperBound(xs, Infinity), 5);
});
