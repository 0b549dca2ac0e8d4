import assert from "node:assert/strict";
import { ReplayedClock } from "../sim/mod.ts";
import { runBranches } from "./run_branches.ts";

Deno.test("runBranches() runs branches concurrently and serves their sleeps with one clock sleep at a time", async () => {
  const clock = new ReplayedClock(0);
  const log: string[] = [];
  const results = await clock.run(() =>
    runBranches([
      async (c) => {
        await c.sleepUntil(300);
        log.push(`a@${c.now()}`);
        await c.sleepUntil(100);
        return "a";
      },
      async (c) => {
        await c.sleepUntil(100);
        log.push(`b@${c.now()}`);
        await c.sleepUntil(500);
        log.push(`b@${c.now()}`);
        return "b";
      },
      () => Promise.reject(new Error("boom")),
    ], { clock, concurrency: 2 })
  );
  assert.deepEqual(log, ["b@100", "a@300", "b@500"]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected"]);
  assert.equal(clock.now(), 500);
});

Deno.test("runBranches() does not sleep while a branch is still busy, and limits concurrency", async () => {
  const clock = new ReplayedClock(0);
  let running = 0;
  let peak = 0;
  const branch = (i: number) => async (c: { sleepUntil(t: number): Promise<void> }) => {
    running++;
    peak = Math.max(peak, running);
    const t0 = clock.now();
    // Real I/O while awake: time must not jump meanwhile.
    await Deno.readFile(new URL(import.meta.url));
    assert.equal(clock.now(), t0, "time did not move while a branch was busy");
    running--;
    await c.sleepUntil(10 * (i + 1));
    return i;
  };
  const results = await clock.run(() =>
    runBranches([0, 1, 2, 3, 4].map(branch), { clock, concurrency: 2 })
  );
  assert.equal(peak, 2);
  assert.deepEqual(results.map((r) => r.status === "fulfilled" ? r.value : -1), [0, 1, 2, 3, 4]);
  assert.deepEqual(await runBranches([], { clock }), []);
});
