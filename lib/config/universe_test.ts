import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, UsageError } from "../errors/mod.ts";
import { listUniverses, loadUniverse } from "./universe.ts";

async function _withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const _GOOD = {
  name: "x_v1",
  version: 1,
  exchange: "binance",
  description: "test",
  symbols: ["BTC/USDT", "ETH/USDT"],
};

Deno.test("loadUniverse() reads the repository's versioned universe files", async () => {
  const v1 = await loadUniverse("binance_v1");
  assert.equal(v1.version, 1);
  assert.equal(v1.exchange, "binance");
  assert.deepEqual(v1.symbols.slice(0, 3), ["BTC/USDT", "ETH/USDT", "SOL/USDT"]);
  assert.equal(v1.symbols.length, 14);
  const v0 = await loadUniverse("binance_v0");
  assert.equal(v0.version, 0);
  assert.deepEqual(v0.symbols, v1.symbols.slice(0, 5));
  assert.deepEqual(await listUniverses(), ["binance_v0", "binance_v1"]);
});

Deno.test("loadUniverse() accepts a directory given as a URL", async () => {
  await _withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "x_v1.json"), JSON.stringify(_GOOD));
    const u = await loadUniverse("x_v1", { dir: new URL(`file://${dir}/`) });
    assert.deepEqual(u.symbols, ["BTC/USDT", "ETH/USDT"]);
    assert.equal(u.path, join(dir, "x_v1.json"));
  });
});

Deno.test("loadUniverse() rejects a name that is not a plain file name", async () => {
  await assert.rejects(loadUniverse("../etc/passwd"), UsageError);
});

Deno.test("loadUniverse() names the file and field of a malformed universe", async () => {
  await _withDir(async (dir) => {
    const path = join(dir, "x_v1.json");
    const cases: [unknown, RegExp][] = [
      [{ ..._GOOD, name: "y" }, /field 'name' is "y", expected "x_v1"/],
      [{ ..._GOOD, version: 1.5 }, /'version' must be a non-negative integer/],
      [{ ..._GOOD, exchange: "" }, /'exchange' must be a non-empty string/],
      [{ ..._GOOD, symbols: [] }, /'symbols' must be a non-empty array/],
      [{ ..._GOOD, symbols: ["BTCUSDT"] }, /symbols\[0\] is "BTCUSDT", expected a ccxt symbol/],
      [{ ..._GOOD, symbols: ["A/B", "A/B"] }, /symbols\[1\] 'A\/B' is a duplicate/],
      [{ ..._GOOD, extra: 1 }, /unknown field 'extra'/],
      [[1], /expected a JSON object/],
    ];
    for (const [content, pattern] of cases) {
      await Deno.writeTextFile(path, JSON.stringify(content));
      await assert.rejects(
        loadUniverse("x_v1", { dir }),
        (e: unknown) =>
          e instanceof ConfigError && e.message.startsWith(`Bad universe file '${path}': `) &&
          pattern.test(e.message),
      );
    }
    await Deno.writeTextFile(path, "{");
    await assert.rejects(loadUniverse("x_v1", { dir }), /Bad universe file .*invalid JSON/);
  });
});
