import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import {
  listStorePartitions,
  readStore,
  readStoreMeta,
  storePartitionPath,
  writeStore,
} from "./store.ts";
import { _makeBars, _setCell } from "./_test_bars.ts";
import { DataError } from "../errors/mod.ts";

const BTC_ID = 1467591036;
const ETH_ID = 1464553467;
const FEB = Date.UTC(2025, 1, 1);
/** Bars ending Jan 31 23:55, Feb 1 00:00, Feb 1 00:05, ... (the second one is in February). */
function bars(n = 3): pl.DataFrame {
  return _makeBars({ firstEnd: FEB - 300_000, bars: n });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("writeStore() partitions by asset and the UTC month of the bar END", async () => {
  await withTempDir(async (dir) => {
    const df = bars();
    const result = await writeStore(df, dir);
    const parts = await listStorePartitions(dir, { countRows: true });
    assert.deepEqual(parts, [
      {
        assetId: ETH_ID,
        year: 2025,
        month: 1,
        path: storePartitionPath(dir, { assetId: ETH_ID, year: 2025, month: 1 }),
        rows: 1,
      },
      {
        assetId: ETH_ID,
        year: 2025,
        month: 2,
        path: storePartitionPath(dir, { assetId: ETH_ID, year: 2025, month: 2 }),
        rows: 2,
      },
      {
        assetId: BTC_ID,
        year: 2025,
        month: 1,
        path: storePartitionPath(dir, { assetId: BTC_ID, year: 2025, month: 1 }),
        rows: 1,
      },
      {
        assetId: BTC_ID,
        year: 2025,
        month: 2,
        path: storePartitionPath(dir, { assetId: BTC_ID, year: 2025, month: 2 }),
        rows: 2,
      },
    ]);
    assert.equal(
      parts[0]?.path,
      join(dir, `asset_id=${ETH_ID}`, "year=2025", "month=1", "data.parquet"),
    );
    assert.equal(result.partitions.length, 4);
    assert.ok((await readStore(dir)).frameEqual(df));
    const meta = await readStoreMeta(dir);
    assert.equal(meta?.timeframe, "5m");
    assert.equal(meta?.exchange, "binance");
    assert.deepEqual([...(meta?.symbols ?? [])], [[ETH_ID, "binance::ETH_USDT"], [
      BTC_ID,
      "binance::BTC_USDT",
    ]]);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "store.meta.json")));
    assert.deepEqual(json.symbols, {
      [ETH_ID]: "binance::ETH_USDT",
      [BTC_ID]: "binance::BTC_USDT",
    });
  });
});

Deno.test("writeStore() merges with existing partitions, new rows winning", async () => {
  await withTempDir(async (dir) => {
    await writeStore(bars(4), dir);
    const newer = bars(6).slice(4, 8).withColumns(pl.col("volume").add(1000).alias("volume"));
    const result = await writeStore(newer, dir);
    assert.deepEqual(result.partitions.map((p) => [p.assetId, p.month, p.rows]), [[ETH_ID, 2, 5], [
      BTC_ID,
      2,
      5,
    ]]);
    const all = await readStore(dir);
    assert.equal(all.height, 12);
    const expected = pl.concat([bars(6).slice(0, 4), newer]); // newer: bars 2..5 of both assets
    assert.ok(all.frameEqual(expected));
    await writeStore(_makeBars({ symbols: ["binance::ADA_USDT"], firstEnd: FEB, bars: 2 }), dir);
    assert.equal((await readStoreMeta(dir))?.symbols.get(3303714233), "binance::ADA_USDT");
  });
});

Deno.test("readStore() opens only the partitions overlapping the range and assets", async () => {
  await withTempDir(async (dir) => {
    const df = bars(5);
    await writeStore(df, dir);
    const jan = storePartitionPath(dir, { assetId: BTC_ID, year: 2025, month: 1 });
    await Deno.writeTextFile(jan, "garbage");
    const feb = await readStore(dir, { start: FEB - 1, end: FEB + 300_000 });
    assert.equal(feb.height, 4);
    assert.ok(feb.frameEqual(df.slice(2, 4)));
    const eth = await readStore(dir, { assetIds: [ETH_ID] });
    assert.equal(eth.height, 5);
    await rejects(
      readStore(dir),
      new RegExp(`^Cannot load store partition ${jan}: not a readable Parquet file`),
    );
  });
});

Deno.test("readStore() names the partition, row and rule of a bad row", async () => {
  await withTempDir(async (dir) => {
    await writeStore(bars(5), dir);
    const febBtc = storePartitionPath(dir, { assetId: BTC_ID, year: 2025, month: 2 });
    const rows = pl.readParquet(febBtc);
    await Deno.writeFile(
      febBtc,
      _setCell(rows, { row: 1, column: "high", value: 1 }).writeParquet(),
    );
    await rejects(
      readStore(dir),
      new RegExp(
        `^Cannot load store partition ${febBtc}: row 2025-02-01T00:05Z binance::BTC_USDT: high < low$`,
      ),
    );
    // A row filed under the wrong asset.
    await Deno.writeFile(febBtc, rows.writeParquet());
    const febEth = storePartitionPath(dir, { assetId: ETH_ID, year: 2025, month: 2 });
    await Deno.writeFile(febEth, rows.writeParquet());
    await rejects(
      readStore(dir),
      new RegExp(
        `^Cannot load store partition ${febEth}: row 2025-02-01T00:00Z binance::BTC_USDT: ` +
          `row is not in its partition \\(asset_id=${ETH_ID}/year=2025/month=2\\)$`,
      ),
    );
  });
});

Deno.test("writeStore() keeps one timeframe per store", async () => {
  await withTempDir(async (dir) => {
    await writeStore(bars(), dir);
    await rejects(
      writeStore(_makeBars({ barMs: 3_600_000, firstEnd: FEB }), dir),
      /it holds 5m bars, not 1h; use another store directory/,
    );
  });
});

Deno.test("readStore() handles missing and empty stores", async () => {
  await withTempDir(async (dir) => {
    await rejects(readStore(join(dir, "none")), /^Cannot load store .*none: directory not found$/);
    await Deno.mkdir(join(dir, "asset_id=12/year=2025/month=1"), { recursive: true });
    await Deno.writeTextFile(join(dir, "README.txt"), "not a partition");
    const empty = await readStore(dir);
    assert.equal(empty.height, 0);
    assert.deepEqual(empty.schema, _makeBars().schema);
    assert.deepEqual(await listStorePartitions(dir), []);
  });
});
