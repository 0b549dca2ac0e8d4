/**
 * Tile success markers (DESIGN §7): `<dst>/tiled_results/_success/<tile id>.json`, written
 * atomically and LAST, after every file of the tile. It holds the tile (id, range, assets),
 * the tile's config hash and the files it wrote with their rows, sizes and sha256. A tile is
 * done only when its marker exists, its hash is the current one, and every listed file exists
 * with the recorded size — so a tile killed half-way, or computed under another config, is
 * redone.
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { atomicWrite } from "../fs/mod.ts";
import type { Tile } from "./tile_plan.ts";

/** The marker format written by this version. */
export const TILE_MARKER_FORMAT_VERSION = 1;

/** The directory of the markers, relative to the backtest directory. */
export const SUCCESS_DIR = join("tiled_results", "_success");

/** One file a tile wrote. */
export interface TileFile {
  /** Path relative to the backtest directory. */
  path: string;
  /** Rows in the file. */
  rows: number;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the bytes, hex. */
  sha256: string;
}

/** The contents of a success marker. */
export interface TileMarker {
  /** `TILE_MARKER_FORMAT_VERSION`. */
  formatVersion: number;
  /** The tile's id. */
  tileId: string;
  /** The tile's range and assets, as planned. */
  start: number;
  /** Inclusive end of the tile's bar ends. */
  end: number;
  /** The tile's assets. */
  assetIds: number[];
  /** The tile's config hash (`tileConfigHash`). */
  configHash: string;
  /** The files written, in write order. */
  files: TileFile[];
  /** Total rows written. */
  rows: number;
  /** When the tile finished, epoch ms (the run's clock). */
  finishedAt: number;
  /** How long the tile took, ms. */
  elapsedMs: number;
}

/** Whether a tile is done, and why not. */
export type TileStatus =
  | { done: true; marker: TileMarker }
  | { done: false; reason: string };

/** The marker path of tile `tileId` inside the backtest directory `dstDir`. */
export function tileMarkerPath(dstDir: string, tileId: string): string {
  return join(dstDir, SUCCESS_DIR, `${tileId}.json`);
}

/**
 * The config hash of a tile: SHA-256 of the run's content hash (everything that decides what
 * the DAG outputs: builder, its config, the data) and the tile's range and assets.
 */
export function tileConfigHash(contentHash: string, tile: Tile): string {
  const spec = {
    content: contentHash,
    id: tile.id,
    start: tile.start,
    end: tile.end,
    assets: tile.assetIds,
  };
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex");
}

/** Writes the marker atomically (call it after every file of the tile is in place). */
export async function writeTileMarker(dstDir: string, marker: TileMarker): Promise<void> {
  const json = {
    format_version: marker.formatVersion,
    tile_id: marker.tileId,
    start: new Date(marker.start).toISOString(),
    end: new Date(marker.end).toISOString(),
    asset_ids: marker.assetIds,
    config_hash: marker.configHash,
    files: marker.files,
    rows: marker.rows,
    finished_at: new Date(marker.finishedAt).toISOString(),
    elapsed_ms: marker.elapsedMs,
  };
  await atomicWrite(tileMarkerPath(dstDir, marker.tileId), JSON.stringify(json, null, 2) + "\n");
}

/** Reads a marker; undefined when it is missing or unreadable (an unreadable marker is not done). */
export async function readTileMarker(
  dstDir: string,
  tileId: string,
): Promise<TileMarker | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(tileMarkerPath(dstDir, tileId));
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const files = o.files as TileFile[];
    if (
      o.format_version !== TILE_MARKER_FORMAT_VERSION || typeof o.config_hash !== "string" ||
      !Array.isArray(files) || !Array.isArray(o.asset_ids)
    ) return undefined;
    for (const f of files) {
      if (typeof f?.path !== "string" || typeof f.bytes !== "number") return undefined;
    }
    return {
      formatVersion: o.format_version,
      tileId: String(o.tile_id),
      start: Date.parse(String(o.start)),
      end: Date.parse(String(o.end)),
      assetIds: (o.asset_ids as unknown[]).map(Number),
      configHash: o.config_hash,
      files,
      rows: Number(o.rows),
      finishedAt: Date.parse(String(o.finished_at)),
      elapsedMs: Number(o.elapsed_ms),
    };
  } catch {
    return undefined;
  }
}

/** Options of `tileStatus`. */
export interface TileStatusOptions {
  /** The config hash the tile must have been computed under (`tileConfigHash`). Required. */
  configHash: string;
}

/** Whether `tile` is done in `dstDir` under `options.configHash` (see the module documentation). */
export async function tileStatus(
  dstDir: string,
  tile: Tile,
  options: TileStatusOptions,
): Promise<TileStatus> {
  const { configHash } = options;
  const marker = await readTileMarker(dstDir, tile.id);
  if (marker === undefined) return { done: false, reason: "no success marker" };
  if (marker.configHash !== configHash) {
    return { done: false, reason: "computed under another config" };
  }
  for (const file of marker.files) {
    let size: number;
    try {
      size = (await Deno.stat(join(dstDir, file.path))).size;
    } catch {
      return { done: false, reason: `file ${file.path} is missing` };
    }
    if (size !== file.bytes) {
      return { done: false, reason: `file ${file.path} has ${size} bytes, not ${file.bytes}` };
    }
  }
  return { done: true, marker };
}
