/**
 * One entry point for loading bars: a snapshot file (`.parquet`, `.csv`, `.csv.gz`) or a store
 * directory, filtered by time range and symbols, validated and sorted.
 */
import type pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { assetIdOf, resolveFullSymbols } from "./asset_id.ts";
import { readSnapshot } from "./snapshot.ts";
import { listStorePartitions, readStore, readStoreMeta, STORE_META_FILE } from "./store.ts";
import { _canonicalBars, _filterBars, _messageOf } from "./_bars_frame.ts";

/** Options of `readBars`. */
export interface ReadBarsOptions {
  /** Keep bars with `timestamp > start` (epoch ms). Default: no lower bound. */
  start?: number | undefined;
  /** Keep bars with `timestamp <= end` (epoch ms). Default: no upper bound. */
  end?: number | undefined;
  /**
   * Keep only these symbols: full symbols (`binance::BTC_USDT`) or pairs (`BTC/USDT`,
   * `BTC_USDT`). An unknown one throws `DataError` listing the known ones. Default: all.
   */
  symbols?: readonly string[] | undefined;
  /** Validate the bars (DESIGN §3). Default: true. */
  validate?: boolean | undefined;
}

/**
 * Loads bars from a snapshot file or a store directory (decided by what `path` is), keeps
 * `(start, end]` and the requested symbols, and returns them validated and sorted by
 * (timestamp, asset_id), with the bar contract's columns in canonical order.
 */
export async function readBars(path: string, options: ReadBarsOptions = {}): Promise<pl.DataFrame> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : _messageOf(error);
    throw new DataError(
      `Cannot load bars from ${path}: ${reason} (expected a snapshot file .parquet, .csv, ` +
        `.csv.gz or a store directory)`,
      { cause: error },
    );
  }
  if (info.isDirectory) return await _readStoreBars(path, options);
  const { bars, meta } = await readSnapshot(path, { validate: options.validate ?? true });
  let assetIds: number[] | undefined;
  if (options.symbols !== undefined) {
    const present = bars.height === 0
      ? []
      : bars.getColumn("full_symbol").unique().toArray() as string[];
    const known = [...new Set([...present, ...(meta?.symbols ?? [])])];
    assetIds = resolveFullSymbols(options.symbols, known, { source: `snapshot ${path}` }).map(
      assetIdOf,
    );
  }
  const filtered = _filterBars(bars, { start: options.start, end: options.end, assetIds });
  return _canonicalBars(filtered);
}

async function _readStoreBars(dir: string, options: ReadBarsOptions): Promise<pl.DataFrame> {
  let assetIds: number[] | undefined;
  if (options.symbols !== undefined) {
    const meta = await readStoreMeta(dir);
    const source = `store ${dir}`;
    if (meta !== undefined) {
      const byName = new Map([...meta.symbols].map(([id, fs]) => [fs, id]));
      assetIds = resolveFullSymbols(options.symbols, [...byName.keys()], { source })
        .map((fs) => byName.get(fs) as number);
    } else {
      // No meta file: only full symbols can be mapped (through their MD5 ids).
      const ids = new Set((await listStorePartitions(dir)).map((p) => p.assetId));
      assetIds = options.symbols.map((s) => {
        const id = s.includes("::") ? assetIdOf(s.trim()) : undefined;
        if (id === undefined || !ids.has(id)) {
          throw new DataError(
            `Symbol '${s}' is not in ${source} (it has no ${STORE_META_FILE}; give full symbols ` +
              `like binance::BTC_USDT); asset ids stored: ${[...ids].join(", ") || "(none)"}`,
          );
        }
        return id;
      });
    }
  }
  return await readStore(dir, {
    start: options.start,
    end: options.end,
    assetIds,
    validate: options.validate ?? true,
  });
}
