/**
 * `ProgressBar`: one line on a terminal's stderr (`[#####-----] 12/40 tiles 3.1s …`), redrawn
 * at most 10 times a second. Commands create one only when stderr is a terminal and output is
 * not `--quiet`; lines written with `above()` appear above the bar.
 */
import type { CommandIo } from "./command.ts";
import { RealClock } from "../lib/sim/mod.ts";

/** Options of a `ProgressBar`. */
export interface ProgressBarOptions {
  /** What is counted (`tiles`, `bars`, `pages`). */
  unit: string;
  /** Add a rate (`<n> <unit>/s`) after the elapsed time. Default: false. */
  showRate?: boolean;
}

/** A throttled one-line progress bar on stderr. */
export class ProgressBar {
  readonly #io: CommandIo;
  readonly #clock = new RealClock();
  readonly #t0: number;
  readonly #unit: string;
  readonly #showRate: boolean;
  #drawn = false;
  #lastDraw = -Infinity;
  #last: [number, number, string] | undefined;

  /** Creates the bar; nothing is drawn before the first `update`. */
  constructor(io: CommandIo, options: ProgressBarOptions) {
    this.#io = io;
    this.#t0 = this.#clock.now();
    this.#unit = options.unit;
    this.#showRate = options.showRate ?? false;
  }

  /** Shows `done` of `total`, with an optional trailing label (the current bar, symbol, …). */
  update(done: number, total: number, label = ""): void {
    this.#last = [done, total, label];
    const now = this.#clock.now();
    if (done < total && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const width = 30;
    const filled = total <= 0 ? width : Math.min(width, Math.round(width * done / total));
    const seconds = (now - this.#t0) / 1000;
    const rate = this.#showRate && seconds > 0
      ? ` ${Math.round(done / seconds)} ${this.#unit}/s`
      : "";
    this.#io.stderr(
      `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${this.#unit}` +
        `${label === "" ? "" : ` ${label}`} ${seconds.toFixed(1)}s${rate}\x1b[K`,
    );
    this.#drawn = true;
  }

  /** Writes `line` on stderr above the bar, then redraws the bar. */
  above(line: string): void {
    this.clear();
    this.#io.stderr(line.endsWith("\n") ? line : line + "\n");
    if (this.#last === undefined) return;
    this.#lastDraw = -Infinity;
    this.update(...this.#last);
  }

  /** Erases the bar. */
  clear(): void {
    if (this.#drawn) this.#io.stderr("\r\x1b[2K");
    this.#drawn = false;
  }

  /** Ends the bar's line (it stays visible). */
  finish(): void {
    if (this.#drawn) this.#io.stderr("\n");
    this.#drawn = false;
  }
}
