import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { readBars } from "./read_bars.ts";
import { writeSnapshot } from "./snapshot.ts";
import { writeStore } from "./store.ts";
import { _makeBars } from "./_test_bars.ts";
import { DataError } from "../errors/mod.ts";

const T0 = Date.UTC(2025, 0, 3, 10, 5);
const BAR = 300_000;
const SYMBOLS = ["binance::BTC_USDT", "binance::ETH_USDT", "binance::ADA_USDT"];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function expected(df: pl.DataFrame, symbols: string[], start: number, end: number): pl.DataFrame {
  const t = pl.col("timestamp").cast(pl.Int64);
  return df.filter(
    pl.col("full_symbol").isIn(symbols).and(t.gt(start)).and(t.ltEq(end)),
  );
}

Deno.test("readBars() reads a snapshot or a store, filtered by range and symbols", async () => {
  await withTempDir(async (dir) => {
    const df = _makeBars({ symbols: SYMBOLS, bars: 12 });
    const snapshot = join(dir, "bars.csv.gz");
    const store = join(dir, "store");
    await writeSnapshot(df, snapshot, { createdAt: 0 });
    await writeStore(df, store);
    const want = expected(df, ["binance::BTC_USDT", "binance::ADA_USDT"], T0 + BAR, T0 + 5 * BAR);
    assert.equal(want.height, 8);
    for (const path of [snapshot, store]) {
      const got = await readBars(path, {
        start: T0 + BAR,
        end: T0 + 5 * BAR,
        symbols: ["BTC/USDT", "binance::ADA_USDT"],
      });
      assert.ok(got.frameEqual(want), `${path}: ${got.toString()}`);
      assert.ok((await readBars(path)).frameEqual(df));
    }
  });
});

Deno.test("readBars() lists the known symbols when one is unknown", async () => {
  await withTempDir(async (dir) => {
    const df = _makeBars({ symbols: SYMBOLS });
    const snapshot = join(dir, "bars.parquet");
    const store = join(dir, "store");
    await writeSnapshot(df, snapshot, { createdAt: 0 });
    await writeStore(df, store);
    const known = "known symbols: binance::ADA_USDT, binance::BTC_USDT, binance::ETH_USDT";
    await assert.rejects(readBars(snapshot, { symbols: ["SOL/USDT"] }), {
      name: "DataError",
      message: `Symbol 'SOL/USDT' is not in snapshot ${snapshot}; ${known}`,
    });
    await assert.rejects(readBars(store, { symbols: ["binance::SOL_USDT"] }), {
      name: "DataError",
      message: `Symbol 'binance::SOL_USDT' is not in store ${store}; ${known}`,
    });
    // Without store.meta.json, full symbols still map through their MD5 ids.
    await Deno.remove(join(store, "store.meta.json"));
    assert.equal((await readBars(store, { symbols: ["binance::ETH_USDT"] })).height, 4);
    await assert.rejects(readBars(store, { symbols: ["ETH/USDT"] }), /give full symbols/);
  });
});

Deno.test("readBars() rejects a path that does not exist", async () => {
  await assert.rejects(readBars("/nonexistent/bars.parquet"), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.match(
      e.message,
      /^Cannot load bars from \/nonexistent\/bars\.parquet: no such file or directory/,
    );
    return true;
  });
});
