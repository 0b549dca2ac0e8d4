/**
 * Private config helpers of the node library: merging options over a node's config template
 * (rejecting unknown keys) and validating values, all as `ConfigError`s that name the node
 * and the key.
 */
import { ConfigError } from "../../errors/mod.ts";

/** Options over the template's defaults; throws `ConfigError` on a key the template lacks. */
export function _merge<T extends Record<string, unknown>>(
  nodeId: string,
  template: Readonly<T>,
  options: Partial<T>,
): T {
  for (const key of Object.keys(options)) {
    if (!(key in template)) {
      throw new ConfigError(
        `Node ${nodeId}: unknown config key '${key}'; known keys: ${
          Object.keys(template).join(", ")
        }`,
      );
    }
  }
  const out: Record<string, unknown> = { ...template };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

function _fail(nodeId: string, key: string, what: string, value: unknown): never {
  throw new ConfigError(
    `Node ${nodeId}: config key '${key}' must be ${what}, got ${JSON.stringify(value)}`,
  );
}

/** Checks a positive integer. */
export function _positiveInt(nodeId: string, key: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    _fail(nodeId, key, "a positive integer", value);
  }
  return value;
}

/** Checks a non-negative integer. */
export function _nonNegativeInt(nodeId: string, key: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    _fail(nodeId, key, "a non-negative integer", value);
  }
  return value;
}

/** Checks a finite number `> 0` (or `>= 0` when `allowZero`). */
export function _positiveNumber(
  nodeId: string,
  key: string,
  value: unknown,
  options: { allowZero?: boolean } = {},
): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (options.allowZero ? value >= 0 : value > 0);
  if (!ok) _fail(nodeId, key, options.allowZero ? "a number >= 0" : "a number > 0", value);
  return value as number;
}

/** Checks a finite number. */
export function _finiteNumber(nodeId: string, key: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    _fail(nodeId, key, "a finite number", value);
  }
  return value;
}

/** Checks a non-empty string. */
export function _name(nodeId: string, key: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    _fail(nodeId, key, "a non-empty column name", value);
  }
  return value;
}

/** Checks a string (possibly empty). */
export function _text(nodeId: string, key: string, value: unknown): string {
  if (typeof value !== "string") _fail(nodeId, key, "a string", value);
  return value;
}

/** Checks a list of distinct non-empty strings (non-empty unless `allowEmpty`). */
export function _names(
  nodeId: string,
  key: string,
  value: unknown,
  options: { allowEmpty?: boolean } = {},
): string[] {
  if (
    !Array.isArray(value) || (!options.allowEmpty && value.length === 0) ||
    value.some((v) => typeof v !== "string" || v.length === 0) ||
    new Set(value).size !== value.length
  ) {
    _fail(nodeId, key, "a non-empty list of distinct column names", value);
  }
  return value as string[];
}

/** Checks one of the allowed string values. */
export function _oneOf<T extends string>(
  nodeId: string,
  key: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    _fail(nodeId, key, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }
  return value as T;
}

/** Checks a boolean. */
export function _boolean(nodeId: string, key: string, value: unknown): boolean {
  if (typeof value !== "boolean") _fail(nodeId, key, "true or false", value);
  return value;
}

/** Resolves and checks `min_periods` (null = `window`; at least `least`). */
export function _minPeriods(
  id: string,
  window: number,
  minPeriods: number | null,
  least: number,
): number {
  const m = minPeriods === null ? window : _positiveInt(id, "min_periods", minPeriods);
  if (m > window || m < least) {
    throw new ConfigError(
      `Node ${id}: config key 'min_periods' (${m}) must be between ${least} and 'window' (${window})`,
    );
  }
  return m;
}
