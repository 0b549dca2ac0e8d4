import assert from "node:assert/strict";
import { InterruptedError, UsageError } from "../errors/mod.ts";
import { ReplayedClock } from "../sim/mod.ts";
import { ScaledClock } from "./scaled_clock.ts";

const T = Date.UTC(2025, 0, 10);

Deno.test("ScaledClock.now() maps the base clock's time: start + (base − anchor) × speed", async () => {
  const base = new ReplayedClock(1_000);
  const clock = new ScaledClock({ base, start: T, speed: 60 });
  assert.equal(clock.anchor, 1_000);
  assert.equal(clock.now(), T);
  await base.advanceTo(2_000);
  assert.equal(clock.now(), T + 60_000);
  await base.advanceTo(2_010);
  assert.equal(clock.now(), T + 60_600);
});

Deno.test("ScaledClock.sleepUntil() wakes when the mapped time is reached", async () => {
  const base = new ReplayedClock(0);
  const clock = new ScaledClock({ base, start: T, anchor: 0, speed: 3 });
  const woke = await base.run(async () => {
    await clock.sleepUntil(T + 10);
    return [base.now(), clock.now()];
  });
  // 10 simulated ms at 3x: 3.33 base ms, so the base clock wakes at 4.
  assert.deepEqual(woke, [4, T + 12]);
  await clock.sleepUntil(T); // in the past: at once
});

Deno.test("ScaledClock.sleepUntil() rejects when the signal aborts; bad options are refused", async () => {
  const base = new ReplayedClock(0);
  const clock = new ScaledClock({ base, start: T, anchor: 0 });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(() => clock.sleepUntil(T + 1_000, controller.signal), InterruptedError);
  assert.throws(() => new ScaledClock({ base, start: T, speed: 0 }), UsageError);
  assert.throws(() => new ScaledClock({ base, start: NaN }), UsageError);
});
