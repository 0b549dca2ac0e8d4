/** `diff(a, b)`: the leaves that differ between two configs (DESIGN §4). */
import { type Config, type ConfigLeaf, formatConfigLeaf, type JsonValue } from "./config.ts";

/** One difference between two configs. */
export interface ConfigDiffEntry {
  /** The dotted key of the leaf, e.g. `dag.sma.fast`. */
  key: string;
  /** `changed` (in both, different values), `added` (only in b) or `removed` (only in a). */
  kind: "changed" | "added" | "removed";
  /** The value in `a`; `undefined` when added. */
  before: ConfigLeaf | undefined;
  /** The value in `b`; `undefined` when removed. */
  after: ConfigLeaf | undefined;
}

/**
 * Lists the leaves that differ from `a` to `b`: changed and removed ones in `a`'s key order,
 * then added ones in `b`'s order. Values compare as JSON (deep; object key order ignored).
 * A leaf that became a subconfig shows as removed plus the subconfig's leaves added; empty
 * subconfigs have no leaves and never appear. Marks and writers are not compared.
 */
export function diff(a: Config, b: Config): ConfigDiffEntry[] {
  const before = a.flatten();
  const after = b.flatten();
  const out: ConfigDiffEntry[] = [];
  for (const [key, value] of before) {
    if (!after.has(key)) {
      out.push({ key, kind: "removed", before: value, after: undefined });
      continue;
    }
    const other = after.get(key) as ConfigLeaf;
    if (!_equal(value, other)) out.push({ key, kind: "changed", before: value, after: other });
  }
  for (const [key, value] of after) {
    if (!before.has(key)) out.push({ key, kind: "added", before: undefined, after: value });
  }
  return out;
}

/**
 * Formats diff entries one per line: `~ key: before -> after`, `+ key: after`,
 * `- key: before`, values as `Config.toString()` prints them. Empty list → empty string.
 */
export function formatDiff(entries: readonly ConfigDiffEntry[]): string {
  return entries.map((entry) => {
    const before = entry.before === undefined ? "" : formatConfigLeaf(entry.before);
    const after = entry.after === undefined ? "" : formatConfigLeaf(entry.after);
    if (entry.kind === "added") return `+ ${entry.key}: ${after}`;
    if (entry.kind === "removed") return `- ${entry.key}: ${before}`;
    return `~ ${entry.key}: ${before} -> ${after}`;
  }).join("\n");
}

function _equal(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => _equal(item, b[i] as JsonValue));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const ra = a as { readonly [key: string]: JsonValue };
  const rb = b as { readonly [key: string]: JsonValue };
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length &&
    keys.every((k) => Object.hasOwn(rb, k) && _equal(ra[k] as JsonValue, rb[k] as JsonValue));
}
