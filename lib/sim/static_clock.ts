/**
 * `StaticClock`: a clock that never moves (DESIGN §5), for whole-period research (backtests).
 * Future peeking is allowed and labelled: a backtest sets the clock at the END of the period,
 * so every bar of the period counts as known; `kind === "static"` marks it.
 */
import type { Clock } from "./clock.ts";
import { ClockError } from "./clock_error.ts";
import { checkTime, interruptedSleep, showTime } from "./_clock_util.ts";

/**
 * A clock frozen at one time. Whole-period research: future peeking allowed and labelled by
 * `kind === "static"`. `sleepUntil(t)` resolves at once for `t <= now()` and rejects with
 * `ClockError` otherwise (a static clock would never wake).
 */
export class StaticClock implements Clock {
  /** Labels this clock as static: whole-period research, future peeking allowed. */
  readonly kind = "static" as const;
  readonly #t: number;

  /** Creates a clock that always reads `t` (UTC epoch ms). */
  constructor(t: number) {
    checkTime(t, "StaticClock");
    this.#t = t;
  }

  /** Always the time given to the constructor. */
  now(): number {
    return this.#t;
  }

  /**
   * Resolves at once when `t <= now()`; rejects with `ClockError` when `t > now()` (it would
   * never wake) and with `InterruptedError` when `signal` is already aborted.
   */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    try {
      checkTime(t, "StaticClock.sleepUntil()");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(interruptedSleep(t, signal));
    if (t <= this.#t) return Promise.resolve();
    return Promise.reject(
      new ClockError(
        `StaticClock never moves: cannot sleep until ${showTime(t)} (now is ${
          showTime(this.#t)
        }); use a ReplayedClock or RealClock to let time pass`,
      ),
    );
  }
}
