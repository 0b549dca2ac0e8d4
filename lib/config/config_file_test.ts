import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../errors/mod.ts";
import { Config } from "./config.ts";
import { loadConfigFile, saveConfigFile } from "./config_file.ts";

async function _withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadConfigFile() reads JSON keeping key order, with the path as writer", async () => {
  await _withDir(async (dir) => {
    const path = join(dir, "c.json");
    await Deno.writeTextFile(path, '{"b": {"2": 1, "1": 2}, "a": "x"}');
    const cfg = await loadConfigFile(path);
    assert.deepEqual(cfg.keys(), ["b", "a"]);
    assert.deepEqual(cfg.getConfig("b").keys(), ["2", "1"]);
    assert.deepEqual(new Set(cfg.leaves().map((l) => l.writer)), new Set([path]));
  });
});

Deno.test("loadConfigFile() names the file when it is missing", async () => {
  await _withDir(async (dir) => {
    const path = join(dir, "missing.json");
    await assert.rejects(
      loadConfigFile(path),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === `Cannot load config file '${path}': file not found; check the path` &&
        e.cause instanceof Deno.errors.NotFound,
    );
  });
});

Deno.test("loadConfigFile() names the file and position on bad JSON", async () => {
  await _withDir(async (dir) => {
    const path = join(dir, "bad.json");
    await Deno.writeTextFile(path, '{\n  "a": 1\n  "b": 2\n}');
    await assert.rejects(
      loadConfigFile(path),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          `Cannot load config file '${path}': invalid JSON: unexpected character "\\"", expected ',' or '}' at line 3, column 3; fix the file`,
    );
  });
});

Deno.test("saveConfigFile() writes JSON that loadConfigFile() reads back exactly", async () => {
  await _withDir(async (dir) => {
    const path = join(dir, "sub", "out.json");
    const cfg = Config.fromObject({ z: 1, a: { list: [0.1, [2]], s: "é" } });
    await saveConfigFile(path, cfg);
    const text = await Deno.readTextFile(path);
    assert.equal(text, cfg.toJSONString() + "\n");
    assert.equal((await loadConfigFile(path)).toJSONString(), cfg.toJSONString());
  });
});
