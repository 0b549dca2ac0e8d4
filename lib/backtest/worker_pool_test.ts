import assert from "node:assert/strict";
import { runWorkerPool, WorkerFailedError } from "./worker_pool.ts";

/** A stand-in worker: answers each tile id on stdin; the id `boom` makes it fail with exit 2. */
const FAKE_WORKER = `
const decoder = new TextDecoder();
let buffer = "";
console.error("started");
for await (const chunk of Deno.stdin.readable) {
  buffer += decoder.decode(chunk, { stream: true });
  let nl;
  while ((nl = buffer.indexOf("\\n")) >= 0) {
    const id = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (id === "boom") {
      console.error("error: Cannot run tile boom: broken");
      Deno.exit(2);
    }
    console.log(JSON.stringify({ tile: id, rows: id.length, elapsed_ms: 0 }));
  }
}
`;

const command = () => ({ command: Deno.execPath(), args: ["eval", FAKE_WORKER] });

Deno.test("runWorkerPool() hands out every tile once over the workers", async () => {
  const ids = Array.from({ length: 9 }, (_, i) => `t${i}`);
  const done: [string, number][] = [];
  const stderr: string[] = [];
  await runWorkerPool(ids, {
    workers: 3,
    command,
    onTileDone: (d, w) => done.push([d.tile, w]),
    onStderr: (line) => stderr.push(line),
  });
  assert.deepEqual(done.map(([id]) => id).sort(), ids);
  assert.deepEqual(stderr, ["started", "started", "started"]);
  assert.ok(done.every(([, w]) => w >= 0 && w < 3));
});

Deno.test("runWorkerPool() starts no more workers than tiles", async () => {
  const stderr: string[] = [];
  await runWorkerPool(["only"], { workers: 4, command, onStderr: (l) => stderr.push(l) });
  assert.equal(stderr.length, 1);
});

Deno.test("runWorkerPool() fails with the failed worker's exit code and error line", async () => {
  await assert.rejects(
    runWorkerPool(["a", "boom", "b", "c"], { workers: 2, command }),
    (e) =>
      e instanceof WorkerFailedError && e.exitCode === 2 &&
      /Backtest worker \d\/2 failed \(exit 2\): Cannot run tile boom: broken/.test(e.message),
  );
});
