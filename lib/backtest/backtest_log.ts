/**
 * `BacktestLog`: the run log `<dst>/log.txt`, appended line by line by every process of a
 * backtest (parent, workers, shards on other machines sharing the volume). A line is
 * `<UTC time> [<role> pid <pid>] <message>`; one `write` per line with `append`, so lines of
 * concurrent processes do not interleave. Times come from the run's clock.
 */
import { join } from "node:path";
import type { Clock } from "../sim/mod.ts";
import { BACKTEST_FILES } from "./backtest_dir.ts";

/** Options of a `BacktestLog`. */
export interface BacktestLogOptions {
  /** The clock stamping each line. Required. */
  clock: Clock;
  /** Who writes (`main`, `worker 1/2`, `shard 0/3`). Default: `main`. */
  role?: string;
  /** Also called with every message (e.g. to echo it on stderr). Default: none. */
  echo?: ((message: string) => void) | undefined;
}

/** Appends timestamped lines to `<dstDir>/log.txt`. */
export class BacktestLog {
  /** The log file path. */
  readonly path: string;
  readonly #clock: Clock;
  readonly #role: string;
  readonly #echo: ((message: string) => void) | undefined;

  /** A log of the backtest in `dstDir`. */
  constructor(dstDir: string, options: BacktestLogOptions) {
    this.path = join(dstDir, BACKTEST_FILES.logTxt);
    this.#clock = options.clock;
    this.#role = options.role ?? "main";
    this.#echo = options.echo;
  }

  /** Appends one line (and echoes the message). */
  async info(message: string): Promise<void> {
    this.#echo?.(message);
    const line = `${
      new Date(this.#clock.now()).toISOString()
    } [${this.#role} pid ${Deno.pid}] ${message}\n`;
    await Deno.writeTextFile(this.path, line, { append: true, create: true });
  }
}

/**
 * The process's peak resident set size in bytes (`VmHWM` of `/proc/self/status`), or undefined
 * where that is not available (not Linux).
 */
export function peakRssBytes(): number | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
