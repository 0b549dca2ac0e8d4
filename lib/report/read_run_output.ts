/**
 * `readRunOutput(dir)`: opens a run for the report. A directory with `run.json` or
 * `process_forecasts/` is a system log directory (DESIGN §9); one with `config.json` or
 * `portfolio/` is a backtest (DESIGN §7); one with a `system_log_dir/` child is that child;
 * otherwise a production root (`<root>/<dag>/<mode>/<schedule>/<start>.<end>/system_log_dir`)
 * gives its latest run (the greatest `<start>.<end>` directory name).
 */
import { join } from "node:path";
import { DataError } from "../errors/mod.ts";
import { _kindOf } from "./_frame_io.ts";
import { readBacktestRunOutput } from "./backtest_run_output.ts";
import type { RunOutput } from "./run_output.ts";
import { readSystemLogRunOutput } from "./system_log_run_output.ts";

/** Options of `readRunOutput`. */
export interface ReadRunOutputOptions {
  /** Bars to use instead of the run's own data source (snapshot or store). Default: the run's. */
  dataPath?: string | undefined;
}

/**
 * Opens the run at `dir` (backtest directory, system log directory, or a production root: its
 * latest run). Throws `DataError` (exit 2) saying what is missing and what to pass instead.
 */
export async function readRunOutput(
  dir: string,
  options: ReadRunOutputOptions = {},
): Promise<RunOutput> {
  const kind = await _kindOf(dir);
  if (kind === undefined) {
    throw new DataError(
      `Cannot read run ${dir}: no such directory; pass a backtest directory (config.json, ` +
        `portfolio/) or a system log directory (run.json, process_forecasts/)`,
    );
  }
  if (kind === "file") {
    throw new DataError(
      `Cannot read run ${dir}: it is a file, not a directory; pass a backtest directory or a ` +
        `system log directory`,
    );
  }
  const resolved = await _resolveRunDir(dir);
  return resolved.kind === "system_log"
    ? await readSystemLogRunOutput(resolved.dir, { ...options, selectedFrom: resolved.from })
    : await readBacktestRunOutput(resolved.dir, options);
}

async function _resolveRunDir(
  dir: string,
): Promise<{ kind: "backtest" | "system_log"; dir: string; from: string | undefined }> {
  const kind = await _classify(dir);
  if (kind !== undefined) return { kind, dir, from: undefined };
  const child = join(dir, "system_log_dir");
  if (await _classify(child) === "system_log") return { kind: "system_log", dir: child, from: dir };
  const found: string[] = [];
  await _findSystemLogDirs(dir, 5, found);
  if (found.length > 0) {
    found.sort((a, b) => _runSortKey(a).localeCompare(_runSortKey(b)));
    return { kind: "system_log", dir: found[found.length - 1] as string, from: dir };
  }
  throw new DataError(
    `Cannot read run ${dir}: neither a backtest directory (config.json, portfolio/metrics.parquet) ` +
      `nor a system log directory (run.json, process_forecasts/) nor a production root holding ` +
      `<dag>/<mode>/<schedule>/<start>.<end>/system_log_dir; pass one of those`,
  );
}

async function _classify(dir: string): Promise<"backtest" | "system_log" | undefined> {
  if (await _kindOf(dir) !== "dir") return undefined;
  if (
    await _kindOf(join(dir, "run.json")) === "file" ||
    await _kindOf(join(dir, "process_forecasts")) === "dir"
  ) return "system_log";
  if (
    await _kindOf(join(dir, "config.json")) === "file" ||
    await _kindOf(join(dir, "portfolio")) === "dir"
  ) return "backtest";
  return undefined;
}

async function _findSystemLogDirs(dir: string, depth: number, out: string[]): Promise<void> {
  if (depth <= 0) return;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return; // unreadable directories are skipped
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.name === "system_log_dir" && await _classify(path) === "system_log") out.push(path);
    else await _findSystemLogDirs(path, depth - 1, out);
  }
}

/** `<start>.<end>` (the run's directory name: starts sort in time), then the path. */
function _runSortKey(path: string): string {
  const parts = path.split("/");
  return `${parts[parts.length - 2] ?? ""}\u0000${path}`;
}
