import assert from "node:assert/strict";
import { join } from "node:path";
import { StaticClock } from "../sim/static_clock.ts";
import { acquireReportLock, REPORT_LOCK_FILE } from "./report_lock.ts";

const T = Date.UTC(2025, 0, 6);

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("acquireReportLock() gives the lock to one holder at a time and release() frees it", async () => {
  await inTemp(async (dir) => {
    const clock = new StaticClock(T);
    const first = await acquireReportLock(join(dir, "out"), {
      clock,
      pid: 100,
      hostname: "h",
      isAlive: () => true,
    });
    assert.equal(first.acquired, true);
    const second = await acquireReportLock(join(dir, "out"), {
      clock,
      pid: 200,
      hostname: "h",
      isAlive: () => true,
    });
    assert.equal(second.acquired, false);
    if (second.acquired) return;
    assert.equal(second.holder?.pid, 100);
    assert.equal(second.holder?.started_ms, T);
    if (first.acquired) await first.lock.release();
    await assert.rejects(Deno.stat(join(dir, "out", REPORT_LOCK_FILE)), Deno.errors.NotFound);
    const third = await acquireReportLock(join(dir, "out"), { clock, pid: 200, hostname: "h" });
    assert.equal(third.acquired, true);
    if (third.acquired) await third.lock.release();
  });
});

Deno.test("acquireReportLock() takes over a lock whose owner died or that is too old", async () => {
  await inTemp(async (dir) => {
    const clock = new StaticClock(T);
    const dead = await acquireReportLock(dir, { clock, pid: 100, hostname: "h" });
    assert.equal(dead.acquired, true);
    const taken = await acquireReportLock(dir, {
      clock,
      pid: 200,
      hostname: "h",
      isAlive: (pid) => pid !== 100,
    });
    assert.equal(taken.acquired, true);
    if (!taken.acquired) return;
    assert.equal(taken.tookOverFrom?.pid, 100);
    // The dead owner's release must not remove the new owner's lock.
    if (dead.acquired) await dead.lock.release();
    const text = JSON.parse(await Deno.readTextFile(join(dir, REPORT_LOCK_FILE)));
    assert.equal(text.pid, 200);
    // Another host's lock: alive unless older than staleAfterMs.
    const other = await acquireReportLock(dir, {
      clock: new StaticClock(T + 10_000),
      pid: 300,
      hostname: "other",
      isAlive: () => false,
    });
    assert.equal(other.acquired, false);
    const late = await acquireReportLock(dir, {
      clock: new StaticClock(T + 2 * 3_600_000),
      pid: 300,
      hostname: "other",
    });
    assert.equal(late.acquired, true);
    if (late.acquired) await late.lock.release();
    await taken.lock.release();
  });
});
