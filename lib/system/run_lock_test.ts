import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors/mod.ts";
import { acquireRunLock, RUN_LOCK_FILE } from "./run_lock.ts";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("acquireRunLock() holds the run for one process and releases it", async () => {
  await inTemp(async (dir) => {
    const lock = await acquireRunLock(dir, { now: 0, pid: 11, hostname: "h", isAlive: () => true });
    await assert.rejects(
      () => acquireRunLock(dir, { now: 1, pid: 12, hostname: "h", isAlive: () => true }),
      (e: unknown) => e instanceof UsageError && /pid 11 on h/.test(e.message),
    );
    await lock.release();
    await assert.rejects(Deno.stat(join(dir, RUN_LOCK_FILE)), Deno.errors.NotFound);
    const again = await acquireRunLock(dir, { now: 2, pid: 12, hostname: "h" });
    await again.release();
  });
});

Deno.test("acquireRunLock() takes over the lock of a dead local process, not another host's", async () => {
  await inTemp(async (dir) => {
    await acquireRunLock(dir, { now: 0, pid: 11, hostname: "h" });
    const lock = await acquireRunLock(dir, {
      now: 1,
      pid: 12,
      hostname: "h",
      isAlive: () => false,
    });
    assert.equal(lock.tookOverFrom?.pid, 11);
    await assert.rejects(
      () => acquireRunLock(dir, { now: 2, pid: 13, hostname: "other", isAlive: () => false }),
      UsageError,
    );
    await lock.release();
  });
});
