import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../errors/mod.ts";
import { assetIdOf, readBars, writeSnapshot, writeStore } from "../sim/mod.ts";
import {
  describeBacktestData,
  loadBacktestBars,
  loadBacktestPrices,
  PRICE_BAR_COLUMNS,
} from "./backtest_data.ts";

const FIXTURE =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;
const T = (iso: string) => Date.parse(iso);
const BTC = assetIdOf("binance::BTC_USDT");
const ETH = assetIdOf("binance::ETH_USDT");

Deno.test("describeBacktestData() reads a snapshot's symbols, period and range from its meta", async () => {
  const d = await describeBacktestData(FIXTURE);
  assert.equal(d.kind, "parquet");
  assert.equal(d.symbols.length, 8);
  assert.equal(d.barMs, 300_000);
  assert.equal(d.first, T("2025-01-06T00:05Z"));
  assert.equal(d.last, T("2025-02-17T00:00Z"));
  assert.match(d.sha256 ?? "", /^[0-9a-f]{64}$/);
});

Deno.test("describeBacktestData() and loadBacktestBars() agree across snapshot, store and meta-less Parquet", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bars = await readBars(FIXTURE, {
      start: T("2025-01-30T00:00Z"),
      end: T("2025-02-03T00:00Z"),
      symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
    });
    const store = join(dir, "store");
    await writeStore(bars, store);
    const bare = join(dir, "bare.parquet");
    await Deno.writeFile(bare, bars.writeParquet());
    const snap = join(dir, "snap.parquet");
    await writeSnapshot(bars, snap, { createdAt: 0 });
    const range = {
      start: T("2025-01-31T22:00Z"),
      end: T("2025-02-01T02:00Z"),
      assetIds: [ETH, BTC],
    };
    const loaded = [];
    for (const path of [store, bare, snap]) {
      const d = await describeBacktestData(path);
      assert.equal(d.first, T("2025-01-30T00:05Z"), path);
      assert.equal(d.last, T("2025-02-03T00:00Z"), path);
      assert.equal(d.barMs, 300_000, path);
      assert.deepEqual(
        d.symbols,
        ["binance::BTC_USDT", "binance::ETH_USDT", "binance::SOL_USDT"],
        path,
      );
      loaded.push(await loadBacktestBars(d, range));
    }
    assert.equal(loaded[0]?.height, 2 * 48, "4 hours of 2 assets, across a store month boundary");
    assert.ok(loaded[0]?.frameEqual(loaded[1] as typeof loaded[0]));
    assert.ok(loaded[0]?.frameEqual(loaded[2] as typeof loaded[0]));
    const prices = await loadBacktestPrices(await describeBacktestData(store), range);
    assert.deepEqual(prices.columns, [...PRICE_BAR_COLUMNS]);
    assert.equal(prices.height, 96);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("describeBacktestData() refuses a missing path and a snapshot that does not match its meta", async () => {
  await assert.rejects(
    describeBacktestData("no/such/data.parquet"),
    (e) => e instanceof DataError && /no such file/.test(e.message),
  );
  const dir = await Deno.makeTempDir();
  try {
    const copy = join(dir, "x.parquet");
    await Deno.copyFile(FIXTURE, copy);
    await Deno.copyFile(`${FIXTURE}.meta.json`, `${copy}.meta.json`);
    const bytes = await Deno.readFile(copy);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
    await Deno.writeFile(copy, bytes);
    await assert.rejects(describeBacktestData(copy), /does not match its meta file/);
    assert.equal((await describeBacktestData(copy, { verify: false })).symbols.length, 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
