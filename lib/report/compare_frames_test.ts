import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { compareFrames } from "./compare_frames.ts";

const T = Date.UTC(2025, 0, 6);
const M5 = 300_000;

function frame(rows: [number, number, number, number][]): pl.DataFrame {
  return pl.DataFrame([
    pl.Series("timestamp", rows.map((r) => T + r[0] * M5)).cast(pl.Int64).cast(
      pl.Datetime("ms", "UTC"),
    ),
    pl.Series("asset_id", rows.map((r) => r[1])).cast(pl.Int64),
    pl.Series("x", rows.map((r) => r[2])),
    pl.Series("y", rows.map((r) => r[3])),
  ]);
}

const BASE: [number, number, number, number][] = [
  [1, 10, 100, 0.5],
  [1, 20, 2, 0],
  [2, 10, 101, 0.25],
  [2, 20, 3, NaN],
  [3, 10, 102, 0.75],
  [3, 20, 4, 1],
];

Deno.test("compareFrames() finds no difference between equal frames (NaN equals NaN)", () => {
  const c = compareFrames(frame(BASE), frame(BASE), { keys: ["timestamp", "asset_id"] });
  assert.equal(c.differences, 0);
  assert.equal(c.rows, 6);
  assert.equal(c.first, null);
  assert.deepEqual(c.columns.map((col) => col.column), ["x", "y"]);
});

Deno.test("compareFrames() tolerance is relative to the column's magnitude per asset", () => {
  const b = BASE.map((r) => [...r] as [number, number, number, number]);
  b[0]![2] = 100 + 1e-8; // 1e-10 of asset 10's x scale (102): no difference
  b[3]![2] = 3 + 1e-6; // asset 20's scale is 4: 2.5e-7, a difference
  const c = compareFrames(frame(BASE), frame(b), { keys: ["timestamp", "asset_id"] });
  assert.equal(c.differences, 1);
  assert.deepEqual(c.first?.key, { timestamp: T + 2 * M5, asset_id: 20 });
  assert.equal(c.first?.column, "x");
  const x = c.columns[0]!;
  assert.ok(Math.abs(x.maxAbsDiff - 1e-6) < 1e-12);
  assert.deepEqual(x.largest?.key, { timestamp: T + 2 * M5, asset_id: 20 });
  assert.equal(
    compareFrames(frame(BASE), frame(b), { keys: ["timestamp", "asset_id"], tolerance: 1e-3 })
      .differences,
    0,
  );
});

Deno.test("compareFrames() counts NaN against a number, missing rows, and keeps the earliest first", () => {
  const b = BASE.map((r) => [...r] as [number, number, number, number]);
  b[5]![3] = NaN; // y at bar 3 asset 20
  const withoutBar1 = b.slice(1); // bar 1 asset 10 missing in b
  const c = compareFrames(frame(BASE), frame(withoutBar1), { keys: ["timestamp", "asset_id"] });
  assert.equal(c.onlyInA.count, 1);
  assert.equal(c.onlyInB.count, 0);
  assert.equal(c.differences, 2);
  assert.deepEqual(c.first, {
    key: { timestamp: T + M5, asset_id: 10 },
    column: null,
    a: null,
    b: null,
    missingIn: "b",
  });
  assert.deepEqual(c.columns[1]?.first, {
    key: { timestamp: T + 3 * M5, asset_id: 20 },
    a: 1,
    b: null,
  });
  // In (bar 1, bar 3]: the missing row is out of range.
  const ranged = compareFrames(frame(BASE), frame(withoutBar1), {
    keys: ["timestamp", "asset_id"],
    start: T + M5,
    end: T + 3 * M5,
  });
  assert.equal(ranged.differences, 1);
  assert.equal(ranged.rows, 4);
});

Deno.test("compareFrames() with missingAsZero ignores rows on one side whose values are all zero", () => {
  const a = frame([...BASE, [4, 30, 0, 0]]);
  const plain = compareFrames(a, frame(BASE), { keys: ["timestamp", "asset_id"] });
  assert.equal(plain.onlyInA.count, 1);
  const zero = compareFrames(a, frame(BASE), {
    keys: ["timestamp", "asset_id"],
    missingAsZero: true,
  });
  assert.equal(zero.differences, 0);
});

Deno.test("compareFrames() refuses unsorted keys with a DataError", () => {
  const rows = [BASE[1]!, BASE[0]!];
  assert.throws(
    () => compareFrames(frame(rows), frame(BASE), { keys: ["timestamp", "asset_id"] }),
    (e: Error) => e instanceof DataError && /sorted and unique/.test(e.message),
  );
});
