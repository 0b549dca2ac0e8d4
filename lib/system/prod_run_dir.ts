/**
 * `prodRunDir`: where a production run (`run-prod`, paper or prod) is filed (DESIGN §9):
 *
 * ```
 * <root>/<dag>/<mode>/<manual|scheduled>/<start>.<end>/system_log_dir
 * ```
 *
 * `<start>` and `<end>` are the run's requested start and end in compact UTC
 * (`20250106T000000Z`; milliseconds only when not zero: `20250106T000000.250Z`), so the same
 * root, model, mode, schedule and range always name the same directory — a restart with the
 * same `--start` finds its run again. `readProdRunInfo` reads the `run.json` of such a
 * directory (to decide between a fresh run and a resumed one).
 */
import { join } from "node:path";
import type { JsonValue } from "../config/mod.ts";
import { DataError, UsageError } from "../errors/mod.ts";
import { compactTime } from "../sim/mod.ts";

/** How a production run was started: by hand, or by a scheduler (cron, systemd timer). */
export type ProdSchedule = "manual" | "scheduled";

/** The name of the innermost directory of a production run. */
export const SYSTEM_LOG_DIR_NAME = "system_log_dir";

/** Options of `prodRunDir`. */
export interface ProdRunDirOptions {
  /** The model (builder name). Required. */
  dag: string;
  /** The run mode (`paper`, `prod`). Required. */
  mode: string;
  /** `manual` or `scheduled`. Default: `manual`. */
  schedule?: ProdSchedule | undefined;
  /** The requested start, epoch ms. Required. */
  start: number;
  /** The requested end, epoch ms. Required. */
  end: number;
}

/** The parts of a production run directory path (`parseProdRunDir`). */
export interface ProdRunDirParts {
  /** The production root. */
  root: string;
  /** The model. */
  dag: string;
  /** The run mode. */
  mode: string;
  /** How it was started. */
  schedule: ProdSchedule;
  /** The requested start, epoch ms. */
  start: number;
  /** The requested end, epoch ms. */
  end: number;
}

const _NAME = /^[A-Za-z0-9_.-]+$/;
const _COMPACT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z$/;

/**
 * The system log directory of a production run (see the module documentation). Throws
 * `UsageError` for a model or mode name that is not a plain file name, or an empty range.
 */
export function prodRunDir(root: string, options: ProdRunDirOptions): string {
  for (const [what, name] of [["dag", options.dag], ["mode", options.mode]] as const) {
    if (!_NAME.test(name) || name === "." || name === "..") {
      throw new UsageError(
        `Cannot file a run under ${what} '${name}': use letters, digits and _ . - only`,
      );
    }
  }
  if (!(options.start < options.end)) {
    throw new UsageError(
      `The run's start ${compactUtc(options.start)} is not before its end ${
        compactUtc(options.end)
      }`,
    );
  }
  return join(
    root,
    options.dag,
    options.mode,
    options.schedule ?? "manual",
    `${compactUtc(options.start)}.${compactUtc(options.end)}`,
    SYSTEM_LOG_DIR_NAME,
  );
}

/** `t` (epoch ms) in compact UTC: `20250106T000000Z`, or `20250106T000000.250Z` with ms. */
export function compactUtc(t: number): string {
  if (!Number.isFinite(t)) throw new UsageError(`compactUtc: not a time: ${t}`);
  return compactTime(t);
}

/** Parses a compact UTC time (`compactUtc`'s output); throws `UsageError` otherwise. */
export function parseCompactUtc(text: string): number {
  const m = _COMPACT.exec(text);
  if (m === null) {
    throw new UsageError(`Not a compact UTC time: '${text}' (expected e.g. 20250106T000000Z)`);
  }
  const n = (i: number) => Number(m[i] ?? "0");
  const t = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), n(7));
  if (compactUtc(t) !== text) throw new UsageError(`Not a valid UTC time: '${text}'`);
  return t;
}

/**
 * The parts of a production run directory (`…/<dag>/<mode>/<schedule>/<start>.<end>/system_log_dir`),
 * or `undefined` when `path` is not shaped like one.
 */
export function parseProdRunDir(path: string): ProdRunDirParts | undefined {
  const parts = path.replace(/\/+$/, "").split("/");
  const n = parts.length;
  if (n < 6 || parts[n - 1] !== SYSTEM_LOG_DIR_NAME) return undefined;
  const [dag, mode, schedule, range] = parts.slice(n - 5, n - 1) as [
    string,
    string,
    string,
    string,
  ];
  if (schedule !== "manual" && schedule !== "scheduled") return undefined;
  const dot = range.indexOf("Z.");
  if (dot < 0) return undefined;
  try {
    const start = parseCompactUtc(range.slice(0, dot + 1));
    const end = parseCompactUtc(range.slice(dot + 2));
    const root = parts.slice(0, n - 5).join("/") || "/";
    return { root, dag, mode, schedule, start, end };
  } catch {
    return undefined;
  }
}

/**
 * The `run.json` of a system log directory as an object, or `undefined` when the directory or
 * the file does not exist. Throws `DataError` when the file is not a JSON object.
 */
export async function readProdRunInfo(
  dir: string,
): Promise<{ [key: string]: JsonValue } | undefined> {
  const path = join(dir, "run.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new DataError(`Cannot read ${path}: ${_message(error)}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(
      `Cannot read ${path}: it is not JSON (${_message(error)}); the run directory is damaged`,
      { cause: error },
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DataError(`Cannot read ${path}: it is not a JSON object`);
  }
  return value as { [key: string]: JsonValue };
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
