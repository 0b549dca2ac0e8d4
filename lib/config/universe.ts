/**
 * Universes: versioned, ordered symbol lists in `fixtures/universes/<name>.json`
 * (`{name, version, exchange, description, symbols}`; symbols ordered by rank, so the top N are
 * the first N). A published version never changes; a change is a new `<family>_v<N+1>` file.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, UsageError } from "../errors/mod.ts";

/** One universe file. */
export interface Universe {
  /** The universe name, equal to the file name without `.json` (e.g. `binance_v1`). */
  name: string;
  /** The version number (non-negative integer). */
  version: number;
  /** The ccxt exchange id (e.g. `binance`). */
  exchange: string;
  /** What the universe is and how it is ordered. */
  description: string;
  /** The ccxt symbols (`BASE/QUOTE`), unique, ordered by rank. */
  symbols: readonly string[];
  /** The file it was read from. */
  path: string;
}

/** Options of the universe functions. */
export interface UniverseOptions {
  /** The directory of universe files. Default: the repository's `fixtures/universes/`. */
  dir?: string | URL;
}

/** The default universe directory: `fixtures/universes/` of this repository. */
export const DEFAULT_UNIVERSE_DIR: URL = new URL("../../fixtures/universes/", import.meta.url);

const _NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const _SYMBOL = /^[A-Za-z0-9]+\/[A-Za-z0-9]+(?::[A-Za-z0-9]+)?$/;
const _FIELDS = ["name", "version", "exchange", "description", "symbols"];

function _dirPath(options: UniverseOptions): string {
  const dir = options.dir ?? DEFAULT_UNIVERSE_DIR;
  return dir instanceof URL ? fileURLToPath(dir) : dir;
}

/** The names of the universes in the directory (files `*.json`), sorted. */
export async function listUniverses(options: UniverseOptions = {}): Promise<string[]> {
  const dir = _dirPath(options);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name.slice(0, -5));
    }
  } catch (error) {
    throw new ConfigError(`Cannot list universes in '${dir}': ${String(error)}`, { cause: error });
  }
  return names.sort();
}

/**
 * Reads and validates `<dir>/<name>.json`. An unknown name is a `UsageError` listing the
 * known universes; a malformed file is a `ConfigError` naming the file and the field.
 */
export async function loadUniverse(name: string, options: UniverseOptions = {}): Promise<Universe> {
  const dir = _dirPath(options);
  if (!_NAME.test(name)) {
    throw new UsageError(
      `Bad universe name '${name}': expected letters, digits, '_' or '-', e.g. binance_v1`,
    );
  }
  const path = join(dir, `${name}.json`);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new ConfigError(`Cannot read universe file '${path}': ${String(error)}`, {
        cause: error,
      });
    }
    const known = await listUniverses({ dir });
    throw new UsageError(
      `Unknown universe '${name}' (no ${name}.json in ${dir}); known universes: ${
        known.length ? known.join(", ") : "(none)"
      }`,
      { cause: error },
    );
  }
  return _validate(text, name, path);
}

function _validate(text: string, name: string, path: string): Universe {
  const fail = (what: string, cause?: unknown): never => {
    throw new ConfigError(
      `Bad universe file '${path}': ${what}`,
      cause === undefined ? {} : { cause },
    );
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    fail(`invalid JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return fail("expected a JSON object");
  }
  const record = data as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!_FIELDS.includes(key)) fail(`unknown field '${key}'; allowed: ${_FIELDS.join(", ")}`);
  }
  if (record.name !== name) {
    fail(`field 'name' is ${JSON.stringify(record.name)}, expected "${name}" (the file name)`);
  }
  const version = record.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0) {
    fail(`field 'version' must be a non-negative integer, got ${JSON.stringify(version)}`);
  }
  for (const field of ["exchange", "description"]) {
    if (typeof record[field] !== "string" || record[field] === "") {
      fail(`field '${field}' must be a non-empty string`);
    }
  }
  const symbols = record.symbols;
  if (!Array.isArray(symbols) || symbols.length === 0) {
    return fail("field 'symbols' must be a non-empty array of BASE/QUOTE symbols");
  }
  const seen = new Set<string>();
  for (const [i, symbol] of symbols.entries()) {
    if (typeof symbol !== "string" || !_SYMBOL.test(symbol)) {
      fail(`symbols[${i}] is ${JSON.stringify(symbol)}, expected a ccxt symbol like BTC/USDT`);
    }
    if (seen.has(symbol)) fail(`symbols[${i}] '${symbol}' is a duplicate`);
    seen.add(symbol);
  }
  return {
    name,
    version: version as number,
    exchange: record.exchange as string,
    description: record.description as string,
    symbols: Object.freeze([...(symbols as string[])]),
    path,
  };
}
