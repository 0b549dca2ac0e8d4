import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { importFreqtradeDir } from "./freqtrade_import.ts";
import { DataError, UsageError } from "../errors/mod.ts";

const OPEN0 = Date.UTC(2025, 0, 3, 10, 0);
const BAR = 300_000;

/** freqtrade candles: open time, o, h, l, c, v. */
function candles(n: number, base: number, openMs = OPEN0, barMs = BAR): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const o = base + i;
    return [openMs + i * barMs, o, o + 2, o - 1, o + 1, 100 + i];
  });
}

function featherOf(rows: number[][]): Uint8Array {
  const col = (j: number) => new Float64Array(rows.map((r) => r[j] as number));
  return pl.DataFrame([
    pl.Series("date", col(0)).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")).cast(
      pl.Datetime("ns", "UTC"),
    ),
    pl.Series("open", col(1)),
    pl.Series("high", col(2)),
    pl.Series("low", col(3)),
    pl.Series("close", col(4)),
    pl.Series("volume", col(5)),
  ]).writeIPC();
}

async function withFixture(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "BTC_USDT-5m.feather"), featherOf(candles(6, 100)));
    await Deno.writeTextFile(join(dir, "ETH_USDT-5m.json"), JSON.stringify(candles(6, 10)));
    // The feather file of a pair wins over its json file.
    await Deno.writeTextFile(join(dir, "BTC_USDT-5m.json"), JSON.stringify(candles(6, 5000)));
    await Deno.writeFile(join(dir, "BTC_USDT_USDT-5m-futures.feather"), featherOf(candles(2, 1)));
    await Deno.writeTextFile(join(dir, "notes.txt"), "ignored");
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("importFreqtradeDir() converts candle open times to bar ends", async () => {
  await withFixture(async (dir) => {
    const { bars, timeframe, symbols } = await importFreqtradeDir(dir, { knowledgeDelayMs: 2000 });
    assert.equal(timeframe, "5m");
    assert.deepEqual(symbols, ["binance::BTC_USDT", "binance::ETH_USDT"]);
    assert.equal(bars.height, 12);
    const first = bars.head(2);
    const ms = (
      c: string,
    ) => [...(first.getColumn(c).cast(pl.Float64).toTypedArray() as Float64Array)];
    assert.deepEqual(ms("timestamp"), [OPEN0 + BAR, OPEN0 + BAR]);
    assert.deepEqual(ms("start_timestamp"), [OPEN0, OPEN0]);
    assert.deepEqual(ms("knowledge_timestamp"), [OPEN0 + BAR + 2000, OPEN0 + BAR + 2000]);
    assert.deepEqual(first.getColumn("full_symbol").toArray(), [
      "binance::ETH_USDT",
      "binance::BTC_USDT",
    ]);
    assert.deepEqual(first.getColumn("asset_id").toArray().map(Number), [1464553467, 1467591036]);
    assert.deepEqual(first.getColumn("open").toArray(), [10, 100]);
    assert.deepEqual(bars.schema.timestamp, pl.Datetime("ms", "UTC"));
  });
});

Deno.test("importFreqtradeDir() selects symbols, range and exchange", async () => {
  await withFixture(async (dir) => {
    const { bars, symbols } = await importFreqtradeDir(dir, {
      exchange: "binanceus",
      symbols: ["eth/usdt"],
      start: OPEN0 + BAR, // (start, end] on bar ends: drops the first bar
      end: OPEN0 + 4 * BAR,
      timeframe: "5m",
    });
    assert.deepEqual(symbols, ["binanceus::ETH_USDT"]);
    assert.equal(bars.height, 3);
    assert.deepEqual(bars.getColumn("close").toArray(), [12, 13, 14]);
  });
});

Deno.test("importFreqtradeDir() names the files found when a symbol has none", async () => {
  await withFixture(async (dir) => {
    await assert.rejects(importFreqtradeDir(dir, { symbols: ["SOL/USDT"] }), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(
        e.message,
        `Cannot import 'SOL/USDT' from ${dir}: no 5m freqtrade file for it (expected SOL_USDT-5m.feather); ` +
          "files found: BTC_USDT-5m.feather, BTC_USDT-5m.json, ETH_USDT-5m.json",
      );
      return true;
    });
  });
});

Deno.test("importFreqtradeDir() asks for a timeframe when several are present", async () => {
  await withFixture(async (dir) => {
    await Deno.writeFile(
      join(dir, "BTC_USDT-1h.feather"),
      featherOf(candles(3, 100, OPEN0, 3_600_000)),
    );
    await assert.rejects(importFreqtradeDir(dir), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /several timeframes found \((5m, 1h|1h, 5m)\)/);
      return true;
    });
    const hourly = await importFreqtradeDir(dir, { timeframe: "1h" });
    assert.equal(hourly.bars.height, 3);
    assert.deepEqual(hourly.symbols, ["binance::BTC_USDT"]);
  });
});

Deno.test("importFreqtradeDir() rejects empty directories and bad candles", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      importFreqtradeDir(dir),
      /no candle files named like BTC_USDT-5m\.feather/,
    );
    await assert.rejects(importFreqtradeDir(join(dir, "none")), /directory not found/);
    const rows = candles(3, 100);
    (rows[1] as number[])[2] = 50; // high below low
    const path = join(dir, "BTC_USDT-5m.json");
    await Deno.writeTextFile(path, JSON.stringify(rows));
    await assert.rejects(importFreqtradeDir(dir), {
      name: "DataError",
      message:
        `Cannot import freqtrade file ${path}: row 2025-01-03T10:10Z binance::BTC_USDT: high < low`,
    });
    await Deno.writeTextFile(path, "[[1, 2]]");
    await assert.rejects(
      importFreqtradeDir(dir),
      /candle 0 is not \[time, open, high, low, close, volume\]/,
    );
    await Deno.remove(path);
    await Deno.writeFile(join(dir, "BTC_USDT-5m.feather"), new TextEncoder().encode("not arrow"));
    await assert.rejects(importFreqtradeDir(dir), /not a readable Feather \(Arrow IPC\) file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const SHARED = new URL("../../../shared/data/binance_spot_5m", import.meta.url).pathname;
const hasShared = (() => {
  try {
    return Deno.statSync(`${SHARED}/BTC_USDT-5m.feather`).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "importFreqtradeDir() reads freqtrade's real download-data files",
  ignore: !hasShared,
  fn: async () => {
    const { bars, symbols } = await importFreqtradeDir(SHARED, { symbols: ["BTC/USDT"] });
    assert.deepEqual(symbols, ["binance::BTC_USDT"]);
    assert.ok(bars.height >= 119_752);
    const first = bars.getColumn("timestamp").cast(pl.Float64).toTypedArray()[0];
    assert.equal(first, Date.UTC(2024, 11, 31, 0, 5));
  },
});
