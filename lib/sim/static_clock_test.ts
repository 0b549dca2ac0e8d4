import assert from "node:assert/strict";
import { InterruptedError } from "../errors/mod.ts";
import { ClockError } from "./clock_error.ts";
import { StaticClock } from "./static_clock.ts";

const T = Date.UTC(2025, 0, 3, 10, 5);

Deno.test("StaticClock.now() always returns its time and is labelled static", () => {
  const clock = new StaticClock(T);
  assert.equal(clock.now(), T);
  assert.equal(clock.now(), T);
  assert.equal(clock.kind, "static");
});

Deno.test("StaticClock.sleepUntil() resolves for past times and rejects for future ones", async () => {
  const clock = new StaticClock(T);
  await clock.sleepUntil(T - 1);
  await clock.sleepUntil(T);
  assert.equal(clock.now(), T);
  await assert.rejects(clock.sleepUntil(T + 1), (e: unknown) => {
    assert.ok(e instanceof ClockError);
    assert.match(
      e.message,
      /StaticClock never moves: cannot sleep until 2025-01-03T10:05:00\.001Z/,
    );
    return true;
  });
  const ctl = new AbortController();
  ctl.abort(new Error("stop"));
  await assert.rejects(clock.sleepUntil(T - 1, ctl.signal), InterruptedError);
});

Deno.test("StaticClock rejects non-finite times", async () => {
  assert.throws(() => new StaticClock(NaN), ClockError);
  await assert.rejects(new StaticClock(T).sleepUntil(Infinity), ClockError);
});
