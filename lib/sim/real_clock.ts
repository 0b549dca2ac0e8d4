/**
 * `RealClock`: the wall clock (DESIGN §5), for `run-prod`. The only place in dagtrade where
 * `Date.now()` and `setTimeout` drive logic, together with the other `*clock*.ts` files.
 */
import type { Clock } from "./clock.ts";
import { checkTime, interruptedSleep } from "./_clock_util.ts";

/** Options of `RealClock`. */
export interface RealClockOptions {
  /**
   * Longest single `setTimeout`, ms; longer sleeps are chained in chunks (timers overflow past
   * 2^31 − 1 ms, and chunking re-reads the wall clock after suspends). Default: 3_600_000 (1 h).
   */
  maxTimerMs?: number;
}

/**
 * The wall clock: `now()` is `Date.now()`, never smaller than a value it already returned
 * (if the system clock steps back, `now()` holds still until it catches up).
 */
export class RealClock implements Clock {
  /** Labels this clock as the wall clock. */
  readonly kind = "real" as const;
  readonly #maxTimerMs: number;
  #last = -Infinity;

  /** Creates a wall clock. */
  constructor(options: RealClockOptions = {}) {
    const max = options.maxTimerMs ?? 3_600_000;
    if (!(max >= 1 && max <= 2_147_483_647)) {
      throw new RangeError(`RealClock: maxTimerMs must be in [1, 2^31-1], got ${max}`);
    }
    this.#maxTimerMs = max;
  }

  /** The wall-clock time, UTC epoch ms, monotone non-decreasing. */
  now(): number {
    const t = Date.now();
    if (t > this.#last) this.#last = t;
    return this.#last;
  }

  /**
   * Resolves once `now() >= t` (at once when already so), waiting with `setTimeout` in chunks
   * of at most `maxTimerMs`. Rejects with `InterruptedError` when `signal` aborts first.
   */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    try {
      checkTime(t, "RealClock.sleepUntil()");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(interruptedSleep(t, signal));
    if (t <= this.now()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        reject(interruptedSleep(t, signal as AbortSignal));
      };
      const step = (): void => {
        timer = undefined;
        const remaining = t - this.now();
        if (remaining <= 0) {
          signal?.removeEventListener("abort", onAbort);
          resolve();
          return;
        }
        timer = setTimeout(step, Math.min(Math.ceil(remaining), this.#maxTimerMs));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      step();
    });
  }
}
