/**
 * `ReplayedClock`: simulated time for `simulate` and tests (DESIGN §5), in one of two modes.
 *
 * **Event-driven** (default, no `speed`): deterministic and without any real timer. Work runs
 * as *tasks* of `run(main)` (the main task, plus tasks added with `spawn(fn)`). A task is
 * *awake* while it runs — including while it awaits real I/O such as a file write, so time
 * never jumps under it — and *asleep* while it waits in `sleepUntil(t)` (or `waitFor()`).
 * When no task is awake, the clock advances to the earliest wake-up, ordered by
 * `(t, priority, seq)`, and wakes exactly ONE sleeper; it then waits until every task is
 * asleep or finished again before waking the next one, even at the same instant. At most one
 * task therefore runs at a time, and the same inputs give the same interleaving every run,
 * real I/O included. Tests and simple drivers can instead step time by hand with `advanceTo`.
 *
 * **Paced** (`speed: x`): simulated time runs at `x` × real time: a wake-up at `t` happens
 * `(t − a) / x` real ms after the pacing anchor, where `a` is `now()` when the anchor was set
 * (at construction and at the start of `run()`); work between wake-ups does not accumulate
 * drift, and a late clock catches up. Real timers; one wake-up per timer turn, ties in
 * `(priority, seq)` order. `now()` is the time of the last wake-up (it does not creep between
 * wake-ups, so code sees the same stepwise times as in the event-driven mode).
 *
 * In both modes the clock never moves backwards: a sleep into the past resolves at once and
 * leaves `now()` alone; `advanceTo` into the past throws `ClockError`.
 */
import { InterruptedError } from "../errors/mod.ts";
import type { Clock } from "./clock.ts";
import { ClockError } from "./clock_error.ts";
import { checkTime, ClockHeap, interruptedSleep, showTime, timedLess } from "./_clock_util.ts";

/** Options of `ReplayedClock`. */
export interface ReplayedClockOptions {
  /**
   * Pace simulated time at `speed` × real time (e.g. 60: one simulated minute per real
   * second). Default: none — the event-driven mode (no real timers, deterministic).
   */
  speed?: number;
  /**
   * Event-driven mode: how many microtask turns the clock lets pass, with no task awake,
   * before it decides that all tasks really are asleep and advances (see `run`). Only promise
   * chains longer than this between another task settling a promise and `waitFor()` noticing
   * it can be missed. Default: 16.
   */
  settleHops?: number;
}

/** Options of `ReplayedClock.sleepUntil` (the second argument may also be a bare signal). */
export interface SleepOptions {
  /**
   * Order among wake-ups at the same time: lower wakes first; equal priorities wake in
   * registration order. Default: 0.
   */
  priority?: number;
  /** Aborts the sleep with `InterruptedError`. Default: none. */
  signal?: AbortSignal;
}

/** Options of `ReplayedClock.spawn`. */
export interface SpawnOptions {
  /** Order of the task's start among wake-ups at the same time (as `SleepOptions.priority`). Default: 0. */
  priority?: number;
}

/** A pending wake-up: a sleeper, or (event-driven mode) a spawned task waiting to start. */
interface Wakeup {
  t: number;
  rank: number;
  seq: number;
  /** Aborted, or already woken. */
  done: boolean;
  /** Belongs to an event-driven run: waking it makes one task awake. */
  counted: boolean;
  wake(): void;
  fail(error: unknown): void;
}

/** Book-keeping of one `run()`. */
interface RunState {
  /** Tasks started or waiting to start, not finished. */
  live: number;
  /** Tasks running now (not in a sleep, not in `waitFor`, not waiting to start). */
  awake: number;
  /** Bumped each time `awake` drops to 0, so a pending decision restarts its settling. */
  idleGen: number;
  deciding: boolean;
  ended: boolean;
  mainResult: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Simulated time: event-driven (deterministic, default) or paced (`speed` × real time).
 * See the module documentation for the task model. A task waits on at most one sleep at a
 * time: do not race two `sleepUntil` calls, or a sleep against other work, inside one task —
 * spawn a task for each concurrent activity instead.
 */
export class ReplayedClock implements Clock {
  /** Labels this clock as replayed (simulated) time. */
  readonly kind = "replayed" as const;
  /** The pacing factor, or `undefined` in the event-driven mode. */
  readonly speed: number | undefined;
  readonly #settleHops: number;
  readonly #heap = new ClockHeap<Wakeup>(timedLess);
  #now: number;
  #seq = 0;
  #run: RunState | undefined;
  #advancing = false;
  // Paced mode only.
  #timer: ReturnType<typeof setTimeout> | undefined;
  #realAnchor = 0;
  #simAnchor = 0;

  /** Creates a clock reading `start` (UTC epoch ms). */
  constructor(start: number, options: ReplayedClockOptions = {}) {
    checkTime(start, "ReplayedClock");
    const { speed, settleHops = 16 } = options;
    if (speed !== undefined && !(Number.isFinite(speed) && speed > 0)) {
      throw new ClockError(`ReplayedClock: speed must be a positive number, got ${speed}`);
    }
    if (!(Number.isInteger(settleHops) && settleHops >= 1)) {
      throw new ClockError(
        `ReplayedClock: settleHops must be a positive integer, got ${settleHops}`,
      );
    }
    this.speed = speed;
    this.#settleHops = settleHops;
    this.#now = start;
    if (speed !== undefined) this.#anchor();
  }

  /** Whether this clock is paced by real time (`speed` given). */
  get paced(): boolean {
    return this.speed !== undefined;
  }

  /** Number of pending wake-ups (sleepers and tasks waiting to start). */
  get pendingWakeups(): number {
    let n = 0;
    for (const w of this.#heap.values()) if (!w.done) n++;
    return n;
  }

  /** The simulated time, UTC epoch ms (paced mode: the time of the last wake-up). */
  now(): number {
    return this.#now;
  }

  /**
   * Resolves when simulated time reaches `t` (at once when `t <= now()`, leaving `now()`
   * unchanged). The second argument is an `AbortSignal` or `SleepOptions` (priority, signal).
   * Rejects with `InterruptedError` when the signal aborts first; the task is then awake again.
   * A sleep to `t <= now()` does not yield to other tasks.
   * Event-driven mode: inside `run()` only tasks may sleep (rejects with `ClockError` when no
   * task is awake); outside `run()` the sleep waits for `advanceTo`.
   */
  sleepUntil(t: number, signalOrOptions?: AbortSignal | SleepOptions): Promise<void> {
    const { signal, priority = 0 } = signalOrOptions instanceof AbortSignal
      ? { signal: signalOrOptions }
      : signalOrOptions ?? {};
    try {
      checkTime(t, "ReplayedClock.sleepUntil()");
      checkTime(priority, "ReplayedClock.sleepUntil() priority");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(interruptedSleep(t, signal));
    if (t <= this.#now) return Promise.resolve();
    const run = this.speed === undefined ? this.#run : undefined;
    if (run && run.awake <= 0) {
      return Promise.reject(
        new ClockError(
          `ReplayedClock.sleepUntil(${showTime(t)}) called inside run() but outside any awake ` +
            "task (or a task already waiting on another sleep); sleep only from tasks, one " +
            "sleep at a time per task",
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        if (w.done) return;
        w.done = true;
        if (w.counted && run && !run.ended) run.awake++;
        if (this.speed !== undefined) this.#arm();
        reject(interruptedSleep(t, signal as AbortSignal));
      };
      const w: Wakeup = {
        t,
        rank: priority,
        seq: this.#seq++,
        done: false,
        counted: run !== undefined,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        fail: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#heap.push(w);
      if (run) this.#sleepFromTask(run);
      if (this.speed !== undefined) this.#arm();
    });
  }

  /**
   * Runs `main` as the first task and resolves with its result once every task (main and
   * spawned) has finished. Event-driven mode: time advances only when no task is awake (see the
   * module doc). Deciding "no task is awake" uses counters only, never timers: a task is
   * counted awake from the synchronous moment it is woken or started until the synchronous
   * moment it registers a sleep (or `waitFor`), and until one promise turn after it finishes.
   * When the count drops to 0 the clock lets `settleHops` microtask turns pass (restarting if
   * the count moved) before it wakes the next sleeper: this lets code that runs synchronously
   * after registering a sleep, and `waitFor()` reactions to a task that just finished or
   * settled a promise, mark themselves awake first. Real I/O cannot slip through: a task
   * awaiting I/O is never counted asleep.
   *
   * Tasks must block only on this clock (`sleepUntil`), on real I/O, or on other tasks through
   * `waitFor()`: a task that awaits another task's promise directly counts as awake and
   * stalls time forever. When every task waits in `waitFor()` with no wake-up pending, the run
   * rejects with `ClockError` (deadlock). When any task throws, the run rejects with that
   * error at once, and every pending sleep and unstarted task is rejected with
   * `InterruptedError`. Paced mode: `run` only tracks tasks (sleeps use real timers) and
   * re-anchors pacing at its start. One `run` at a time; event-driven mode also requires that
   * no sleep is pending from outside the run.
   */
  run<T>(main: () => Promise<T> | T): Promise<T> {
    if (this.#run) return Promise.reject(new ClockError("ReplayedClock.run() is already active"));
    if (this.#advancing) {
      return Promise.reject(new ClockError("ReplayedClock.run() cannot start during advanceTo()"));
    }
    if (this.speed === undefined && this.pendingWakeups > 0) {
      return Promise.reject(
        new ClockError(
          `ReplayedClock.run(): ${this.pendingWakeups} sleep(s) registered outside the run ` +
            "are pending; wake them with advanceTo() first",
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const run: RunState = {
        live: 1,
        awake: 1,
        idleGen: 0,
        deciding: false,
        ended: false,
        mainResult: undefined,
        resolve: (v) => resolve(v as T),
        reject,
      };
      this.#run = run;
      if (this.speed !== undefined) {
        this.#anchor();
        this.#arm();
      }
      this.#startTask(run, main, true);
    });
  }

  /**
   * Adds a task to the active `run()` and returns its result. Event-driven mode: the task
   * starts when every other task is asleep (like `asyncio.create_task`: not before the caller
   * sleeps or finishes), ordered with the wake-ups at `now()` by `priority`. Paced mode: it
   * starts on the next microtask. Await its result from another task with `waitFor()`.
   * Throws `ClockError` outside `run()`.
   */
  spawn<T>(fn: () => Promise<T> | T, options: SpawnOptions = {}): Promise<T> {
    const run = this.#run;
    if (!run || run.ended) throw new ClockError("ReplayedClock.spawn() needs an active run()");
    const priority = options.priority ?? 0;
    checkTime(priority, "ReplayedClock.spawn() priority");
    run.live++;
    const promise = new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.#startTask(run, fn, false).then(resolve, reject);
      };
      if (this.speed !== undefined) {
        run.awake++;
        queueMicrotask(start);
        return;
      }
      this.#heap.push({
        t: this.#now,
        rank: priority,
        seq: this.#seq++,
        done: false,
        counted: true,
        wake: start,
        fail: reject,
      });
      if (run.awake === 0) this.#becameIdle(run);
    });
    // Task failures surface through run(); never as unhandled rejections of this promise.
    promise.catch(() => {});
    return promise;
  }

  /**
   * Awaits `promise`, a promise that another task of the run settles (e.g. a `spawn()` result),
   * counting the caller as asleep meanwhile so that time can advance. Event-driven mode only
   * matters; otherwise it is plain `await`. Do not use it for real I/O (await I/O directly:
   * the task must stay awake so time does not jump under it).
   */
  waitFor<T>(promise: PromiseLike<T>): Promise<T> {
    const run = this.speed === undefined ? this.#run : undefined;
    if (!run) return Promise.resolve(promise);
    if (run.awake <= 0) {
      return Promise.reject(
        new ClockError("ReplayedClock.waitFor() called inside run() but outside any awake task"),
      );
    }
    this.#sleepFromTask(run);
    const back = (): void => {
      if (!run.ended) run.awake++;
    };
    return Promise.resolve(promise).then(
      (value) => {
        back();
        return value;
      },
      (error: unknown) => {
        back();
        throw error;
      },
    );
  }

  /**
   * Event-driven manual stepping (tests, simple drivers; not inside `run()`): wakes the
   * sleepers due by `t` one by one in `(t, priority, seq)` order, setting `now()` to each one's
   * time and letting microtasks settle (`settleHops` turns) after each, then sets `now()` to `t`.
   * Woken code that awaits real I/O is not waited for. Rejects with `ClockError` when `t`
   * is before `now()` ("clock would move backwards"), in paced mode, and inside `run()`.
   */
  async advanceTo(t: number): Promise<void> {
    checkTime(t, "ReplayedClock.advanceTo()");
    this.#checkForward(t);
    if (this.speed !== undefined) {
      throw new ClockError("ReplayedClock.advanceTo() is for the event-driven mode (no speed)");
    }
    if (this.#run) throw new ClockError("ReplayedClock.advanceTo() cannot be used inside run()");
    if (this.#advancing) throw new ClockError("ReplayedClock.advanceTo() is already running");
    this.#advancing = true;
    try {
      for (;;) {
        this.#dropDone();
        const next = this.#heap.peek();
        if (next === undefined || next.t > t) break;
        this.#heap.pop();
        next.done = true;
        this.#moveTo(next.t);
        next.wake();
        for (let i = 0; i < this.#settleHops; i++) await undefined;
      }
      this.#moveTo(t);
    } finally {
      this.#advancing = false;
    }
  }

  #checkForward(t: number): void {
    if (t < this.#now) {
      throw new ClockError(
        `ReplayedClock: clock would move backwards from ${showTime(this.#now)} to ${showTime(t)}`,
      );
    }
  }

  #moveTo(t: number): void {
    this.#checkForward(t);
    this.#now = t;
  }

  #dropDone(): void {
    while (this.#heap.peek()?.done) this.#heap.pop();
  }

  /** A counted task went to sleep (sleepUntil / waitFor). */
  #sleepFromTask(run: RunState): void {
    run.awake--;
    if (run.awake === 0) this.#becameIdle(run);
  }

  #startTask<T>(run: RunState, fn: () => Promise<T> | T, isMain: boolean): Promise<T> {
    const task = (async () => await fn())();
    task.then(
      (value) => {
        if (isMain) run.mainResult = value;
        this.#taskDone(run, false, undefined);
      },
      (error: unknown) => this.#taskDone(run, true, error),
    );
    return task;
  }

  #taskDone(run: RunState, failed: boolean, error: unknown): void {
    if (run.ended) return;
    run.live--;
    run.awake--;
    if (failed) {
      this.#endRun(run, true, error);
    } else if (run.live === 0) {
      this.#endRun(run, false, undefined);
    } else if (this.speed === undefined && run.awake === 0) {
      this.#becameIdle(run);
    }
  }

  #endRun(run: RunState, failed: boolean, error: unknown): void {
    if (run.ended) return;
    run.ended = true;
    if (this.#run === run) this.#run = undefined;
    if (failed) {
      const pending = this.#heap.drain().filter((w) => !w.done);
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      for (const w of pending) {
        w.done = true;
        w.fail(
          new InterruptedError(
            `ReplayedClock run ended at ${showTime(this.#now)} because a task failed`,
            { cause: error },
          ),
        );
      }
      run.reject(error);
    } else {
      run.resolve(run.mainResult);
    }
  }

  #becameIdle(run: RunState): void {
    run.idleGen++;
    if (run.deciding) return;
    run.deciding = true;
    this.#decide(run).catch((error: unknown) => this.#endRun(run, true, error));
  }

  /** Waits for the run to stay idle for `settleHops` microtask turns, then wakes one sleeper. */
  async #decide(run: RunState): Promise<void> {
    let gen = run.idleGen;
    let hops = 0;
    while (hops < this.#settleHops) {
      await undefined;
      if (run.ended || run.awake > 0) {
        run.deciding = false;
        return;
      }
      if (run.idleGen !== gen) {
        gen = run.idleGen;
        hops = 0;
      } else {
        hops++;
      }
    }
    run.deciding = false;
    this.#dropDone();
    const next = this.#heap.pop();
    if (next === undefined) {
      this.#endRun(
        run,
        true,
        new ClockError(
          `ReplayedClock deadlock at ${showTime(this.#now)}: ${run.live} task(s) wait on each ` +
            "other (waitFor) and no wake-up is pending",
        ),
      );
      return;
    }
    next.done = true;
    this.#moveTo(next.t);
    if (next.counted) run.awake++;
    next.wake();
    if (run.awake === 0) this.#becameIdle(run);
  }

  // ---- paced mode ----

  #anchor(): void {
    this.#realAnchor = performance.now();
    this.#simAnchor = this.#now;
  }

  #deadline(w: Wakeup): number {
    return this.#realAnchor + (w.t - this.#simAnchor) / (this.speed as number);
  }

  /** (Re)arms the one real timer for the earliest pending wake-up (none when nothing is due). */
  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dropDone();
    const next = this.#heap.peek();
    if (next === undefined) return;
    const delay = Math.max(0, Math.ceil(this.#deadline(next) - performance.now()));
    this.#timer = setTimeout(() => this.#onTimer(), delay);
  }

  /** Wakes exactly one due sleeper per timer turn, so each woken task runs before the next. */
  #onTimer(): void {
    this.#timer = undefined;
    this.#dropDone();
    const next = this.#heap.peek();
    if (next === undefined) return;
    if (performance.now() >= this.#deadline(next)) {
      this.#heap.pop();
      next.done = true;
      if (next.t > this.#now) this.#moveTo(next.t);
      next.wake();
    }
    this.#arm();
  }
}
