import assert from "node:assert/strict";
import { join } from "node:path";
import { atomicWrite, atomicWriteSync, atomicWriteWith } from "./atomic_write.ts";

Deno.test("atomicWrite() creates parents and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "a", "b", "x.txt");
  await atomicWrite(path, "hello");
  assert.equal(await Deno.readTextFile(path), "hello");
  atomicWriteSync(path, new TextEncoder().encode("bye"));
  assert.equal(await Deno.readTextFile(path), "bye");
  const names = [...Deno.readDirSync(join(dir, "a", "b"))].map((e) => e.name);
  assert.deepEqual(names, ["x.txt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("atomicWriteWith() keeps the old file when the writer fails", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "x.txt");
  await atomicWrite(path, "old");
  await assert.rejects(
    atomicWriteWith(path, (tmp) => {
      Deno.writeTextFileSync(tmp, "half");
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(await Deno.readTextFile(path), "old");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.txt"]);
  await Deno.remove(dir, { recursive: true });
});
