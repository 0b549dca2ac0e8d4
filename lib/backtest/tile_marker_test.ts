import assert from "node:assert/strict";
import { join } from "node:path";
import {
  readTileMarker,
  tileConfigHash,
  type TileMarker,
  tileMarkerPath,
  tileStatus,
  writeTileMarker,
} from "./tile_marker.ts";
import type { Tile } from "./tile_plan.ts";

const tile: Tile = {
  id: "2025-01",
  index: 0,
  timeId: "2025-01",
  start: 0,
  end: 86_400_000,
  assetIds: [1, 2],
};

async function withMarker(fn: (dir: string, marker: TileMarker) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const rel = join("tiled_results", "asset_id=1", "year=2025", "month=1", "data.parquet");
    await Deno.mkdir(join(dir, "tiled_results", "asset_id=1", "year=2025", "month=1"), {
      recursive: true,
    });
    await Deno.writeFile(join(dir, rel), new Uint8Array(100));
    const marker: TileMarker = {
      formatVersion: 1,
      tileId: tile.id,
      start: tile.start,
      end: tile.end,
      assetIds: [1, 2],
      configHash: tileConfigHash("content", tile),
      files: [{ path: rel, rows: 3, bytes: 100, sha256: "x" }],
      rows: 3,
      finishedAt: 1_000,
      elapsedMs: 5,
    };
    await writeTileMarker(dir, marker);
    await fn(dir, marker);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeTileMarker()/readTileMarker() round-trip", async () => {
  await withMarker(async (dir, marker) => {
    assert.deepEqual(await readTileMarker(dir, tile.id), marker);
    assert.equal(await readTileMarker(dir, "other"), undefined);
  });
});

Deno.test("tileStatus() is done only with the marker, the same hash and every file at its size", async () => {
  await withMarker(async (dir, marker) => {
    const hash = tileConfigHash("content", tile);
    assert.equal((await tileStatus(dir, tile, { configHash: hash })).done, true);
    assert.deepEqual(
      await tileStatus(dir, tile, { configHash: tileConfigHash("other content", tile) }),
      {
        done: false,
        reason: "computed under another config",
      },
    );
    const moved = { ...tile, end: tile.end + 1 };
    assert.notEqual(tileConfigHash("content", moved), hash, "the hash covers the tile's range");
    const file = join(dir, (marker.files[0] as { path: string }).path);
    await Deno.writeFile(file, new Uint8Array(50));
    assert.match(
      (await tileStatus(dir, tile, { configHash: hash }) as { reason: string }).reason,
      /has 50 bytes, not 100/,
    );
    await Deno.remove(file);
    assert.match(
      (await tileStatus(dir, tile, { configHash: hash }) as { reason: string }).reason,
      /is missing/,
    );
    await Deno.writeTextFile(tileMarkerPath(dir, tile.id), "{ truncated");
    assert.deepEqual(await tileStatus(dir, tile, { configHash: hash }), {
      done: false,
      reason: "no success marker",
    });
  });
});
