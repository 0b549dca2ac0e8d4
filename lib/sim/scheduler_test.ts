import assert from "node:assert/strict";
import { join } from "node:path";
import { InterruptedError } from "../errors/mod.ts";
import { ClockError } from "./clock_error.ts";
import { RealClock } from "./real_clock.ts";
import { ReplayedClock } from "./replayed_clock.ts";
import { PHASES, Scheduler } from "./scheduler.ts";
import { StaticClock } from "./static_clock.ts";

const T0 = Date.UTC(2025, 0, 3, 10, 0);
const MIN = 60_000;

Deno.test("Scheduler.run() orders equal times by phase, then registration", async () => {
  const clock = new ReplayedClock(T0);
  const s = new Scheduler(clock);
  const log: string[] = [];
  const job = (name: string) => (t: number) => {
    log.push(`${name}@${(t - T0) / MIN}`);
  };
  s.at(T0 + MIN, job("fills1"), { phase: "fills" });
  s.at(T0 + MIN, job("dag1"), { phase: "dag" });
  s.at(T0 + MIN, job("data1"), { phase: "data" });
  s.at(T0 + MIN, job("dag2"), { phase: "dag" });
  s.at(T0, job("broker0"), { phase: "broker" });
  s.at(T0 + MIN, job("fc1"), { phase: "forecasts" });
  s.at(T0 + MIN, job("broker1"), { phase: "broker" });
  s.at(T0 + MIN, job("data2"), { phase: "data" });
  const result = await clock.run(() => s.run());
  assert.deepEqual(log, [
    "broker0@0",
    "data1@1",
    "data2@1",
    "dag1@1",
    "dag2@1",
    "fc1@1",
    "broker1@1",
    "fills1@1",
  ]);
  assert.deepEqual(result, { jobsRun: 8, stoppedBy: "empty" });
  assert.deepEqual(PHASES, ["data", "dag", "forecasts", "broker", "fills"]);
  assert.throws(() => s.at(T0, () => {}, { phase: "nope" as "data" }), ClockError);
});

Deno.test("Scheduler.every() fires on the grid and stops at until", async () => {
  const clock = new ReplayedClock(T0 + 2 * MIN + 1);
  const s = new Scheduler(clock);
  const fired: number[] = [];
  const seen: number[] = [];
  // Default start: the first multiple of the period at or after now.
  const job = s.every(5 * MIN, (t) => {
    fired.push(t);
    seen.push(clock.now());
  }, { phase: "dag" });
  assert.equal(job.nextTime, T0 + 5 * MIN);
  const r1 = await clock.run(() => s.run({ until: T0 + 20 * MIN }));
  assert.deepEqual(r1, { jobsRun: 4, stoppedBy: "until" });
  assert.deepEqual(fired, [5, 10, 15, 20].map((m) => T0 + m * MIN));
  assert.deepEqual(seen, fired);
  assert.equal(clock.now(), T0 + 20 * MIN);
  assert.equal(job.nextTime, T0 + 25 * MIN);
  // A second run continues the grid; `end` bounds a job inclusively.
  s.every(7 * MIN, (t) => {
    fired.push(t);
  }, { phase: "data", start: T0 + 21 * MIN, end: T0 + 35 * MIN });
  await clock.run(() => s.run({ until: T0 + 30 * MIN }));
  assert.deepEqual(fired.slice(4), [21, 25, 28, 30].map((m) => T0 + m * MIN));
  job.cancel();
  const r3 = await clock.run(() => s.run());
  assert.deepEqual(r3, { jobsRun: 1, stoppedBy: "empty" });
  assert.equal(fired.at(-1), T0 + 35 * MIN);
  assert.equal(s.pending, 0);
});

Deno.test("Scheduler jobs can schedule and cancel jobs, also at the current instant", async () => {
  const clock = new ReplayedClock(T0);
  const s = new Scheduler(clock);
  const log: string[] = [];
  s.at(T0 + 10, (t, ctx) => {
    log.push(`dag@${t - T0}`);
    ctx.scheduler.at(t, () => void log.push("data-now"), { phase: "data" }); // earlier phase, same instant
    ctx.scheduler.at(t, () => void log.push("fills-now"), { phase: "fills" });
    ctx.scheduler.at(t + 5, () => void log.push(`broker@${clock.now() - T0}`), { phase: "broker" });
    doomed.cancel();
  }, { phase: "dag" });
  const doomed = s.at(T0 + 12, () => void log.push("doomed"), { phase: "data" });
  const ticks = s.every(10, (t, ctx) => {
    log.push(`tick@${t - T0}`);
    if (t >= T0 + 20) ticks.cancel();
    assert.equal(ctx.phase, "forecasts");
  }, { phase: "forecasts", start: T0 });
  await clock.run(() => s.run());
  assert.deepEqual(log, [
    "tick@0",
    "dag@10",
    "data-now",
    "tick@10",
    "fills-now",
    "broker@15",
    "tick@20",
  ]);
});

Deno.test("Scheduler.every() with skipMissed drops ticks a slow job overran", async () => {
  for (const skipMissed of [false, true]) {
    const clock = new ReplayedClock(T0);
    const s = new Scheduler(clock);
    const fired: number[] = [];
    s.every(10, async (t, ctx) => {
      fired.push(t - T0);
      if (t === T0 + 10) await clock.sleepUntil(t + 25, ctx.signal); // overruns 2 ticks
    }, { phase: "dag", start: T0, end: T0 + 60, skipMissed });
    await clock.run(() => s.run());
    assert.deepEqual(fired, skipMissed ? [0, 10, 40, 50, 60] : [0, 10, 20, 30, 40, 50, 60]);
  }
});

Deno.test("Scheduler.run() stops after the job in flight on abort", async () => {
  const clock = new ReplayedClock(T0);
  const s = new Scheduler(clock);
  const ctl = new AbortController();
  const log: number[] = [];
  s.every(MIN, (t) => {
    log.push((t - T0) / MIN);
    if (t === T0 + 3 * MIN) ctl.abort(new Error("SIGTERM"));
  }, { phase: "dag", start: T0 });
  await assert.rejects(
    clock.run(() => s.run({ signal: ctl.signal })),
    (e: unknown) =>
      e instanceof InterruptedError && /Scheduler stopped at 2025-01-03T10:03Z/.test(e.message),
  );
  assert.deepEqual(log, [0, 1, 2, 3]);
  // Aborting while the scheduler sleeps on the clock interrupts the sleep.
  const ctl2 = new AbortController();
  const s2 = new Scheduler(clock);
  s2.at(T0 + 60 * MIN, () => assert.fail("must not run"), { phase: "data" });
  await assert.rejects(
    clock.run(async () => {
      clock.spawn(async () => {
        await clock.sleepUntil(T0 + 10 * MIN);
        ctl2.abort(new Error("stop"));
      });
      await s2.run({ signal: ctl2.signal });
    }),
    InterruptedError,
  );
  assert.equal(clock.now(), T0 + 10 * MIN);
});

Deno.test("Scheduler with other tasks doing file I/O gives the same log every run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const once = async () => {
      const clock = new ReplayedClock(T0);
      const s = new Scheduler(clock);
      const log: string[] = [];
      s.every(5, async (t) => {
        await Deno.writeTextFile(join(dir, "dag.txt"), "d".repeat(300_000));
        log.push(`dag@${t - T0}/${clock.now() - T0}`);
      }, { phase: "dag", start: T0, end: T0 + 20 });
      s.every(10, (t) => void log.push(`fills@${t - T0}`), {
        phase: "fills",
        start: T0,
        end: T0 + 20,
      });
      await clock.run(async () => {
        clock.spawn(async () => {
          for (const dt of [5, 7, 10, 20]) {
            await clock.sleepUntil(T0 + dt);
            await Deno.writeTextFile(join(dir, "side.txt"), String(dt));
            log.push(`side@${clock.now() - T0}`);
          }
        });
        await s.run();
      });
      return log;
    };
    const runs = [await once(), await once(), await once()];
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
    assert.deepEqual(runs[0]?.slice(0, 5), ["dag@0/0", "fills@0", "dag@5/5", "side@5", "side@7"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Scheduler runs on a paced ReplayedClock, a RealClock and a StaticClock", async () => {
  const paced = new ReplayedClock(T0, { speed: 1000 });
  const ps = new Scheduler(paced);
  const pacedSeen: number[] = [];
  ps.every(5, () => void pacedSeen.push(paced.now() - T0), {
    phase: "dag",
    start: T0,
    end: T0 + 15,
  });
  await ps.run();
  assert.deepEqual(pacedSeen, [0, 5, 10, 15]);

  const real = new RealClock();
  const rs = new Scheduler(real);
  const start = real.now() + 5;
  const realSeen: [number, number][] = [];
  rs.every(4, (t) => void realSeen.push([t - start, real.now() - t]), {
    phase: "data",
    start,
    end: start + 12,
  });
  await rs.run();
  assert.deepEqual(realSeen.map(([dt]) => dt), [0, 4, 8, 12]);
  assert.ok(realSeen.every(([, late]) => late >= 0));

  const still = new StaticClock(T0);
  const ss = new Scheduler(still);
  const staticSeen: number[] = [];
  ss.at(T0 - 5, (t) => void staticSeen.push(t - T0), { phase: "data" });
  ss.at(T0, (t) => void staticSeen.push(t - T0), { phase: "dag" });
  ss.at(T0 + 5, (t) => void staticSeen.push(t - T0), { phase: "dag" });
  await assert.rejects(ss.run(), ClockError);
  assert.deepEqual(staticSeen, [-5, 0]);
  assert.deepEqual(await ss.run({ until: T0 }), { jobsRun: 0, stoppedBy: "until" });
});
