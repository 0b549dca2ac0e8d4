import assert from "node:assert/strict";
import { join } from "node:path";
import { InterruptedError } from "../errors/mod.ts";
import { ClockError } from "./clock_error.ts";
import { ReplayedClock } from "./replayed_clock.ts";

const T0 = Date.UTC(2025, 0, 3, 10, 0);

Deno.test("ReplayedClock.advanceTo() wakes sleepers in (time, priority, seq) order", async () => {
  const clock = new ReplayedClock(T0);
  const log: string[] = [];
  const sleep = (name: string, t: number, priority = 0) =>
    clock.sleepUntil(T0 + t, { priority }).then(() => log.push(`${name}@${clock.now() - T0}`));
  const all = Promise.all([
    sleep("c", 20),
    sleep("a", 10),
    sleep("b", 10),
    sleep("first", 10, -1),
    sleep("late", 50),
  ]);
  await clock.advanceTo(T0 + 30);
  assert.deepEqual(log, ["first@10", "a@10", "b@10", "c@20"]);
  assert.equal(clock.now(), T0 + 30);
  assert.equal(clock.pendingWakeups, 1);
  await clock.advanceTo(T0 + 50);
  await all;
  assert.deepEqual(log.at(-1), "late@50");
});

Deno.test("ReplayedClock never moves backwards", async () => {
  const clock = new ReplayedClock(T0);
  await clock.advanceTo(T0 + 1000);
  await assert.rejects(clock.advanceTo(T0 + 999), (e: unknown) => {
    assert.ok(e instanceof ClockError);
    assert.match(e.message, /clock would move backwards from 2025-01-03T10:00:01Z to/);
    return true;
  });
  assert.equal(clock.now(), T0 + 1000);
  await clock.sleepUntil(T0); // in the past: resolves at once, time stays
  assert.equal(clock.now(), T0 + 1000);
  const result = await clock.run(async () => {
    await clock.sleepUntil(T0 + 5);
    return clock.now();
  });
  assert.equal(result, T0 + 1000);
  assert.throws(() => new ReplayedClock(T0, { speed: 0 }), ClockError);
});

/** Several tasks with interleaved sleeps and real file I/O; returns the event log. */
async function scenario(dir: string): Promise<string[]> {
  const clock = new ReplayedClock(T0);
  const log: string[] = [];
  const big = "x".repeat(2_000_000);
  const worker = async (name: string, stepMs: number, payload: string, rounds: number) => {
    for (let i = 1; i <= rounds; i++) {
      await clock.sleepUntil(T0 + i * stepMs);
      const before = clock.now();
      const path = join(dir, `${name}.txt`);
      await Deno.writeTextFile(path, `${name} ${i} ${payload}`);
      const back = await Deno.readTextFile(path);
      assert.equal(clock.now(), before, "time moved during I/O");
      log.push(`${name}#${i}@${clock.now() - T0} len=${back.length}`);
    }
    return name;
  };
  const finished = await clock.run(async () => {
    const tasks = [
      clock.spawn(() => worker("big", 10, big, 3)), // slow I/O
      clock.spawn(() => worker("small", 10, "", 3)), // fast I/O, same instants, registered later
      clock.spawn(() => worker("odd", 15, "y", 2)),
    ];
    log.push(`main@${clock.now() - T0}`);
    return await clock.waitFor(Promise.all(tasks));
  });
  log.push(`done ${finished.join(",")} @${clock.now() - T0}`);
  return log;
}

Deno.test("ReplayedClock.run() is deterministic with interleaved sleeps and file I/O", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logs = [await scenario(dir), await scenario(dir), await scenario(dir)];
    assert.deepEqual(logs[1], logs[0]);
    assert.deepEqual(logs[2], logs[0]);
    const short = logs[0]?.map((l) => l.replace(/ len=\d+/, ""));
    // At equal times the wake order is the order the sleeps were registered: "big" always
    // before "small", although its I/O is much slower; "odd" registered its sleep until 30 at
    // 15, before the others registered theirs at 20.
    assert.deepEqual(short, [
      "main@0",
      "big#1@10",
      "small#1@10",
      "odd#1@15",
      "big#2@20",
      "small#2@20",
      "odd#2@30",
      "big#3@30",
      "small#3@30",
      "done big,small,odd @30",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ReplayedClock.run() does not advance while a task awaits real I/O", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clock = new ReplayedClock(T0);
    const seen: number[] = [];
    await clock.run(async () => {
      const sleeper = clock.spawn(async () => {
        await clock.sleepUntil(T0 + 1);
        seen.push(clock.now());
      });
      for (let i = 0; i < 5; i++) {
        await Deno.writeTextFile(join(dir, "f.txt"), "z".repeat(500_000));
        seen.push(clock.now()); // still T0: the spawned task cannot even start meanwhile
      }
      await clock.waitFor(sleeper);
    });
    assert.deepEqual(seen, [T0, T0, T0, T0, T0, T0 + 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ReplayedClock.spawn() and waitFor() pass results between tasks", async () => {
  const clock = new ReplayedClock(T0);
  const out = await clock.run(async () => {
    const child = clock.spawn(async () => {
      await clock.sleepUntil(T0 + 60_000);
      return 42;
    });
    const value = await clock.waitFor(child);
    return { value, at: clock.now() };
  });
  assert.deepEqual(out, { value: 42, at: T0 + 60_000 });
  assert.throws(() => clock.spawn(() => 1), ClockError);
});

Deno.test("ReplayedClock.run() reports a deadlock of tasks waiting on each other", async () => {
  const clock = new ReplayedClock(T0);
  await assert.rejects(
    clock.run(() => clock.waitFor(new Promise<void>(() => {}))),
    (e: unknown) => e instanceof ClockError && /deadlock/.test(e.message),
  );
});

Deno.test("ReplayedClock.sleepUntil() abort rejects with InterruptedError and the task wakes", async () => {
  const clock = new ReplayedClock(T0);
  const ctl = new AbortController();
  const log: string[] = [];
  await clock.run(async () => {
    clock.spawn(async () => {
      await clock.sleepUntil(T0 + 10);
      ctl.abort(new Error("stop"));
      log.push(`aborted@${clock.now() - T0}`);
    });
    await assert.rejects(clock.sleepUntil(T0 + 1000, ctl.signal), InterruptedError);
    log.push(`main woke@${clock.now() - T0}`);
    await clock.sleepUntil(T0 + 20);
    log.push(`main@${clock.now() - T0}`);
  });
  assert.deepEqual(log, ["aborted@10", "main woke@10", "main@20"]);
});

Deno.test("ReplayedClock.run() rejects with a task's error and interrupts the other sleepers", async () => {
  const clock = new ReplayedClock(T0);
  let mainError: unknown;
  await assert.rejects(
    clock.run(async () => {
      clock.spawn(async () => {
        await clock.sleepUntil(T0 + 5);
        throw new Error("task failed");
      });
      try {
        await clock.sleepUntil(T0 + 10);
      } catch (e) {
        mainError = e;
      }
    }),
    /task failed/,
  );
  await Promise.resolve();
  assert.ok(mainError instanceof InterruptedError);
  assert.equal(clock.now(), T0 + 5);
});

Deno.test("ReplayedClock.sleepUntil() outside any task inside run() is refused", async () => {
  const clock = new ReplayedClock(T0);
  let outside: Promise<void> | undefined;
  await clock.run(async () => {
    // A sleeping main leaves no task awake: an outside caller is detected.
    const inner = clock.sleepUntil(T0 + 10);
    outside = clock.sleepUntil(T0 + 5);
    await inner;
  });
  await assert.rejects(outside as Promise<void>, ClockError);
});

Deno.test("ReplayedClock paced: sleeping 1 simulated second at speed 100 takes >= 10 real ms", async () => {
  const started = performance.now();
  const clock = new ReplayedClock(T0, { speed: 100 });
  assert.equal(clock.paced, true);
  await clock.sleepUntil(T0 + 1000);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 9.9, `elapsed ${elapsed} ms`);
  assert.equal(clock.now(), T0 + 1000);
});

Deno.test("ReplayedClock paced: ties wake by priority then registration, time never goes back", async () => {
  const clock = new ReplayedClock(T0, { speed: 1000 });
  const log: string[] = [];
  const out = await clock.run(async () => {
    const a = clock.spawn(async () => {
      await clock.sleepUntil(T0 + 20);
      log.push(`a@${clock.now() - T0}`);
    });
    const b = clock.spawn(async () => {
      await clock.sleepUntil(T0 + 20);
      log.push(`b@${clock.now() - T0}`);
    });
    const c = clock.spawn(async () => {
      await clock.sleepUntil(T0 + 20, { priority: -1 });
      log.push(`c@${clock.now() - T0}`);
    });
    await clock.sleepUntil(T0 + 10);
    log.push(`main@${clock.now() - T0}`);
    await Promise.all([a, b, c]);
    await clock.sleepUntil(T0 + 5); // past: resolves at once
    return clock.now();
  });
  assert.deepEqual(log, ["main@10", "c@20", "a@20", "b@20"]);
  assert.equal(out, T0 + 20);
  await assert.rejects(clock.advanceTo(T0 + 30), ClockError);
});

Deno.test("ReplayedClock paced: abort rejects with InterruptedError and clears the timer", async () => {
  const clock = new ReplayedClock(T0, { speed: 1 });
  const ctl = new AbortController();
  const sleep = clock.sleepUntil(T0 + 3_600_000, ctl.signal);
  ctl.abort(new Error("stop"));
  await assert.rejects(sleep, InterruptedError);
  assert.equal(clock.now(), T0);
  assert.equal(clock.pendingWakeups, 0);
});
