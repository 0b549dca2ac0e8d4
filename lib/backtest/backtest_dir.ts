/**
 * The backtest directory (DESIGN §7): `config.json` / `config.txt` (the effective config),
 * `tiled_results/` (per-tile results and success markers), `portfolio/`, `stats.json`,
 * `log.txt`. Re-running into a directory whose `config.json` differs is refused unless forced.
 */
import { join } from "node:path";
import { Config, diff, formatDiff } from "../config/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import { atomicWrite } from "../fs/mod.ts";
import { _messageOf } from "./_format.ts";

/** File and directory names inside a backtest directory. */
export const BACKTEST_FILES = {
  /** The effective config as JSON (round-trips exactly). */
  configJson: "config.json",
  /** The effective config as `key: value` lines. */
  configTxt: "config.txt",
  /** Per-tile results and `_success` markers. */
  tiledResults: "tiled_results",
  /** Per-bar metrics and per-asset positions (Parquet). */
  portfolio: "portfolio",
  /** The headline statistics. */
  statsJson: "stats.json",
  /** The run log, appended by every process of the run. */
  logTxt: "log.txt",
} as const;

/** Reads `<dstDir>/config.json`; undefined when there is none. A malformed file is a `ConfigError`. */
export async function readBacktestDirConfig(dstDir: string): Promise<Config | undefined> {
  const path = join(dstDir, BACKTEST_FILES.configJson);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(`Cannot read ${path}: ${_messageOf(error)}`, { cause: error });
  }
  try {
    return Config.fromJSON(text, { writer: path });
  } catch (error) {
    throw new ConfigError(
      `Cannot read ${path}: ${_messageOf(error)}; fix it or use another --dst-dir`,
      { cause: error },
    );
  }
}

/** Options of `prepareBacktestDir`. */
export interface PrepareBacktestDirOptions {
  /** Accept a different config in an existing directory (and drop its portfolio and stats). Default: false. */
  force?: boolean;
}

/** What `prepareBacktestDir` found. */
export interface PreparedBacktestDir {
  /** Whether the directory already held a config. */
  existed: boolean;
  /** The config changes accepted with `force` (empty when the config is the same or new). */
  changes: string;
}

/**
 * Creates `dstDir` and writes `config.json` / `config.txt`. When the directory already holds a
 * different config, throws `UsageError` (exit 2) showing the diff, unless `force`: then the new
 * config replaces it and the old `portfolio/` and `stats.json` are removed (tiles are kept and
 * reused where their config hash still matches).
 */
export async function prepareBacktestDir(
  dstDir: string,
  config: Config,
  options: PrepareBacktestDirOptions = {},
): Promise<PreparedBacktestDir> {
  const existing = await readBacktestDirConfig(dstDir);
  let changes = "";
  if (existing !== undefined) {
    const entries = diff(existing, config);
    if (entries.length > 0) {
      changes = formatDiff(entries);
      if (!options.force) {
        throw new UsageError(
          `The backtest config differs from the config in ${
            join(dstDir, BACKTEST_FILES.configJson)
          }:\n${_indent(changes)}\nuse --force to overwrite or another --dst-dir`,
        );
      }
      await Deno.remove(join(dstDir, BACKTEST_FILES.portfolio), { recursive: true }).catch(
        () => {},
      );
      await Deno.remove(join(dstDir, BACKTEST_FILES.statsJson)).catch(() => {});
    }
  }
  if (existing === undefined || changes !== "") {
    await Deno.mkdir(dstDir, { recursive: true });
    await atomicWrite(
      join(dstDir, BACKTEST_FILES.configJson),
      config.toJSONString({ indent: 2 }) + "\n",
    );
    await atomicWrite(join(dstDir, BACKTEST_FILES.configTxt), config.toString() + "\n");
  }
  return { existed: existing !== undefined, changes };
}

function _indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}
