/**
 * `runBranches`: concurrent exchange calls inside ONE clock task. Each branch is an async
 * function that may sleep (retry backoffs) on the `Clock` it is handed; those sleeps are
 * multiplexed onto the caller's clock so that the caller sleeps at most once at a time, and only
 * while no branch is running (awaiting I/O or computing). That is what an event-driven
 * `ReplayedClock` needs — a task waits on one sleep at a time, and time must not jump while a
 * request is in flight — and it is harmless on a real clock (a branch's sleep can only last
 * longer than asked, never shorter: until every other branch is idle too).
 */
import { UsageError } from "../errors/mod.ts";
import type { Clock } from "../sim/mod.ts";

/** Options of `runBranches`. */
export interface RunBranchesOptions {
  /** The caller's clock; branch sleeps end up here. Required. */
  clock: Clock;
  /** How many branches run at once (the others wait to start). Default: 8. */
  concurrency?: number;
  /** Aborts pending branch sleeps with `InterruptedError`. Default: none. */
  signal?: AbortSignal | undefined;
}

/** A branch: receives the clock to sleep on. */
export type Branch<T> = (clock: Clock) => Promise<T>;

interface _Sleeper {
  t: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Runs `branches` concurrently (at most `concurrency` at once) and resolves with each one's
 * settled result, in input order (never rejects for a branch's error). Branch sleeps are
 * served as described in the module doc.
 */
export function runBranches<T>(
  branches: readonly Branch<T>[],
  options: RunBranchesOptions,
): Promise<PromiseSettledResult<T>[]> {
  const { clock, signal } = options;
  const limit = options.concurrency ?? 8;
  if (!(Number.isInteger(limit) && limit >= 1)) {
    throw new UsageError(`runBranches: concurrency must be a positive integer, got ${limit}`);
  }
  const n = branches.length;
  const results = new Array<PromiseSettledResult<T>>(n);
  if (n === 0) return Promise.resolve(results);
  return new Promise((resolveAll) => {
    let next = 0;
    let started = 0;
    let finished = 0;
    let running = 0;
    let sleeping = false;
    let filling = false;
    const sleepers: _Sleeper[] = [];

    const branchClock: Clock = {
      now: () => clock.now(),
      sleepUntil: (t: number) => {
        if (t <= clock.now()) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          running--;
          sleepers.push({ t, resolve, reject });
          check();
        });
      },
    };

    const start = (i: number): void => {
      started++;
      running++;
      const fn = branches[i] as Branch<T>;
      (async () => await fn(branchClock))().then(
        (value) => done(i, { status: "fulfilled", value }),
        (reason: unknown) => done(i, { status: "rejected", reason }),
      );
    };

    const done = (i: number, result: PromiseSettledResult<T>): void => {
      results[i] = result;
      finished++;
      running--;
      fill();
      check();
    };

    const fill = (): void => {
      // Branches run synchronously up to their first await: decide only once all have started.
      filling = true;
      while (next < n && started - finished < limit) start(next++);
      filling = false;
    };

    const check = (): void => {
      if (filling) return;
      if (finished === n) {
        resolveAll(results);
        return;
      }
      if (running > 0 || sleeping || sleepers.length === 0) return;
      let t = Number.POSITIVE_INFINITY;
      for (const s of sleepers) t = Math.min(t, s.t);
      sleeping = true;
      clock.sleepUntil(t, signal).then(
        () => {
          sleeping = false;
          const now = clock.now();
          const due = sleepers.filter((s) => s.t <= now);
          for (const s of due) sleepers.splice(sleepers.indexOf(s), 1);
          running += due.length;
          for (const s of due) s.resolve();
          check();
        },
        (error: unknown) => {
          sleeping = false;
          const all = sleepers.splice(0, sleepers.length);
          running += all.length;
          for (const s of all) s.reject(error);
        },
      );
    };

    fill();
    check();
  });
}
