/**
 * `ScaledClock`: a clock derived from another one by an affine map of time —
 * `now() = start + (base.now() − anchor) × speed` (integer ms, never moving backwards) — whose
 * sleeps are the base clock's sleeps until the mapped instant.
 *
 * It is how `run-prod --clock exchange` follows an exchange's own time: `start` is the
 * exchange's server time measured at the base (wall) clock's `anchor`, `speed` the pace of the
 * exchange's clock (1 for a real venue; the `--speed` of an `exchange-emulator` replaying
 * history), so a rehearsal against an emulator replaying January 2025 at 60× runs on the same
 * simulated time as the emulator, in another process. Tests use it over a `RealClock` to give
 * an in-process emulator and a `run-prod` subprocess the same clock.
 *
 * It reads time only from its base clock, so it is no wall-clock implementation itself.
 */
import { UsageError } from "../errors/mod.ts";
import type { Clock } from "../sim/mod.ts";

/** Options of `ScaledClock`. */
export interface ScaledClockOptions {
  /** The clock it derives from (usually a `RealClock`). Required. */
  base: Clock;
  /** This clock's time at the anchor, epoch ms. Required. */
  start: number;
  /** The base clock's time that maps to `start`, epoch ms. Default: `base.now()`. */
  anchor?: number | undefined;
  /** Simulated ms per base ms (> 0). Default: 1. */
  speed?: number | undefined;
}

/** A clock running at `speed` × its base clock from `start` (see the module documentation). */
export class ScaledClock implements Clock {
  /** The base clock. */
  readonly base: Clock;
  /** This clock's time at the anchor. */
  readonly start: number;
  /** The base clock's time at the anchor. */
  readonly anchor: number;
  /** Pace relative to the base clock. */
  readonly speed: number;
  #last = -Infinity;

  /** Creates the clock; throws `UsageError` for a bad start, anchor or speed. */
  constructor(options: ScaledClockOptions) {
    const speed = options.speed ?? 1;
    if (!(Number.isFinite(speed) && speed > 0)) {
      throw new UsageError(`ScaledClock: speed must be a positive number, got ${speed}`);
    }
    const anchor = options.anchor ?? options.base.now();
    if (!Number.isFinite(options.start) || !Number.isFinite(anchor)) {
      throw new UsageError(
        `ScaledClock: start and anchor must be epoch ms, got ${options.start} and ${anchor}`,
      );
    }
    this.base = options.base;
    this.start = options.start;
    this.anchor = anchor;
    this.speed = speed;
  }

  /** The mapped time, integer epoch ms, never smaller than a value already returned. */
  now(): number {
    const t = Math.floor(this.start + (this.base.now() - this.anchor) * this.speed);
    if (t > this.#last) this.#last = t;
    return this.#last;
  }

  /** Resolves once `now() >= t`, sleeping on the base clock; rejects when `signal` aborts. */
  async sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(t)) {
      throw new UsageError(`ScaledClock.sleepUntil(): not a time: ${t}`);
    }
    while (this.now() < t) {
      const at = this.anchor + (t - this.start) / this.speed;
      await this.base.sleepUntil(Math.max(Math.ceil(at), this.base.now() + 1), signal);
    }
  }
}
