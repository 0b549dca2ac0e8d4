import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../errors/mod.ts";
import { _writeSystemLog } from "./_test_system_log.ts";
import { readRunOutput } from "./read_run_output.ts";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readRunOutput() opens a system log dir, its parent, and the latest run of a production root", async () => {
  await inTemp(async (root) => {
    const runs = join(root, "cross_sectional", "prod", "scheduled");
    const older = join(runs, "20250106_000000.20250107_000000", "system_log_dir");
    const newer = join(runs, "20250107_000000.20250108_000000", "system_log_dir");
    await _writeSystemLog(older, { id: "older" });
    await _writeSystemLog(newer, { id: "newer" });
    assert.equal((await readRunOutput(older)).metadata["id"], "older");
    assert.equal((await readRunOutput(join(older, ".."))).metadata["id"], "older");
    const latest = await readRunOutput(root);
    assert.equal(latest.dir, newer);
    assert.equal(latest.metadata["id"], "newer");
    assert.equal(latest.metadata["selected_from"], root);
  });
});

Deno.test("readRunOutput() says what it expected for a missing path, a file or an unrelated directory", async () => {
  await inTemp(async (dir) => {
    await assert.rejects(
      readRunOutput(join(dir, "none")),
      (e: Error) => e instanceof DataError && /no such directory/.test(e.message),
    );
    await Deno.writeTextFile(join(dir, "f.txt"), "x");
    await assert.rejects(
      readRunOutput(join(dir, "f.txt")),
      (e: Error) => e instanceof DataError && /is a file, not a directory/.test(e.message),
    );
    await Deno.mkdir(join(dir, "other", "deep"), { recursive: true });
    await assert.rejects(
      readRunOutput(join(dir, "other")),
      (e: Error) => e instanceof DataError && /neither a backtest directory/.test(e.message),
    );
  });
});
