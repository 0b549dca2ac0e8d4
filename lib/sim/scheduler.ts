/**
 * `Scheduler`: the one owner of time for a run (DESIGN §5). Components register jobs at times
 * and phases; at each instant the order of work is fixed by phase — deliver data, run the DAG,
 * process forecasts, broker work due, fills — and, within a phase, by registration order.
 * It works over any `Clock`: a `ReplayedClock` (event-driven: `clock.run(() => s.run())`, or
 * paced), a `RealClock`, or a `StaticClock` (only jobs at or before its time can run).
 */
import { InterruptedError } from "../errors/mod.ts";
import type { Clock } from "./clock.ts";
import { ClockError } from "./clock_error.ts";
import { checkTime, ClockHeap, showTime, timedLess } from "./_clock_util.ts";

/** The phases of an instant, in the order they run at equal times. */
export const PHASES = ["data", "dag", "forecasts", "broker", "fills"] as const;

/** One phase of an instant (see `PHASES`). */
export type Phase = typeof PHASES[number];

/** What a job receives besides its scheduled time. */
export interface JobContext {
  /** The job's phase. */
  readonly phase: Phase;
  /** The run's abort signal (never aborts when `run` got none); pass it to clock waits. */
  readonly signal: AbortSignal;
  /** The scheduler, to register further jobs. */
  readonly scheduler: Scheduler;
}

/**
 * A job body. `t` is the job's scheduled time (`clock.now()` may be later, e.g. on a real
 * clock, or when an earlier job slept past it).
 */
export type JobFn = (t: number, context: JobContext) => void | Promise<void>;

/** A registered job, returned by `at` and `every`. */
export interface ScheduledJob {
  /** The job's phase. */
  readonly phase: Phase;
  /** When it fires next, or `undefined` once it is done or cancelled. */
  readonly nextTime: number | undefined;
  /** Removes the job (a periodic job fires no more; callable from inside the job). */
  cancel(): void;
}

/** Options of `Scheduler.at`. */
export interface AtOptions {
  /** The phase the job runs in at its instant (required). */
  phase: Phase;
}

/** Options of `Scheduler.every`. */
export interface EveryOptions {
  /** The phase the job runs in at each instant (required). */
  phase: Phase;
  /** First firing time (the grid origin). Default: the first multiple of the period `>= clock.now()`. */
  start?: number;
  /** Last time the job may fire (inclusive). Default: none (forever). */
  end?: number;
  /**
   * Drop ticks already in the past when the previous tick finished (live trading: do not
   * replay missed bars). Default: false — late ticks still run, in order (deterministic replay).
   */
  skipMissed?: boolean;
}

/** Options of `Scheduler.run`. */
export interface SchedulerRunOptions {
  /** Run jobs at times `<= until` only, then return (later jobs stay registered). Default: none. */
  until?: number;
  /**
   * Stops the run: a wait on the clock rejects at once, a job in flight finishes first; then
   * `run` rejects with `InterruptedError`. Default: none.
   */
  signal?: AbortSignal;
}

/** What `Scheduler.run` reports when it returns. */
export interface SchedulerRunResult {
  /** Jobs run by this call. */
  jobsRun: number;
  /** `"empty"`: no job left; `"until"`: the next job is after `until`. */
  stoppedBy: "empty" | "until";
}

interface Job {
  t: number;
  rank: number;
  seq: number;
  phase: Phase;
  fn: JobFn;
  period: number | undefined;
  end: number;
  skipMissed: boolean;
  cancelled: boolean;
  queued: boolean;
}

const RANK: ReadonlyMap<string, number> = new Map(PHASES.map((p, i) => [p, i]));

/**
 * Runs jobs in `(time, phase, registration order)` order on a clock: take the earliest job,
 * `await clock.sleepUntil(t)`, `await fn(t)`, repeat. Jobs may register further jobs; a job
 * registered for the current instant and an earlier phase runs next. A job that throws stops
 * the run (the error propagates unchanged).
 */
export class Scheduler {
  /** The clock this scheduler waits on. */
  readonly clock: Clock;
  readonly #heap = new ClockHeap<Job>(timedLess);
  #seq = 0;
  #running = false;

  /** Creates a scheduler over `clock`. */
  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Number of registered jobs still to fire. */
  get pending(): number {
    let n = 0;
    for (const j of this.#heap.values()) if (!j.cancelled) n++;
    return n;
  }

  /** The time of the next job, or `undefined` when none is registered. */
  nextTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap.peek()?.t;
  }

  /** Registers a one-shot job at time `t` in `options.phase`. */
  at(t: number, fn: JobFn, options: AtOptions): ScheduledJob {
    checkTime(t, "Scheduler.at()");
    return this.#add(t, options.phase, fn, { period: undefined, end: t, skipMissed: false });
  }

  /**
   * Registers a periodic job on the grid `start, start + periodMs, …` up to `end` (inclusive),
   * in `options.phase`. A periodic job keeps its registration order at every tick.
   */
  every(periodMs: number, fn: JobFn, options: EveryOptions): ScheduledJob {
    const phase = options.phase;
    if (!(Number.isFinite(periodMs) && periodMs > 0)) {
      throw new ClockError(
        `Scheduler.every(): period must be a positive number of ms, got ${periodMs}`,
      );
    }
    const start = options.start ?? Math.ceil(this.clock.now() / periodMs) * periodMs;
    checkTime(start, "Scheduler.every() start");
    const end = options.end ?? Infinity;
    if (options.end !== undefined) checkTime(end, "Scheduler.every() end");
    return this.#add(start, phase, fn, {
      period: periodMs,
      end,
      skipMissed: options.skipMissed ?? false,
    });
  }

  /**
   * Runs jobs until none is left (`stoppedBy: "empty"`) or the next one is after `until`
   * (`"until"`). On abort, stops after the job in flight and rejects with `InterruptedError`.
   * One `run` at a time.
   */
  async run(options: SchedulerRunOptions = {}): Promise<SchedulerRunResult> {
    if (this.#running) throw new ClockError("Scheduler.run() is already running");
    const { until } = options;
    if (until !== undefined) checkTime(until, "Scheduler.run() until");
    const signal = options.signal ?? new AbortController().signal;
    this.#running = true;
    let jobsRun = 0;
    try {
      for (;;) {
        this.#checkAborted(signal);
        this.#dropCancelled();
        const job = this.#heap.peek();
        if (job === undefined) return { jobsRun, stoppedBy: "empty" };
        if (until !== undefined && job.t > until) return { jobsRun, stoppedBy: "until" };
        await this.clock.sleepUntil(job.t, signal);
        this.#dropCancelled();
        // While we slept, another task may have added an earlier job or cancelled this one.
        if (this.#heap.peek() !== job) continue;
        this.#heap.pop();
        job.queued = false;
        await job.fn(job.t, { phase: job.phase, signal, scheduler: this });
        jobsRun++;
        this.#reschedule(job);
      }
    } finally {
      this.#running = false;
    }
  }

  #add(
    t: number,
    phase: Phase,
    fn: JobFn,
    rest: { period: number | undefined; end: number; skipMissed: boolean },
  ): ScheduledJob {
    const rank = RANK.get(phase);
    if (rank === undefined) {
      throw new ClockError(
        `Scheduler: unknown phase '${String(phase)}'; use one of ${PHASES.join(", ")}`,
      );
    }
    if (typeof fn !== "function") throw new ClockError("Scheduler: the job must be a function");
    const job: Job = {
      t,
      rank,
      seq: this.#seq++,
      phase,
      fn,
      ...rest,
      cancelled: false,
      queued: false,
    };
    if (t <= job.end) {
      this.#heap.push(job);
      job.queued = true;
    }
    return {
      phase,
      get nextTime() {
        return job.cancelled || !job.queued ? undefined : job.t;
      },
      cancel() {
        job.cancelled = true;
      },
    };
  }

  #reschedule(job: Job): void {
    if (job.period === undefined || job.cancelled) return;
    let next = job.t + job.period;
    if (job.skipMissed) {
      const now = this.clock.now();
      if (next < now) next += Math.ceil((now - next) / job.period) * job.period;
    }
    if (next > job.end) return;
    job.t = next;
    this.#heap.push(job);
    job.queued = true;
  }

  #dropCancelled(): void {
    while (this.#heap.peek()?.cancelled) this.#heap.pop();
  }

  #checkAborted(signal: AbortSignal): void {
    if (!signal.aborted) return;
    const reason: unknown = signal.reason;
    const why = reason instanceof Error ? reason.message : String(reason);
    const at = showTime(this.clock.now());
    throw new InterruptedError(`Scheduler stopped at ${at} (${why})`, { cause: reason });
  }
}
