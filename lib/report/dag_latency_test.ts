import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../errors/mod.ts";
import { dagLatencyStatistics, percentile, readDagProfiling } from "./dag_latency.ts";

const T = Date.UTC(2025, 0, 6);
const M5 = 300_000;

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("percentile() interpolates linearly between order statistics", () => {
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(percentile([1, 2, 3, 4], 0), 1);
  assert.equal(percentile([1, 2, 3, 4], 1), 4);
  assert.ok(Math.abs(percentile([10, 20, 30, 40, 50], 0.95) - 48) < 1e-12);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

Deno.test("readDagProfiling() sums nodes per bar (long form, ISO bars) and drops rows without a bar", async () => {
  await inTemp(async (dir) => {
    const path = join(dir, "profiling.csv");
    const iso = (k: number) => new Date(T + k * M5).toISOString();
    await Deno.writeTextFile(
      path,
      "run,method,node_id,bar_timestamp,ms\n" +
        `0,fit,model,,100\n1,predict,a,${iso(1)},1.5\n1,predict,b,${iso(1)},2\n` +
        `2,predict,a,${iso(2)},3\n2,predict,b,${iso(2)},4\n3,predict,a,${iso(3)},10\n`,
    );
    const df = readDagProfiling(path);
    assert.deepEqual(df.getColumn("ms").toArray(), [3.5, 7, 10]);
    const s = dagLatencyStatistics(df);
    assert.equal(s.dag_latency_bars, 3);
    assert.equal(s.dag_latency_p50_ms, 7);
    assert.ok(Math.abs((s.dag_latency_p95_ms as number) - 9.7) < 1e-12);
    assert.equal(s.dag_latency_max_ms, 10);
    const window = dagLatencyStatistics(df, { start: T + M5, end: T + 2 * M5 });
    assert.equal(window.dag_latency_bars, 1);
    assert.equal(window.dag_latency_max_ms, 7);
    assert.equal(dagLatencyStatistics(undefined).dag_latency_p50_ms, null);
  });
});

Deno.test("readDagProfiling() reads the wide form (epoch ms bars, one column per node) and refuses a file without bars", async () => {
  await inTemp(async (dir) => {
    const wide = join(dir, "wide.csv");
    await Deno.writeTextFile(wide, `timestamp,source,model\n${T + M5},1,2\n${T + 2 * M5},3,\n`);
    assert.deepEqual(readDagProfiling(wide).getColumn("ms").toArray(), [3, 3]);
    const bad = join(dir, "bad.csv");
    await Deno.writeTextFile(bad, "node,ms\na,1\n");
    assert.throws(
      () => readDagProfiling(bad),
      (e: Error) => e instanceof DataError && /no bar column/.test(e.message),
    );
  });
});
