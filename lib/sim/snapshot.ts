/**
 * Snapshots (DESIGN §3): one bar file (`.parquet`, `.csv`, `.csv.gz`, chosen by extension)
 * plus `<file>.meta.json` describing it (exchange, symbols, timeframe, requested and
 * delivered range, rows, gaps, knowledge delay, source, created_at, sha256 of the data file).
 * Writes are atomic, data file first, then the meta file; reads check the sha256 against the
 * meta file when there is one and validate the bars.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import pl from "nodejs-polars";
import { atomicWrite } from "../fs/mod.ts";
import { DataError, UsageError } from "../errors/mod.ts";
import { formatTimeframe, parseTimeframe } from "./bar_schema.ts";
import { assetIdOf, exchangeOf, isFullSymbol } from "./asset_id.ts";
import { type BarGap, gapReport } from "./gap_report.ts";
import { inferBarMs, validateBars } from "./validate_bars.ts";
import { _canonicalBars, _cell, _messageOf, _parseParquet, _readFileBytes } from "./_bars_frame.ts";
import { _decodeBarsCsv, _encodeBarsCsv } from "./_bars_csv.ts";

/** The snapshot meta format written by this version. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** A snapshot data file format, chosen by the file's extension. */
export type SnapshotFormat = "parquet" | "csv" | "csv.gz";

/** A `(start, end]` range of bar END times, epoch ms. */
export interface TimeRange {
  /** Exclusive start (for `delivered`: the first bar's `start_timestamp`). */
  start: number;
  /** Inclusive end (for `delivered`: the last bar's `timestamp`). */
  end: number;
}

/**
 * The contents of `<file>.meta.json`, with times as epoch ms (the JSON file holds them as
 * ISO-8601 UTC strings and uses snake_case keys: `format_version`, `knowledge_delay_ms`,
 * `created_at`, gaps' `full_symbol`/`asset_id`/`missing_bars`).
 */
export interface SnapshotMeta {
  /** Meta format version (`SNAPSHOT_FORMAT_VERSION`). */
  formatVersion: number;
  /** Exchange id (`binance`); several are joined with `,`; empty when unknown. */
  exchange: string;
  /** Full symbols of the snapshot (requested ones included, even without bars), sorted. */
  symbols: string[];
  /** Bar period in ccxt form (`5m`). */
  timeframe: string;
  /** The range the data was asked for, or null when not given. */
  requested: TimeRange | null;
  /** The range the bars cover (first bar start, last bar end), or null for no bars. */
  delivered: TimeRange | null;
  /** Number of rows of the data file. */
  rows: number;
  /** Missing bars per asset (over the requested range when given). */
  gaps: BarGap[];
  /** Delay between a bar's end and its knowledge time, when uniform and known. */
  knowledgeDelayMs?: number;
  /** Where the data came from (`ccxt binance`, `freqtrade user_data/data/binance`). */
  source: string;
  /** When the snapshot was created, epoch ms. */
  createdAt: number;
  /** SHA-256 (hex) of the data file's bytes. */
  sha256: string;
}

/** Options of `writeSnapshot`. */
export interface WriteSnapshotOptions {
  /** Creation time recorded in the meta file, epoch ms (from the caller's clock). Required. */
  createdAt: number;
  /** Bar period (`5m`). Default: inferred from the first bar; required for an empty frame. */
  timeframe?: string;
  /** Exchange id recorded in the meta. Default: the exchange part of the full symbols. */
  exchange?: string;
  /** Requested symbols; those without bars are reported as gaps. Default: the symbols present. */
  symbols?: readonly string[];
  /** The requested `(start, end]` range (gaps are computed over it). Default: none (null). */
  requested?: TimeRange;
  /** Knowledge delay recorded in the meta, ms. Default: omitted. */
  knowledgeDelayMs?: number;
  /** Source recorded in the meta. Default: `dagtrade`. */
  source?: string;
}

/** Options of `readSnapshot`. */
export interface ReadSnapshotOptions {
  /** Validate the bars (DESIGN §3). Default: true. */
  validate?: boolean;
  /** Declared bar period in ms for validation. Default: the meta's timeframe, else inferred. */
  barMs?: number;
}

/** What `readSnapshot` returns. */
export interface Snapshot {
  /** The bars: canonical columns, sorted by (timestamp, asset_id). */
  bars: pl.DataFrame;
  /** The meta file's contents, or undefined when the snapshot has no meta file. */
  meta: SnapshotMeta | undefined;
}

const _ACCEPTED = ".parquet, .csv, .csv.gz";

/** The snapshot format of a path by its extension, or undefined when it has none of them. */
export function snapshotFormatOf(path: string): SnapshotFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".csv.gz")) return "csv.gz";
  if (lower.endsWith(".csv")) return "csv";
  return undefined;
}

/** The meta file path of a snapshot data file (`x.parquet` → `x.parquet.meta.json`). */
export function snapshotMetaPathOf(path: string): string {
  return path.endsWith(".meta.json") ? path : `${path}.meta.json`;
}

/**
 * Validates `df` and writes it as a snapshot at `path` (format by extension) plus
 * `<path>.meta.json`, both atomically, data first. Returns the meta written. A bad
 * extension throws `UsageError`; invalid bars throw `DataError` (`Cannot write snapshot ...`).
 */
export async function writeSnapshot(
  df: pl.DataFrame,
  path: string,
  options: WriteSnapshotOptions,
): Promise<SnapshotMeta> {
  const format = snapshotFormatOf(path);
  if (format === undefined) {
    throw new UsageError(
      `Cannot write snapshot ${path}: unknown file type; accepted: ${_ACCEPTED}`,
    );
  }
  const barMs = options.timeframe !== undefined
    ? parseTimeframe(options.timeframe)
    : inferBarMs(df);
  validateBars(df, { file: path, barMs, context: `Cannot write snapshot ${path}` });
  if (barMs === undefined) {
    throw new UsageError(
      `Cannot write snapshot ${path}: no bars to infer the timeframe from; pass a timeframe`,
    );
  }
  const bars = _canonicalBars(df);
  const bytes = _encode(bars, format);
  const present = _presentSymbols(bars);
  const symbols = [...new Set([...present, ...(options.symbols ?? [])])].sort();
  for (const fs of symbols) {
    if (!isFullSymbol(fs)) {
      throw new UsageError(
        `Cannot write snapshot ${path}: '${fs}' is not a full symbol (e.g. binance::BTC_USDT)`,
      );
    }
  }
  const requested = options.requested ?? null;
  const meta: SnapshotMeta = {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    exchange: options.exchange ?? [...new Set(symbols.map(exchangeOf))].sort().join(","),
    symbols,
    timeframe: formatTimeframe(barMs),
    requested,
    delivered: _delivered(bars),
    rows: bars.height,
    gaps: gapReport(bars, {
      barMs,
      start: requested?.start,
      end: requested?.end,
      fullSymbols: symbols,
    }),
    source: options.source ?? "dagtrade",
    createdAt: options.createdAt,
    sha256: _sha256(bytes),
  };
  if (options.knowledgeDelayMs !== undefined) meta.knowledgeDelayMs = options.knowledgeDelayMs;
  await atomicWrite(path, bytes);
  await atomicWrite(snapshotMetaPathOf(path), JSON.stringify(_metaToJson(meta), null, 2) + "\n");
  return meta;
}

/**
 * Reads a snapshot (format by extension): checks the data file against its meta file's
 * sha256 when there is a meta file, validates the bars, and returns them sorted by
 * (timestamp, asset_id). Every failure (missing, empty, truncated or foreign file, sha256
 * mismatch, invalid bars) is a `DataError` naming the file.
 */
export async function readSnapshot(
  path: string,
  options: ReadSnapshotOptions = {},
): Promise<Snapshot> {
  const format = snapshotFormatOf(path);
  if (format === undefined) {
    throw new DataError(`Cannot load snapshot ${path}: unknown file type; accepted: ${_ACCEPTED}`);
  }
  const bytes = await _readFileBytes(path, "snapshot");
  const meta = await readSnapshotMeta(path);
  if (meta !== undefined && _sha256(bytes) !== meta.sha256) {
    throw new DataError(
      `Cannot load snapshot ${path}: snapshot ${path} does not match its meta file (sha256); ` +
        `re-create it`,
    );
  }
  const raw = _decode(bytes, path, format);
  if (options.validate ?? true) {
    const barMs = options.barMs ?? (meta ? parseTimeframe(meta.timeframe) : undefined);
    validateBars(raw, { file: path, barMs });
  }
  return { bars: _canonicalBars(raw), meta };
}

/**
 * Reads `<path>.meta.json` (or `path` itself when it ends in `.meta.json`); undefined when
 * the file does not exist. Malformed JSON or fields throw `DataError`.
 */
export async function readSnapshotMeta(path: string): Promise<SnapshotMeta | undefined> {
  const metaPath = snapshotMetaPathOf(path);
  let text: string;
  try {
    text = await Deno.readTextFile(metaPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new DataError(`Cannot load snapshot meta ${metaPath}: ${_messageOf(error)}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(
      `Cannot load snapshot meta ${metaPath}: not valid JSON (${
        _messageOf(error)
      }); re-create the snapshot`,
      { cause: error },
    );
  }
  return _metaFromJson(json, metaPath);
}

function _encode(bars: pl.DataFrame, format: SnapshotFormat): Uint8Array {
  if (format === "parquet") return bars.writeParquet({ compression: "zstd" });
  const csv = _encodeBarsCsv(bars);
  return format === "csv" ? csv : gzipSync(csv);
}

function _decode(bytes: Uint8Array, path: string, format: SnapshotFormat): pl.DataFrame {
  if (format === "parquet") return _parseParquet(bytes, { path, what: "snapshot" });
  const context = `Cannot load snapshot ${path}`;
  if (format === "csv") return _decodeBarsCsv(bytes, { path, context });
  let csv: Uint8Array;
  try {
    csv = gunzipSync(bytes);
  } catch (error) {
    throw new DataError(`${context}: not a readable gzip file (${_messageOf(error)})`, {
      cause: error,
    });
  }
  return _decodeBarsCsv(csv, { path, context });
}

function _sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function _presentSymbols(bars: pl.DataFrame): string[] {
  if (bars.height === 0) return [];
  return (bars.getColumn("full_symbol").unique().toArray() as string[]).sort();
}

function _delivered(bars: pl.DataFrame): TimeRange | null {
  if (bars.height === 0) return null;
  const r = bars.lazy().select(
    pl.col("start_timestamp").min().cast(pl.Int64).cast(pl.Float64).alias("start"),
    pl.col("timestamp").max().cast(pl.Int64).cast(pl.Float64).alias("end"),
  ).collectSync();
  return { start: _cell(r, "start") as number, end: _cell(r, "end") as number };
}

function _iso(ms: number): string {
  return new Date(ms).toISOString();
}

function _metaToJson(meta: SnapshotMeta): Record<string, unknown> {
  const range = (r: TimeRange | null) =>
    r === null ? null : { start: _iso(r.start), end: _iso(r.end) };
  const json: Record<string, unknown> = {
    format_version: meta.formatVersion,
    exchange: meta.exchange,
    symbols: meta.symbols,
    timeframe: meta.timeframe,
    requested: range(meta.requested),
    delivered: range(meta.delivered),
    rows: meta.rows,
    gaps: meta.gaps.map((g) => ({
      full_symbol: g.fullSymbol,
      asset_id: g.assetId,
      from: _iso(g.from),
      to: _iso(g.to),
      missing_bars: g.missingBars,
    })),
  };
  if (meta.knowledgeDelayMs !== undefined) json.knowledge_delay_ms = meta.knowledgeDelayMs;
  json.source = meta.source;
  json.created_at = _iso(meta.createdAt);
  json.sha256 = meta.sha256;
  return json;
}

function _metaFromJson(json: unknown, metaPath: string): SnapshotMeta {
  const fail = (what: string): never => {
    throw new DataError(`Cannot load snapshot meta ${metaPath}: ${what}; re-create the snapshot`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("not a JSON object");
  const o = json as Record<string, unknown>;
  const str = (key: string): string =>
    typeof o[key] === "string" ? o[key] as string : fail(`${key} must be a string`);
  const num = (v: unknown, key: string): number =>
    typeof v === "number" && Number.isFinite(v) ? v : fail(`${key} must be a number`);
  const time = (v: unknown, key: string): number => {
    const ms = typeof v === "string" ? Date.parse(v) : NaN;
    return Number.isFinite(ms) ? ms : fail(`${key} must be an ISO-8601 UTC time`);
  };
  const range = (key: string): TimeRange | null => {
    const v = o[key];
    if (v === null || v === undefined) return null;
    if (typeof v !== "object") return fail(`${key} must be {start, end} or null`);
    const r = v as Record<string, unknown>;
    return { start: time(r.start, `${key}.start`), end: time(r.end, `${key}.end`) };
  };
  const version = num(o.format_version, "format_version");
  if (version > SNAPSHOT_FORMAT_VERSION) {
    fail(
      `format_version ${version} is newer than this dagtrade reads (${SNAPSHOT_FORMAT_VERSION})`,
    );
  }
  const symbols = Array.isArray(o.symbols) && o.symbols.every((s) => typeof s === "string")
    ? o.symbols as string[]
    : fail("symbols must be a list of strings");
  const gaps = Array.isArray(o.gaps) ? o.gaps : fail("gaps must be a list");
  const meta: SnapshotMeta = {
    formatVersion: version,
    exchange: str("exchange"),
    symbols,
    timeframe: str("timeframe"),
    requested: range("requested"),
    delivered: range("delivered"),
    rows: num(o.rows, "rows"),
    gaps: gaps.map((g: unknown, i: number) => {
      const r = (typeof g === "object" && g !== null ? g : {}) as Record<string, unknown>;
      const fs = typeof r.full_symbol === "string"
        ? r.full_symbol
        : fail(`gaps[${i}].full_symbol must be a string`);
      return {
        fullSymbol: fs,
        assetId: r.asset_id === undefined ? assetIdOf(fs) : num(r.asset_id, `gaps[${i}].asset_id`),
        from: time(r.from, `gaps[${i}].from`),
        to: time(r.to, `gaps[${i}].to`),
        missingBars: num(r.missing_bars, `gaps[${i}].missing_bars`),
      };
    }),
    source: str("source"),
    createdAt: time(o.created_at, "created_at"),
    sha256: str("sha256"),
  };
  try {
    parseTimeframe(meta.timeframe);
  } catch (error) {
    throw new DataError(
      `Cannot load snapshot meta ${metaPath}: bad timeframe '${meta.timeframe}'`,
      {
        cause: error,
      },
    );
  }
  if (o.knowledge_delay_ms !== undefined) {
    meta.knowledgeDelayMs = num(o.knowledge_delay_ms, "knowledge_delay_ms");
  }
  return meta;
}
