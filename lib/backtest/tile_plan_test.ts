import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { parseTileFreq, planTiles, resultMonthOf, tilePeriodOf } from "./tile_plan.ts";

const T = (iso: string) => Date.parse(iso);

Deno.test("planTiles() cuts (start, end] into UTC month tiles clipped to the range", () => {
  const tiles = planTiles({ start: T("2025-01-06T00:00Z"), end: T("2025-03-01T00:00Z") }, [
    3,
    1,
    2,
  ]);
  assert.deepEqual(tiles.map((t) => t.id), ["2025-01", "2025-02"]);
  assert.equal(tiles[0]?.start, T("2025-01-06T00:00Z"));
  assert.equal(tiles[0]?.end, T("2025-02-01T00:00Z"), "a bar ending at 02-01 00:00 is January's");
  assert.equal(tiles[1]?.start, T("2025-02-01T00:00Z"));
  assert.equal(tiles[1]?.end, T("2025-03-01T00:00Z"));
  assert.deepEqual(tiles[0]?.assetIds, [1, 2, 3], "assets ascending");
  assert.deepEqual(tiles.map((t) => t.index), [0, 1]);
});

Deno.test("planTiles() orders time-major then asset tiles, with .a<k> ids", () => {
  const tiles = planTiles({ start: T("2025-01-06T00:00Z"), end: T("2025-01-20T00:00Z") }, [
    5,
    4,
    3,
    2,
    1,
  ], {
    tileFreq: "week",
    assetTileSize: 2,
  });
  assert.deepEqual(tiles.map((t) => t.id), [
    "2025-01-06.a0",
    "2025-01-06.a1",
    "2025-01-06.a2",
    "2025-01-13.a0",
    "2025-01-13.a1",
    "2025-01-13.a2",
  ]);
  assert.deepEqual(tiles.map((t) => t.assetIds), [[1, 2], [3, 4], [5], [1, 2], [3, 4], [5]]);
  assert.deepEqual(tiles.map((t) => t.index), [0, 1, 2, 3, 4, 5]);
  assert.equal(tiles[3]?.timeId, "2025-01-13");
});

Deno.test("planTiles() covers the range exactly once for every frequency", () => {
  const range = { start: T("2025-01-06T12:00Z"), end: T("2025-03-02T07:05Z") };
  for (const tileFreq of ["month", "week", "day", "none"] as const) {
    const tiles = planTiles(range, [1], { tileFreq });
    assert.equal(tiles[0]?.start, range.start, tileFreq);
    assert.equal(tiles[tiles.length - 1]?.end, range.end, tileFreq);
    for (let i = 1; i < tiles.length; i++) {
      assert.equal(tiles[i]?.start, tiles[i - 1]?.end, `${tileFreq}: contiguous`);
    }
  }
  assert.equal(planTiles(range, [1], { tileFreq: "day" }).length, 56);
  assert.deepEqual(planTiles(range, [1], { tileFreq: "none" }).map((t) => t.id), ["all"]);
  // Weeks start on Mondays: 2025-01-06 is a Monday.
  assert.deepEqual(planTiles(range, [1], { tileFreq: "week" }).slice(0, 2).map((t) => t.id), [
    "2025-01-06",
    "2025-01-13",
  ]);
});

Deno.test("planTiles() rejects an empty range, no assets and a bad asset tile size", () => {
  assert.throws(() => planTiles({ start: 10, end: 10 }, [1]), UsageError);
  assert.throws(() => planTiles({ start: 0, end: 10 }, []), UsageError);
  assert.throws(
    () => planTiles({ start: 0, end: 10 }, [1], { assetTileSize: 0 }),
    /asset tile size 0/,
  );
  assert.throws(() => planTiles({ start: 0, end: 10 }, [1], { assetTileSize: 1.5 }), UsageError);
});

Deno.test("tilePeriodOf() and resultMonthOf() follow the (a, b] convention", () => {
  assert.deepEqual(tilePeriodOf(T("2025-02-01T00:00Z"), "month"), {
    start: T("2025-01-01T00:00Z"),
    end: T("2025-02-01T00:00Z"),
  });
  assert.deepEqual(tilePeriodOf(T("2025-02-01T00:05Z"), "day"), {
    start: T("2025-02-01T00:00Z"),
    end: T("2025-02-02T00:00Z"),
  });
  assert.deepEqual(tilePeriodOf(T("2025-01-12T23:55Z"), "week").start, T("2025-01-06T00:00Z"));
  assert.deepEqual(resultMonthOf(T("2025-02-01T00:00Z")), { year: 2025, month: 1 });
  assert.deepEqual(resultMonthOf(T("2025-02-01T00:05Z")), { year: 2025, month: 2 });
});

Deno.test("parseTileFreq() accepts the four frequencies and names them on error", () => {
  assert.equal(parseTileFreq("week"), "week");
  assert.throws(
    () => parseTileFreq("hour"),
    /Unknown tile frequency 'hour': expected one of month, week, day, none/,
  );
});
