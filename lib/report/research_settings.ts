/**
 * The forecast-evaluator settings of a run, read from its saved config: a subtree with the
 * keys `style`, `sizing` and (optional) `fill`, `fee_bps`, `initial_cash`, `target_gmv` — the
 * `backtest` subtree of a backtest's `config.json`, or the first such subtree (depth first, in
 * key order) of a system log directory's `system_config.output.json`.
 */
import { ConfigError } from "../errors/mod.ts";
import {
  DEFAULT_FILL_CONVENTION,
  parseFillConvention,
  parseSizing,
  parseTargetStyle,
} from "../oms/mod.ts";
import type { ResearchSettings } from "./run_output.ts";

/**
 * Parses a settings subtree (`style`, `sizing`, `fill`, `fee_bps`, `initial_cash`,
 * `target_gmv`; defaults: fill `next_open`, fee 0, initial cash 10,000, target GMV = initial
 * cash). `source` names the file and key in messages. Throws `ConfigError`.
 */
export function parseResearchSettings(
  tree: Readonly<Record<string, unknown>>,
  source: string,
): ResearchSettings {
  const text = (key: string, fallback?: string): string => {
    const v = tree[key] ?? fallback;
    if (typeof v !== "string") {
      throw new ConfigError(`Invalid ${source}.${key}: ${JSON.stringify(v)} (expected a string)`);
    }
    return v;
  };
  const num = (key: string, fallback: number | undefined): number | undefined => {
    const v = tree[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new ConfigError(`Invalid ${source}.${key}: ${JSON.stringify(v)} (expected a number)`);
    }
    return v;
  };
  try {
    return {
      style: parseTargetStyle(text("style")),
      sizing: parseSizing(text("sizing")),
      fill: parseFillConvention(text("fill", DEFAULT_FILL_CONVENTION), `${source}.fill`),
      feeBps: num("fee_bps", 0) as number,
      initialCash: num("initial_cash", 10_000) as number,
      targetGmv: num("target_gmv", undefined),
      source,
    };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `Invalid evaluator settings in ${source}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

/**
 * Finds the first subtree of `json` (depth first, key order) holding both `style` and
 * `sizing`, and parses it; undefined when there is none. `file` names the file in messages.
 */
export function findResearchSettings(json: unknown, file: string): ResearchSettings | undefined {
  const visit = (node: unknown, path: string[]): ResearchSettings | undefined => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    const tree = node as Record<string, unknown>;
    if ("style" in tree && "sizing" in tree) {
      return parseResearchSettings(tree, `${file}:${path.length === 0 ? "." : path.join(".")}`);
    }
    for (const [key, child] of Object.entries(tree)) {
      const found = visit(child, [...path, key]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(json, []);
}
