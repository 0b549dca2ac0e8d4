/**
 * Backtest tiles (DESIGN §7): time tiles (UTC month, ISO week starting Monday, UTC day, or one
 * tile for the whole range) × asset tiles (chunks of the asset ids in ascending order). Every
 * interval follows dagtrade's `(a, b]` convention on bar END times: the January tile holds the
 * bars ending in `(Jan 1 00:00, Feb 1 00:00]`, so a backtest-config range
 * `(start 00:00, end + 1 day 00:00]` is a whole number of day/month tiles. Tiles are ordered
 * time-major, then by asset tile; `index` is the position in that order (what shards use).
 */
import { UsageError } from "../errors/mod.ts";
import { _formatBound } from "./_format.ts";

/** Every time-tile frequency. */
export const TILE_FREQS = ["month", "week", "day", "none"] as const;

/** A time-tile frequency: calendar month, ISO week (Monday 00:00 UTC), day, or none (one tile). */
export type TileFreq = typeof TILE_FREQS[number];

/** One tile: a `(start, end]` range of bar ends × a set of assets. */
export interface Tile {
  /** Stable id, e.g. `2025-01` (month), `2025-01-06` (week/day: the period's first day), `all`, with `.a<k>` appended when there are several asset tiles. */
  readonly id: string;
  /** Position in the plan (time-major, then asset tile). */
  readonly index: number;
  /** The time part of the id (`2025-01`, `2025-01-06`, `all`). */
  readonly timeId: string;
  /** Exclusive start: bars ending after it are in, epoch ms. */
  readonly start: number;
  /** Inclusive end: bars ending at or before it are in, epoch ms. */
  readonly end: number;
  /** The assets of the tile, ascending. */
  readonly assetIds: readonly number[];
}

/** Options of `planTiles`. */
export interface PlanTilesOptions {
  /** Time-tile frequency. Default: `month`. */
  tileFreq?: TileFreq;
  /** Assets per asset tile. Default: all assets in one tile. */
  assetTileSize?: number | undefined;
}

const _DAY_MS = 86_400_000;
const _WEEK_MS = 7 * _DAY_MS;
/** Monday 1970-01-05 00:00 UTC. */
const _MONDAY_MS = 4 * _DAY_MS;

/** Parses a tile frequency (e.g. from `--tile-freq`); throws `UsageError` listing the known ones. */
export function parseTileFreq(text: string): TileFreq {
  const value = text.trim();
  if ((TILE_FREQS as readonly string[]).includes(value)) return value as TileFreq;
  throw new UsageError(
    `Unknown tile frequency '${text}': expected one of ${TILE_FREQS.join(", ")}`,
  );
}

/**
 * The tiles of a backtest over bar ends in `(range.start, range.end]` and `assetIds`.
 * Throws `UsageError` on an empty range, no assets, or a bad asset tile size.
 */
export function planTiles(
  range: { readonly start: number; readonly end: number },
  assetIds: readonly number[],
  options: PlanTilesOptions = {},
): Tile[] {
  const { start, end } = range;
  if (!(Number.isFinite(start) && Number.isFinite(end) && start < end)) {
    throw new UsageError(
      `Cannot plan tiles over (${_formatBound(start)}, ${
        _formatBound(end)
      }]: the start must be before the end`,
    );
  }
  if (assetIds.length === 0) throw new UsageError("Cannot plan tiles: no assets");
  const size = options.assetTileSize ?? assetIds.length;
  if (!Number.isInteger(size) || size < 1) {
    throw new UsageError(`Invalid asset tile size ${size}: expected an integer >= 1`);
  }
  const sorted = [...new Set(assetIds)].sort((a, b) => a - b);
  const assetTiles: number[][] = [];
  for (let i = 0; i < sorted.length; i += size) assetTiles.push(sorted.slice(i, i + size));
  const periods = _timePeriods(start, end, options.tileFreq ?? "month");
  const tiles: Tile[] = [];
  for (const period of periods) {
    assetTiles.forEach((ids, k) => {
      tiles.push({
        id: assetTiles.length === 1 ? period.timeId : `${period.timeId}.a${k}`,
        index: tiles.length,
        timeId: period.timeId,
        start: period.start,
        end: period.end,
        assetIds: ids,
      });
    });
  }
  return tiles;
}

/**
 * The `(start, end]` period of frequency `freq` that holds the bar ending at `t` (for `none`:
 * unbounded). Month and day periods are UTC calendar ones; weeks start Monday 00:00 UTC.
 */
export function tilePeriodOf(t: number, freq: TileFreq): { start: number; end: number } {
  const x = t - 1; // (a, b]: a bar ending exactly at a boundary belongs to the period before it
  if (freq === "none") return { start: -Infinity, end: Infinity };
  if (freq === "day") {
    const s = Math.floor(x / _DAY_MS) * _DAY_MS;
    return { start: s, end: s + _DAY_MS };
  }
  if (freq === "week") {
    const s = Math.floor((x - _MONDAY_MS) / _WEEK_MS) * _WEEK_MS + _MONDAY_MS;
    return { start: s, end: s + _WEEK_MS };
  }
  const d = new Date(x);
  const s = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return { start: s, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** The UTC year and month (1-12) of the month period `(month start, next month start]` holding bar end `t`. */
export function resultMonthOf(t: number): { year: number; month: number } {
  const d = new Date(t - 1);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

function _timePeriods(
  start: number,
  end: number,
  freq: TileFreq,
): { timeId: string; start: number; end: number }[] {
  if (freq === "none") return [{ timeId: "all", start, end }];
  const out: { timeId: string; start: number; end: number }[] = [];
  let period = tilePeriodOf(start + 1, freq);
  while (period.start < end) {
    const iso = new Date(period.start).toISOString();
    out.push({
      timeId: freq === "month" ? iso.slice(0, 7) : iso.slice(0, 10),
      start: Math.max(start, period.start),
      end: Math.min(end, period.end),
    });
    period = tilePeriodOf(period.end + 1, freq);
  }
  return out;
}
