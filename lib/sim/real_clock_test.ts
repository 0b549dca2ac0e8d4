import assert from "node:assert/strict";
import { InterruptedError } from "../errors/mod.ts";
import { ClockError } from "./clock_error.ts";
import { RealClock } from "./real_clock.ts";

Deno.test("RealClock.now() follows the wall clock and never decreases", () => {
  const clock = new RealClock();
  const before = Date.now();
  let last = clock.now();
  assert.ok(last >= before);
  for (let i = 0; i < 1000; i++) {
    const t = clock.now();
    assert.ok(t >= last);
    last = t;
  }
  assert.equal(clock.kind, "real");
});

Deno.test("RealClock.sleepUntil() resolves at once in the past and after t otherwise", async () => {
  const clock = new RealClock({ maxTimerMs: 5 });
  await clock.sleepUntil(clock.now() - 1000);
  const target = clock.now() + 25; // several 5 ms chunks
  await clock.sleepUntil(target);
  assert.ok(clock.now() >= target);
  await assert.rejects(clock.sleepUntil(NaN), ClockError);
  assert.throws(() => new RealClock({ maxTimerMs: 0 }), RangeError);
});

Deno.test("RealClock.sleepUntil() rejects with InterruptedError on abort", async () => {
  const clock = new RealClock();
  const ctl = new AbortController();
  const sleep = clock.sleepUntil(clock.now() + 3_600_000 * 5, ctl.signal);
  const timer = setTimeout(() => ctl.abort(new Error("SIGINT")), 5);
  await assert.rejects(sleep, (e: unknown) => {
    assert.ok(e instanceof InterruptedError);
    assert.equal(e.exitCode, 130);
    assert.match(e.message, /interrupted \(SIGINT\)/);
    return true;
  });
  clearTimeout(timer);
  // An already-aborted signal rejects even for a time in the past.
  await assert.rejects(clock.sleepUntil(0, ctl.signal), InterruptedError);
});
