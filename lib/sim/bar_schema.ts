/**
 * The bar contract (DESIGN §3): long format, one row per asset per bar, sorted by
 * `(timestamp, asset_id)`, `timestamp` = bar END, times as `Datetime("ms", "UTC")`.
 */
import { UsageError } from "../errors/mod.ts";

/** Column names of the bar contract, in their canonical order. */
export const BAR_COLUMNS = [
  "timestamp",
  "start_timestamp",
  "asset_id",
  "full_symbol",
  "open",
  "high",
  "low",
  "close",
  "volume",
  "knowledge_timestamp",
] as const;

/** One column name of the bar contract. */
export type BarColumn = typeof BAR_COLUMNS[number];

/** The price columns (Float64, finite, non-negative). */
export const PRICE_COLUMNS = ["open", "high", "low", "close"] as const;

/** The datetime columns (Datetime ms UTC). */
export const TIME_COLUMNS = ["timestamp", "start_timestamp", "knowledge_timestamp"] as const;

const _UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  T: 60_000,
  min: 60_000,
  h: 3_600_000,
  H: 3_600_000,
  d: 86_400_000,
  D: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Parses a bar frequency (`5m`, `1h`, `1d`, `30s`, and the pandas-style `5T`, `1H`, `1D`)
 * into milliseconds. Throws `UsageError` naming the accepted forms.
 */
export function parseTimeframe(timeframe: string): number {
  const match = /^(\d+)(s|m|min|T|h|H|d|D|w)$/.exec(timeframe.trim());
  const unit = match ? _UNIT_MS[match[2] as string] : undefined;
  const count = match ? Number(match[1]) : 0;
  if (!match || unit === undefined || count <= 0) {
    throw new UsageError(
      `Cannot parse timeframe '${timeframe}': expected a positive count and a unit, e.g. 1m, 5m, 1h, 1d (or 5T)`,
    );
  }
  return count * unit;
}

/** Formats a bar period in ms in ccxt's style (`5m`, `1h`, `1d`, `30s`). */
export function formatTimeframe(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** Formats epoch ms as a compact UTC ISO string (`2025-01-03T10:05Z`; seconds when non-zero). */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (iso.endsWith(":00.000Z")) return iso.slice(0, 16) + "Z";
  if (iso.endsWith(".000Z")) return iso.slice(0, 19) + "Z";
  return iso;
}

/**
 * Parses a UTC time given on the command line or in a config: `2025-01-03`,
 * `2025-01-03T10:05`, `2025-01-03T10:05:00Z`, or epoch ms digits. A time without a zone is UTC.
 * Throws `UsageError` naming `what` (e.g. `--start`).
 */
export function parseTime(text: string, what = "time"): number {
  const t = text.trim();
  if (/^\d{10,14}$/.test(t)) return Number(t);
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]00:?00)?$/
      .exec(t);
  if (m) {
    const ms = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
      Number((m[7] ?? "0").padEnd(3, "0")),
    );
    const check = new Date(ms);
    if (check.getUTCDate() === Number(m[3]) && check.getUTCMonth() === Number(m[2]) - 1) return ms;
  }
  throw new UsageError(
    `Cannot parse ${what} '${text}': expected a UTC date like 2025-01-03 or 2025-01-03T10:05Z`,
  );
}

/**
 * Parses a duration (`0`, `500ms`, `10s`, `5m`, `1h`, `2d`) into ms. Throws `UsageError`
 * naming `what` (e.g. `--knowledge-delay`).
 */
export function parseDuration(text: string, what = "duration"): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (m) {
    const n = Number(m[1]);
    const unit = m[2] ?? (n === 0 ? "ms" : undefined);
    const factor = unit === undefined
      ? undefined
      : { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
    if (factor !== undefined && Number.isInteger(n * factor)) return n * factor;
  }
  throw new UsageError(
    `Cannot parse ${what} '${text}': expected a duration like 0, 500ms, 10s, 5m, 1h or 2d`,
  );
}

/**
 * Formats epoch ms as a compact UTC time for file and directory names: `20250103T100500Z`, with
 * milliseconds only when non-zero (`20250103T100500.250Z`; `options.msSeparator` replaces the
 * `.`, e.g. `,` where `.` separates a file name's fields).
 */
export function compactTime(ms: number, options: { msSeparator?: string } = {}): string {
  const iso = new Date(ms).toISOString(); // 2025-01-03T10:05:00.000Z
  const base = iso.slice(0, 19).replaceAll("-", "").replaceAll(":", "");
  const millis = iso.slice(20, 23);
  return millis === "000" ? `${base}Z` : `${base}${options.msSeparator ?? "."}${millis}Z`;
}
