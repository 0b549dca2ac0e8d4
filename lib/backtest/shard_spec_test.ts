import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { formatShard, parseShardSpec, selectShard } from "./shard_spec.ts";

Deno.test("parseShardSpec() reads i/N", () => {
  assert.deepEqual(parseShardSpec("0/3"), { index: 0, count: 3 });
  assert.deepEqual(parseShardSpec(" 2 / 3 "), { index: 2, count: 3 });
  assert.equal(formatShard(parseShardSpec("1/4")), "1/4");
});

Deno.test("parseShardSpec() rejects malformed specs with the expected form", () => {
  for (const bad of ["3/2", "2/2", "1/0", "a/b", "1", "-1/2", "1/2/3", ""]) {
    assert.throws(
      () => parseShardSpec(bad),
      (e) => e instanceof UsageError && /expected i\/N/.test(e.message),
      bad,
    );
  }
  assert.throws(() => parseShardSpec("3/2"), /index 3 is not below the shard count 2/);
});

Deno.test("parseShardSpec() auto/N reads JOB_COMPLETION_INDEX, then SLURM_ARRAY_TASK_ID", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(parseShardSpec("auto/3", { env: env({ JOB_COMPLETION_INDEX: "2" }) }), {
    index: 2,
    count: 3,
  });
  assert.deepEqual(parseShardSpec("auto/3", { env: env({ SLURM_ARRAY_TASK_ID: "1" }) }), {
    index: 1,
    count: 3,
  });
  assert.deepEqual(
    parseShardSpec("auto/3", { env: env({ JOB_COMPLETION_INDEX: "0", SLURM_ARRAY_TASK_ID: "2" }) }),
    { index: 0, count: 3 },
  );
  assert.throws(
    () => parseShardSpec("auto/3", { env: env({}) }),
    /neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set/,
  );
  assert.throws(
    () => parseShardSpec("auto/3", { env: env({ JOB_COMPLETION_INDEX: "3" }) }),
    /JOB_COMPLETION_INDEX=3.*not below/,
  );
  assert.throws(
    () => parseShardSpec("auto/3", { env: env({ SLURM_ARRAY_TASK_ID: "x" }) }),
    /is not an index/,
  );
});

Deno.test("selectShard() partitions the tiles: the shards' union is every tile, once", () => {
  const tiles = Array.from({ length: 10 }, (_, index) => ({ index }));
  const shards = [0, 1, 2].map((index) => selectShard(tiles, { index, count: 3 }));
  assert.deepEqual(shards.map((s) => s.map((t) => t.index)), [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]);
  assert.deepEqual(
    shards.flat().map((t) => t.index).sort((a, b) => a - b),
    tiles.map((t) => t.index),
  );
});
