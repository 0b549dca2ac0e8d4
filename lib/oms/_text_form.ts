/**
 * Private helpers of the one-line string forms of `Order` and `Fill`: numbers printed so that
 * they parse back to the same double (`String(x)`, plus `-0`), times as ISO 8601 UTC with
 * milliseconds, JSON extra parameters, and a strict `key=value` line parser.
 */
import { DataError, UsageError } from "../errors/mod.ts";

/** Prints a double so that `_parseNumber` gives it back bit for bit (`-0`, `NaN` included). */
export function _formatNumber(x: number): string {
  return Object.is(x, -0) ? "-0" : String(x);
}

const _NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$|^NaN$/;

/** Parses a number printed by `_formatNumber` (any decimal literal); throws `DataError`. */
export function _parseNumber(text: string, where: string, key: string): number {
  if (!_NUMBER.test(text)) {
    throw new DataError(`${where}: ${key}=${text} is not a number`);
  }
  return Number(text);
}

/** Prints an optional number: `None` when undefined. */
export function _formatOptional(x: number | undefined): string {
  return x === undefined ? "None" : _formatNumber(x);
}

/** Parses an optional number printed by `_formatOptional`. */
export function _parseOptional(text: string, where: string, key: string): number | undefined {
  return text === "None" ? undefined : _parseNumber(text, where, key);
}

/** The last two times `_formatTimestamp` printed (an order prints its creation, start and end). */
const _lastTimes: [number, string, number, string] = [NaN, "", NaN, ""];

/** Prints epoch ms as ISO 8601 UTC with milliseconds (`2025-01-06T00:05:00.000Z`). */
export function _formatTimestamp(ms: number): string {
  const last = _lastTimes;
  if (ms === last[0]) return last[1];
  if (ms === last[2]) return last[3];
  const text = new Date(ms).toISOString();
  last[2] = last[0];
  last[3] = last[1];
  last[0] = ms;
  last[1] = text;
  return text;
}

const _ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Parses a time printed by `_formatTimestamp`; throws `DataError`. */
export function _parseTimestamp(text: string, where: string, key: string): number {
  const ms = _ISO.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== text) {
    throw new DataError(
      `${where}: ${key}=${text} is not a UTC time like 2025-01-06T00:05:00.000Z`,
    );
  }
  return ms;
}

/** Checks that a time is integer epoch ms; throws `UsageError` naming `what`. */
export function _checkTime(ms: number, what: string): void {
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) {
    throw new UsageError(`${what} must be integer epoch ms, got ${ms}`);
  }
}

/**
 * Checks that `value` is plain JSON that round-trips exactly (finite numbers other than −0,
 * strings, booleans, null, arrays, plain objects); throws `UsageError` naming the path.
 */
export function _checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Object.is(value, -0)) {
      throw new UsageError(`${path} is ${_formatNumber(value)}: JSON cannot hold it exactly`);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => _checkJson(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      _checkJson(item, `${path}.${key}`);
    }
    return;
  }
  throw new UsageError(`${path} is not a JSON value (got ${typeof value})`);
}

/**
 * Splits `<prefix> k1=v1 k2=v2 ... kn=<rest of line>` with the keys in exactly the given order
 * (values of all but the last key have no spaces). Throws `DataError` naming the first
 * mismatch.
 */
export function _parseLine(
  text: string,
  prefix: string,
  keys: readonly string[],
  what: string,
): Map<string, string> {
  const where = `Cannot parse ${what} '${text.length > 200 ? text.slice(0, 200) + "…" : text}'`;
  if (!text.startsWith(prefix + " ")) {
    throw new DataError(`${where}: it must start with '${prefix} '`);
  }
  const out = new Map<string, string>();
  let rest = text.slice(prefix.length + 1);
  keys.forEach((key, i) => {
    if (!rest.startsWith(key + "=")) {
      throw new DataError(
        `${where}: expected '${key}=' at '${rest.slice(0, 40)}' (fields in order: ${
          keys.join(", ")
        })`,
      );
    }
    rest = rest.slice(key.length + 1);
    if (i === keys.length - 1) {
      out.set(key, rest);
      return;
    }
    const space = rest.indexOf(" ");
    if (space <= 0) throw new DataError(`${where}: no value or no field after '${key}='`);
    out.set(key, rest.slice(0, space));
    rest = rest.slice(space + 1);
  });
  return out;
}
