/**
 * The clock abstraction (DESIGN §5). All time in `lib/` is read through a `Clock`; only the
 * clock implementations in `lib/sim/*clock*.ts` touch the wall clock or real timers.
 * Times are UTC epoch milliseconds.
 */

/** A source of time that can also wait. A clock never moves backwards. */
export interface Clock {
  /** The current time, UTC epoch ms. */
  now(): number;
  /**
   * Resolves once `now() >= t` (at once when `t <= now()`). Rejects with `InterruptedError`
   * when `signal` aborts first.
   */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>;
}
