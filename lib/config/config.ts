/**
 * `Config`: the nested, mark-as-used configuration tree of DESIGN §4 (after the Python
 * `core/config/config_.py`). A config holds subconfigs and leaves; a leaf is a JSON value
 * (string, number, boolean, null, or an array of JSON values) stored with whether it was used
 * and who wrote it. Plain objects given to a config become subconfigs.
 *
 * Keys are compound: `["market_data", "start"]` or the dotted `"market_data.start"`; a key part
 * is non-empty and contains no `.`, `=` or line break.
 */
import { fileURLToPath } from "node:url";
import { ConfigError } from "../errors/mod.ts";
import { ClobberError, OverwriteError, ReadOnlyConfigError } from "./config_errors.ts";
import {
  type OrderedJson,
  OrderedJsonObject,
  OrderedJsonSyntaxError,
  parseOrderedJson,
} from "./ordered_json.ts";

/** A JSON value (read-only view). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A JSON object (read-only view). */
export type JsonObject = { readonly [key: string]: JsonValue };

/** A leaf value: a JSON value that is not an object (objects become subconfigs). */
export type ConfigLeaf = null | boolean | number | string | readonly JsonValue[];

/** What a key holds: a leaf or a subconfig. */
export type ConfigValue = ConfigLeaf | Config;

/** A compound key: its parts, or the parts joined with `.` (`"market_data.start"`). */
export type ConfigKey = string | readonly string[];

/** The template value that must be replaced before a config is used (`checkFilled()`). */
export const DUMMY = "__DUMMY__";

/**
 * What `set()`/`update()` do when the key already exists: `assert_on_overwrite` throws
 * `OverwriteError`, `overwrite` replaces the value, `assign_if_missing` keeps the old one.
 */
export type UpdateMode = "assert_on_overwrite" | "overwrite" | "assign_if_missing";

/**
 * Whether a used leaf may change: `assert_on_write_after_use` throws `ClobberError` when a leaf
 * already marked as used gets a different value; `allow_write_after_use` lets it.
 */
export type ClobberMode = "assert_on_write_after_use" | "allow_write_after_use";

/** Options of `Config.set()` and `Config.update()`. */
export interface ConfigWriteOptions {
  /** What to do when the key exists. Default: `"assert_on_overwrite"`. */
  updateMode?: UpdateMode;
  /** Whether a used leaf may get a different value. Default: `"assert_on_write_after_use"`. */
  clobberMode?: ClobberMode;
  /**
   * The writer recorded with the new leaves. Default: the caller's `file:line` (relative to the
   * repository, e.g. `lib/dag/builder.ts:42`); `update()` keeps the other config's writers.
   */
  writer?: string;
}

/** Options of `Config.fromObject()` and `Config.fromJSON()`. */
export interface ConfigBuildOptions {
  /** The writer recorded with every leaf. Default: the caller's `file:line`. */
  writer?: string;
}

/** Options of the typed getters (`getString()`, `getNumber()`, ...). */
export interface TypedGetOptions<T> {
  /** Returned when the key is missing. Default: none (a missing key throws `ConfigError`). */
  default?: T;
  /** Mark the value as used, like `getAndMarkAsUsed()`. Default: false. */
  markAsUsed?: boolean;
}

/** One leaf as listed by `Config.leaves()`. */
export interface ConfigLeafInfo {
  /** The dotted key, e.g. `market_data.start`. */
  key: string;
  /** The key's parts. */
  path: string[];
  /** The value. */
  value: ConfigLeaf;
  /** Whether `getAndMarkAsUsed()` reached it. */
  markedAsUsed: boolean;
  /** Who wrote it (`file:line`, a file path, `--set`, ...). */
  writer: string;
}

interface _Leaf {
  kind: "leaf";
  value: ConfigLeaf;
  markedAsUsed: boolean;
  writer: string;
}

interface _Sub {
  kind: "config";
  config: Config;
  writer: string;
}

type _Entry = _Leaf | _Sub;

// Set by Config's static block: private-field access for the module's helper functions.
let _pairsOf: (config: Config) => [string, Config | ConfigLeaf][];
let _entriesOf: (config: Config) => Map<string, _Entry>;

/**
 * A nested configuration: subconfigs and JSON leaves, each leaf stored with
 * (markedAsUsed, writer, value). See the module doc and DESIGN §4 for the rules.
 */
export class Config {
  #entries = new Map<string, _Entry>();
  #readOnly = false;

  /**
   * Builds a config from a plain object; nested plain objects become subconfigs, and key order
   * is the object's (JavaScript puts integer-like keys first; use `fromJSON` to keep a file's
   * order).
   */
  static fromObject(object: JsonObject, options: ConfigBuildOptions = {}): Config {
    const writer = options.writer ?? _callSite();
    if (!_isPlainObject(object)) {
      throw new ConfigError(
        `Cannot build a Config from ${_typeName(object)}: expected a plain object`,
      );
    }
    return Config.#fromPlain(object, writer, []);
  }

  /**
   * Parses JSON text (an object at the top level) into a config, keeping key order exactly as
   * written. Throws `ConfigError` with the line and column of a syntax error.
   */
  static fromJSON(text: string, options: ConfigBuildOptions = {}): Config {
    const writer = options.writer ?? _callSite();
    let parsed: OrderedJson;
    try {
      parsed = parseOrderedJson(text);
    } catch (error) {
      if (error instanceof OrderedJsonSyntaxError) {
        throw new ConfigError(`Cannot parse config JSON: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (!(parsed instanceof OrderedJsonObject)) {
      throw new ConfigError(
        `Cannot parse config JSON: expected an object at the top level, got ${
          Array.isArray(parsed) ? "an array" : typeof parsed === "object" ? "null" : typeof parsed
        }`,
      );
    }
    return Config.#fromOrdered(parsed, writer, []);
  }

  static #fromPlain(object: JsonObject, writer: string, prefix: string[]): Config {
    const config = new Config();
    for (const [part, value] of Object.entries(object)) {
      const path = [...prefix, part];
      _checkPart(part, path);
      config.#entries.set(part, Config.#entryFrom(value, writer, path));
    }
    return config;
  }

  static #fromOrdered(object: OrderedJsonObject, writer: string, prefix: string[]): Config {
    const config = new Config();
    for (const [part, value] of object.entries) {
      const path = [...prefix, part];
      _checkPart(part, path);
      if (value instanceof OrderedJsonObject) {
        config.#entries.set(part, {
          kind: "config",
          config: Config.#fromOrdered(value, writer, path),
          writer,
        });
      } else {
        config.#entries.set(part, {
          kind: "leaf",
          value: _normalizeLeaf(_fromOrdered(value) as ConfigLeaf, path),
          markedAsUsed: false,
          writer,
        });
      }
    }
    return config;
  }

  /** Makes the entry for a value given to `set()`, validating it (no side effects). */
  static #entryFrom(value: JsonValue | Config, writer: string, path: string[]): _Entry {
    if (value instanceof Config) {
      return { kind: "config", config: value.#clone({ keepMarks: true }), writer };
    }
    if (_isPlainObject(value)) {
      return { kind: "config", config: Config.#fromPlain(value, writer, path), writer };
    }
    return {
      kind: "leaf",
      value: _normalizeLeaf(value as ConfigLeaf, path),
      markedAsUsed: false,
      writer,
    };
  }

  /** Whether `markReadOnly()` froze this config. */
  get isReadOnly(): boolean {
    return this.#readOnly;
  }

  /** The top-level keys, in insertion order. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Whether the key exists (as a leaf or a subconfig). */
  has(key: ConfigKey): boolean {
    return this.#find(_toPath(key)) !== undefined;
  }

  /** The value at `key`, without marking it as used. A missing key throws `ConfigError`. */
  get(key: ConfigKey): ConfigValue;
  /** The value at `key`, or `options.default` when the key is missing. */
  get<D>(key: ConfigKey, options: { default: D }): ConfigValue | D;
  get<D>(key: ConfigKey, options?: { default: D }): ConfigValue | D {
    const path = _toPath(key);
    const entry = this.#find(path);
    if (entry === undefined) {
      if (options !== undefined && "default" in options) return options.default;
      throw this.#missing(path);
    }
    return entry.kind === "leaf" ? entry.value : entry.config;
  }

  /**
   * The value at `key`, marking it as used (a subconfig marks all its leaves). Nothing else is
   * recorded. Marking is allowed on a read-only config. With `options.default`, a missing key
   * returns the default (and marks nothing).
   */
  getAndMarkAsUsed(key: ConfigKey): ConfigValue;
  /** Like `getAndMarkAsUsed(key)`, returning `options.default` when the key is missing. */
  getAndMarkAsUsed<D>(key: ConfigKey, options: { default: D }): ConfigValue | D;
  getAndMarkAsUsed<D>(key: ConfigKey, options?: { default: D }): ConfigValue | D {
    const path = _toPath(key);
    const entry = this.#find(path);
    if (entry === undefined) {
      if (options !== undefined && "default" in options) return options.default;
      throw this.#missing(path);
    }
    if (entry.kind === "leaf") {
      entry.markedAsUsed = true;
      return entry.value;
    }
    entry.config.#markAllUsed();
    return entry.config;
  }

  /** The string at `key`; another type (or an unfilled DUMMY) throws `ConfigError`. */
  getString(key: ConfigKey, options: TypedGetOptions<string> = {}): string {
    return this.#getTyped(key, options, "a string", (v): v is string => typeof v === "string");
  }

  /** The (finite) number at `key`; another type throws `ConfigError`. */
  getNumber(key: ConfigKey, options: TypedGetOptions<number> = {}): number {
    return this.#getTyped(key, options, "a number", (v): v is number => typeof v === "number");
  }

  /** The boolean at `key`; another type throws `ConfigError`. */
  getBoolean(key: ConfigKey, options: TypedGetOptions<boolean> = {}): boolean {
    return this.#getTyped(key, options, "a boolean", (v): v is boolean => typeof v === "boolean");
  }

  /** The subconfig at `key`; a leaf throws `ConfigError`. */
  getConfig(key: ConfigKey, options: TypedGetOptions<Config> = {}): Config {
    return this.#getTyped(key, options, "a subconfig", (v): v is Config => v instanceof Config);
  }

  #getTyped<T>(
    key: ConfigKey,
    options: TypedGetOptions<T>,
    expected: string,
    check: (value: ConfigValue) => value is ConfigValue & T,
  ): T {
    const path = _toPath(key);
    if (!this.has(path) && "default" in options) return options.default as T;
    const value = options.markAsUsed ? this.getAndMarkAsUsed(path) : this.get(path);
    if (value === DUMMY) {
      throw new ConfigError(
        `Config key '${_dotted(path)}' is an unfilled ${DUMMY}; set it with --set ${
          _dotted(path)
        }=<value> or --config`,
      );
    }
    if (!check(value)) {
      throw new ConfigError(
        `Config key '${_dotted(path)}' must be ${expected}, got ${_describe(value)}`,
      );
    }
    return value;
  }

  /**
   * Sets `key` to `value` (a JSON value or a Config; plain objects become subconfigs, a Config
   * is copied). Missing intermediate subconfigs are created. Rules: an existing key needs
   * `updateMode` (`OverwriteError`); a used leaf may not change (`ClobberError`, only when the
   * new value differs); a read-only config refuses every write (`ReadOnlyConfigError`); a leaf
   * in the middle of the key is a `ConfigError`. Nothing changes when it throws.
   */
  set(key: ConfigKey, value: JsonValue | Config, options: ConfigWriteOptions = {}): void {
    const writer = options.writer ?? _callSite();
    _checkModes(options);
    const path = _toPath(key);
    // deno-lint-ignore no-this-alias
    let node: Config = this;
    let depth = 0;
    for (; depth < path.length - 1; depth++) {
      node.#assertWritable(path);
      const entry = node.#entries.get(path[depth] as string);
      if (entry === undefined) break;
      if (entry.kind === "leaf") {
        const prefix = _dotted(path.slice(0, depth + 1));
        throw new ConfigError(
          `Cannot set '${_dotted(path)}': '${prefix}' holds a value (${
            formatConfigLeaf(entry.value)
          }), not a subconfig; overwrite '${prefix}' with an object first`,
        );
      }
      node = entry.config;
    }
    node.#assertWritable(path);
    const newEntry = Config.#entryFrom(value, writer, path);
    for (; depth < path.length - 1; depth++) {
      const sub = new Config();
      node.#entries.set(path[depth] as string, { kind: "config", config: sub, writer });
      node = sub;
    }
    node.#write(path[path.length - 1] as string, newEntry, options, path, true);
  }

  /**
   * Merges `other` into this config: subconfigs present in both are merged recursively, every
   * other key is written with `set()`'s rules and `options`' modes. The merged leaves keep the
   * writers recorded in `other` (unless `options.writer` is given) and start unused. Nothing
   * changes when it throws.
   */
  update(other: Config, options: ConfigWriteOptions = {}): void {
    _checkModes(options);
    this.#merge(other, options, [], false);
    this.#merge(other, options, [], true);
  }

  #merge(other: Config, options: ConfigWriteOptions, prefix: string[], apply: boolean): void {
    for (const [part, theirs] of other.#entries) {
      const path = [...prefix, part];
      const mine = this.#entries.get(part);
      if (mine?.kind === "config" && theirs.kind === "config") {
        mine.config.#merge(theirs.config, options, path, apply);
        continue;
      }
      const entry = _cloneEntry(theirs, false, options.writer);
      this.#write(part, entry, options, path, apply);
    }
  }

  /** Writes one entry at `part` of this config, enforcing the write rules. */
  #write(
    part: string,
    entry: _Entry,
    options: ConfigWriteOptions,
    path: readonly string[],
    apply: boolean,
  ): void {
    this.#assertWritable(path);
    const existing = this.#entries.get(part);
    if (existing !== undefined) {
      const updateMode = options.updateMode ?? "assert_on_overwrite";
      if (updateMode === "assign_if_missing") return;
      if (updateMode === "assert_on_overwrite") {
        throw new OverwriteError(
          `Cannot set '${_dotted(path)}' to ${_entryText(entry)}: it already holds ${
            _entryText(existing)
          } (written at ${existing.writer}); pass updateMode "overwrite" to replace it or "assign_if_missing" to keep it`,
        );
      }
      const clobberMode = options.clobberMode ?? "assert_on_write_after_use";
      const equal = _jsonEqual(_entryJson(existing), _entryJson(entry));
      if (clobberMode === "assert_on_write_after_use" && !equal && _entryUsed(existing)) {
        throw new ClobberError(
          `Cannot change '${_dotted(path)}' from ${_entryText(existing)} to ${
            _entryText(entry)
          }: it was already used (getAndMarkAsUsed), so code may have acted on the old value; set it before it is used, or pass clobberMode "allow_write_after_use"`,
        );
      }
      if (equal) _carryMarks(existing, entry);
    }
    if (apply) this.#entries.set(part, entry);
  }

  #assertWritable(path: readonly string[]): void {
    if (this.#readOnly) {
      throw new ReadOnlyConfigError(
        `Cannot set '${
          _dotted(path)
        }': the config is read-only (markReadOnly()); use copy() to get a writable config`,
      );
    }
  }

  /** A deep copy: same values, marks and writers; the copy is writable. */
  copy(): Config {
    return this.#clone({ keepMarks: true });
  }

  #clone(options: { keepMarks: boolean }): Config {
    const config = new Config();
    for (const [part, entry] of this.#entries) {
      config.#entries.set(part, _cloneEntry(entry, options.keepMarks, undefined));
    }
    return config;
  }

  /** Freezes this config and all its subconfigs: every later write throws `ReadOnlyConfigError`. */
  markReadOnly(): void {
    this.#readOnly = true;
    for (const entry of this.#entries.values()) {
      if (entry.kind === "config") entry.config.markReadOnly();
    }
  }

  #markAllUsed(): void {
    for (const entry of this.#entries.values()) {
      if (entry.kind === "leaf") entry.markedAsUsed = true;
      else entry.config.#markAllUsed();
    }
  }

  /** Every leaf in depth-first key order, with its mark and writer. */
  leaves(): ConfigLeafInfo[] {
    const out: ConfigLeafInfo[] = [];
    this.#collect([], out);
    return out;
  }

  #collect(prefix: string[], out: ConfigLeafInfo[]): void {
    for (const [part, entry] of this.#entries) {
      const path = [...prefix, part];
      if (entry.kind === "config") entry.config.#collect(path, out);
      else {
        out.push({
          key: _dotted(path),
          path,
          value: entry.value,
          markedAsUsed: entry.markedAsUsed,
          writer: entry.writer,
        });
      }
    }
  }

  /** The leaves as a Map from dotted key to value (empty subconfigs do not appear). */
  flatten(): Map<string, ConfigLeaf> {
    return new Map(this.leaves().map((leaf) => [leaf.key, leaf.value]));
  }

  /** The dotted keys of the leaves never marked as used, in key order. */
  unusedLeaves(): string[] {
    return this.leaves().filter((leaf) => !leaf.markedAsUsed).map((leaf) => leaf.key);
  }

  /** The dotted keys of the leaves that still hold `DUMMY` (alone or inside an array). */
  dummyKeys(): string[] {
    return this.leaves().filter((leaf) => _containsDummy(leaf.value)).map((leaf) => leaf.key);
  }

  /**
   * Throws a `ConfigError` naming every key that still holds `DUMMY`, e.g.
   * `Config has 2 unfilled DUMMY values: dag.sma.fast, dag.sma.slow; set them with --set key=value or --config`.
   */
  checkFilled(): void {
    const keys = this.dummyKeys();
    if (keys.length === 0) return;
    throw new ConfigError(
      `Config has ${keys.length} unfilled DUMMY value${keys.length === 1 ? "" : "s"}: ${
        keys.join(", ")
      }; set ${keys.length === 1 ? "it" : "them"} with --set key=value or --config`,
    );
  }

  /**
   * `key: value` lines; a subconfig is `key:` followed by its children indented two spaces, an
   * empty one is `key: {}`. A value prints as the text `--set key=<text>` reads back to the same
   * value: non-strings and strings that would parse as JSON (`"5"`, `"true"`, `""`) are JSON,
   * other strings are bare (`start: 2025-01-01`).
   */
  toString(): string {
    const lines: string[] = [];
    this.#lines(0, false, lines);
    return lines.join("\n");
  }

  /** `toString()` with `key (marked_as_used=True|False, writer=<site>, val_type=<type>): value`. */
  toVerboseString(): string {
    const lines: string[] = [];
    this.#lines(0, true, lines);
    return lines.join("\n");
  }

  #lines(level: number, verbose: boolean, out: string[]): void {
    const pad = "  ".repeat(level);
    for (const [part, entry] of this.#entries) {
      const meta = verbose
        ? ` (marked_as_used=${
          _entryUsedAll(entry) ? "True" : "False"
        }, writer=${entry.writer}, val_type=${
          entry.kind === "config" ? "Config" : _leafType(entry.value)
        })`
        : "";
      if (entry.kind === "leaf") {
        out.push(`${pad}${part}${meta}: ${formatConfigLeaf(entry.value)}`);
      } else if (entry.config.#entries.size === 0) {
        out.push(`${pad}${part}${meta}: {}`);
      } else {
        out.push(`${pad}${part}${meta}:`);
        entry.config.#lines(level + 1, verbose, out);
      }
    }
  }

  /**
   * The config as a fresh plain object (subconfigs become nested objects). Plain objects put
   * integer-like keys first; `toJSONString()` keeps the config's exact order.
   */
  toObject(): { [key: string]: JsonValue } {
    return Object.fromEntries(
      [...this.#entries].map((
        [part, entry],
      ) => [part, entry.kind === "config" ? entry.config.toObject() : _thaw(entry.value)]),
    );
  }

  /** Same as `toObject()`; lets `JSON.stringify(config)` work. */
  toJSON(): { [key: string]: JsonValue } {
    return this.toObject();
  }

  /**
   * The config as JSON text, keys in the config's order; `Config.fromJSON()` reads it back
   * exactly. `options.indent`: spaces per level, 0 for one line. Default: 2. No trailing newline.
   */
  toJSONString(options: { indent?: number } = {}): string {
    return _stringify(this, " ".repeat(options.indent ?? 2), "");
  }

  /** Entries in order (for the serializer). */
  #pairs(): [string, Config | ConfigLeaf][] {
    return [...this.#entries].map((
      [part, entry],
    ) => [part, entry.kind === "config" ? entry.config : entry.value]);
  }

  static {
    _pairsOf = (config) => config.#pairs();
    _entriesOf = (config) => config.#entries;
  }

  #find(path: readonly string[]): _Entry | undefined {
    // deno-lint-ignore no-this-alias
    let node: Config = this;
    for (let i = 0; i < path.length; i++) {
      const entry = node.#entries.get(path[i] as string);
      if (entry === undefined) return undefined;
      if (i === path.length - 1) return entry;
      if (entry.kind === "leaf") return undefined;
      node = entry.config;
    }
    return undefined;
  }

  #missing(path: readonly string[]): ConfigError {
    // deno-lint-ignore no-this-alias
    let node: Config = this;
    for (let i = 0; i < path.length; i++) {
      const entry = node.#entries.get(path[i] as string);
      const here = _dotted(path.slice(0, i));
      if (entry === undefined) {
        const keys = [...node.#entries.keys()];
        const where = i === 0 ? "top-level keys" : `keys under '${here}'`;
        return new ConfigError(
          `Config has no key '${_dotted(path)}'; ${where}: ${
            keys.length ? keys.join(", ") : "(none)"
          }`,
        );
      }
      if (entry.kind === "leaf") {
        return new ConfigError(
          `Config has no key '${_dotted(path)}': '${_dotted(path.slice(0, i + 1))}' is a value (${
            formatConfigLeaf(entry.value)
          }), not a subconfig`,
        );
      }
      node = entry.config;
    }
    return new ConfigError(`Config has no key '${_dotted(path)}'`);
  }

  /** Prints as `toString()` in the Deno console. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.#entries.size === 0 ? "Config {}" : `Config\n${this.toString()}`;
  }
}

/**
 * Formats a leaf as `toString()` prints it: JSON, except strings that do not parse as JSON
 * and have no surrounding whitespace or control characters, which print bare.
 */
export function formatConfigLeaf(value: ConfigLeaf): string {
  if (typeof value !== "string") return JSON.stringify(value);
  const needsQuotes = value === "" || value.trim() !== value ||
    _hasControl(value) ||
    _parsesAsJson(value);
  return needsQuotes ? JSON.stringify(value) : value;
}

function _hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function _parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const _REPO_ROOT = new URL("../../", import.meta.url).href;
const _THIS_FILE = import.meta.url;

/** The first stack frame outside this file, as `path:line` relative to the repository. */
function _callSite(): string {
  const stack = new Error().stack ?? "";
  for (const raw of stack.split("\n").slice(1)) {
    const match = /(?:\(|at )([^()\s]+):(\d+):\d+\)?$/.exec(raw.trim());
    if (!match) continue;
    const file = match[1] as string;
    if (file === _THIS_FILE || file.startsWith("ext:") || file.startsWith("node:")) continue;
    let shown = file;
    if (file.startsWith(_REPO_ROOT)) shown = file.slice(_REPO_ROOT.length);
    else if (file.startsWith("file://")) shown = fileURLToPath(file);
    return `${shown}:${match[2]}`;
  }
  return "<unknown>";
}

function _toPath(key: ConfigKey): string[] {
  const path = typeof key === "string" ? key.split(".") : [...key];
  const shown = typeof key === "string" ? key : key.join(".");
  if (path.length === 0 || (typeof key === "string" && key === "")) {
    throw new ConfigError(`Invalid config key '${shown}': a key needs at least one part`);
  }
  for (const part of path) {
    if (typeof part !== "string") {
      throw new ConfigError(`Invalid config key ${JSON.stringify(key)}: parts must be strings`);
    }
    _checkPart(part, path);
  }
  return path;
}

function _checkPart(part: string, path: readonly string[]): void {
  let problem: string | undefined;
  if (part === "") problem = "a part is empty";
  else if (part.includes(".")) problem = `part '${part}' contains '.' (it separates key parts)`;
  else if (part.includes("=")) problem = `part '${part}' contains '=' (it ends the key in --set)`;
  else if (/[\r\n]/.test(part)) problem = `part ${JSON.stringify(part)} contains a line break`;
  if (problem !== undefined) {
    throw new ConfigError(`Invalid config key '${path.join(".")}': ${problem}`);
  }
}

const _UPDATE_MODES = ["assert_on_overwrite", "overwrite", "assign_if_missing"];
const _CLOBBER_MODES = ["assert_on_write_after_use", "allow_write_after_use"];

function _checkModes(options: ConfigWriteOptions): void {
  if (options.updateMode !== undefined && !_UPDATE_MODES.includes(options.updateMode)) {
    throw new ConfigError(
      `Unknown updateMode '${options.updateMode}': expected one of ${_UPDATE_MODES.join(", ")}`,
    );
  }
  if (options.clobberMode !== undefined && !_CLOBBER_MODES.includes(options.clobberMode)) {
    throw new ConfigError(
      `Unknown clobberMode '${options.clobberMode}': expected one of ${_CLOBBER_MODES.join(", ")}`,
    );
  }
}

function _dotted(path: readonly string[]): string {
  return path.join(".");
}

function _isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function _typeName(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    return `a ${(value as object).constructor?.name ?? "object"}`;
  }
  return `a ${typeof value}`;
}

/** Validates and freezes a leaf value (numbers finite, -0 stored as 0). */
function _normalizeLeaf(value: ConfigLeaf, path: readonly string[]): ConfigLeaf {
  if (_isPlainObject(value)) {
    throw new ConfigError(`Internal: object given as a leaf at '${_dotted(path)}'`);
  }
  return _normalizeJson(value, path) as ConfigLeaf;
}

function _normalizeJson(value: unknown, path: readonly string[]): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new ConfigError(
        `Cannot set '${
          _dotted(path)
        }' to ${value}: JSON has no NaN or Infinity; use null or a string`,
      );
    }
    return Object.is(value, -0) ? 0 : value;
  }
  if (Array.isArray(value)) {
    return Object.freeze(value.map((item) => _normalizeJson(item, path)));
  }
  if (_isPlainObject(value)) {
    return Object.freeze(
      Object.fromEntries(Object.entries(value).map(([k, v]) => [k, _normalizeJson(v, path)])),
    );
  }
  throw new ConfigError(
    `Cannot set '${_dotted(path)}' to ${
      _typeName(value)
    }: a config value must be a string, number, boolean, null, array or plain object`,
  );
}

function _fromOrdered(value: OrderedJson): JsonValue {
  if (value instanceof OrderedJsonObject) {
    return Object.fromEntries(value.entries.map(([k, v]) => [k, _fromOrdered(v)]));
  }
  if (Array.isArray(value)) return value.map(_fromOrdered);
  return value;
}

/** A mutable deep copy of a JSON value. */
function _thaw(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(_thaw);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, _thaw(v)]));
  }
  return value;
}

function _jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => _jsonEqual(item, b[i] as JsonValue));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  const ob = b as { readonly [key: string]: JsonValue };
  return ka.every((k) =>
    Object.hasOwn(ob, k) && _jsonEqual((a as JsonObject)[k] as JsonValue, ob[k] as JsonValue)
  );
}

function _entryJson(entry: _Entry): JsonValue {
  return entry.kind === "leaf" ? entry.value : entry.config.toObject();
}

function _entryText(entry: _Entry): string {
  if (entry.kind === "leaf") return formatConfigLeaf(entry.value);
  const text = JSON.stringify(entry.config.toObject());
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Whether any leaf in the entry was used. */
function _entryUsed(entry: _Entry): boolean {
  if (entry.kind === "leaf") return entry.markedAsUsed;
  for (const sub of _entriesOf(entry.config).values()) if (_entryUsed(sub)) return true;
  return false;
}

/** Whether the entry has leaves and all of them were used (a subconfig's verbose mark). */
function _entryUsedAll(entry: _Entry): boolean {
  if (entry.kind === "leaf") return entry.markedAsUsed;
  const leaves = entry.config.leaves();
  return leaves.length > 0 && leaves.every((leaf) => leaf.markedAsUsed);
}

/** Copies the used marks of `from` onto the equal `to` (an equal rewrite stays used). */
function _carryMarks(from: _Entry, to: _Entry): void {
  if (from.kind === "leaf" && to.kind === "leaf") {
    to.markedAsUsed = to.markedAsUsed || from.markedAsUsed;
    return;
  }
  if (from.kind === "config" && to.kind === "config") {
    const target = _entriesOf(to.config);
    for (const [part, sub] of _entriesOf(from.config)) {
      const other = target.get(part);
      if (other !== undefined) _carryMarks(sub, other);
    }
  }
}

function _cloneEntry(entry: _Entry, keepMarks: boolean, writer: string | undefined): _Entry {
  if (entry.kind === "leaf") {
    return {
      kind: "leaf",
      value: entry.value,
      markedAsUsed: keepMarks && entry.markedAsUsed,
      writer: writer ?? entry.writer,
    };
  }
  const config = new Config();
  const target = _entriesOf(config);
  for (const [part, sub] of _entriesOf(entry.config)) {
    target.set(part, _cloneEntry(sub, keepMarks, writer));
  }
  return { kind: "config", config, writer: writer ?? entry.writer };
}

function _containsDummy(value: JsonValue): boolean {
  if (value === DUMMY) return true;
  if (Array.isArray(value)) return value.some(_containsDummy);
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(_containsDummy);
  }
  return false;
}

function _leafType(value: ConfigLeaf): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function _describe(value: ConfigValue): string {
  if (value instanceof Config) return "a subconfig";
  return `${_leafType(value)} ${formatConfigLeaf(value)}`;
}

function _stringify(value: Config | JsonValue, indent: string, pad: string): string {
  const inner = pad + indent;
  const sep = indent === "" ? "," : ",\n";
  const open = indent === "" ? "" : "\n";
  const colon = indent === "" ? ":" : ": ";
  let pairs: [string, Config | JsonValue][] | undefined;
  if (value instanceof Config) pairs = _pairsOf(value);
  else if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${open}${
      value.map((item) => inner + _stringify(item, indent, inner)).join(sep)
    }${open}${indent === "" ? "" : pad}]`;
  } else if (value !== null && typeof value === "object") pairs = Object.entries(value);
  if (pairs === undefined) return JSON.stringify(value);
  if (pairs.length === 0) return "{}";
  return `{${open}${
    pairs.map(([k, v]) => `${inner}${JSON.stringify(k)}${colon}${_stringify(v, indent, inner)}`)
      .join(sep)
  }${open}${indent === "" ? "" : pad}}`;
}
