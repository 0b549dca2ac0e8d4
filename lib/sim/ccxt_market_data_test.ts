import assert from "node:assert/strict";
import { join } from "node:path";
import ccxt from "ccxt";
import pl from "nodejs-polars";
import { ConfigError, DataError, FuturePeekingError, TimeoutError } from "../errors/mod.ts";
import { assetIdOf } from "./asset_id.ts";
import {
  CcxtMarketData,
  type CcxtMarketDataOptions,
  MarketDataTimeoutError,
  readReceivedBars,
} from "./ccxt_market_data.ts";
import { ReplayedClock } from "./replayed_clock.ts";
import {
  emulatorCcxtOptions,
  type ExchangeEmulator,
  startExchangeEmulator,
} from "./exchange_emulator/mod.ts";
import { _Bar, _barsFrame, _M5, _T0 } from "./exchange_emulator/_test_helpers.ts";

const BTC = "binance::BTC_USDT";
const ETH = "binance::ETH_USDT";

/** 20 bars per symbol ending at _T0 + 5m … _T0 + 100m, known 10 s after their end. */
function venueBars(options: { lateEnd?: number; gapEnd?: number } = {}): _Bar[] {
  const out: _Bar[] = [];
  for (let k = 1; k <= 20; k++) {
    const end = _T0 + k * _M5;
    out.push({ end, o: 100 + k, h: 102 + k, l: 99 + k, c: 101 + k, v: 10 + k });
    if (end === options.gapEnd) continue;
    out.push({
      symbol: ETH,
      end,
      o: 50 + k,
      h: 52 + k,
      l: 49 + k,
      c: 50.5 + k,
      v: 5 + k,
      delay: end === options.lateEnd ? 600_000 : 10_000,
    });
  }
  return out;
}

async function withMarketData(
  fn: (ctx: {
    md: CcxtMarketData;
    clock: ReplayedClock;
    emulator: ExchangeEmulator;
    snapshot: pl.DataFrame;
    runDir: string;
  }) => Promise<void>,
  options: {
    bars?: _Bar[];
    start?: number;
    md?: Partial<CcxtMarketDataOptions>;
  } = {},
): Promise<void> {
  const clock = new ReplayedClock(options.start ?? _T0 + 10 * _M5 + 30_000);
  const snapshot = _barsFrame(options.bars ?? venueBars());
  const emulator = await startExchangeEmulator(snapshot, { clock });
  const runDir = await Deno.makeTempDir({ prefix: "dagtrade_ccxt_md_" });
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    const md = await CcxtMarketData.create(exchange, {
      clock,
      symbols: ["BTC/USDT", ETH],
      timeframe: "5m",
      warmupBars: 5,
      runDir,
      retry: { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 2_000 },
      ...options.md,
    });
    await fn({ md, clock, emulator, snapshot, runDir });
  } finally {
    await emulator.close();
    await Deno.remove(runDir, { recursive: true });
  }
}

function ms(df: pl.DataFrame, column: string): number[] {
  return [...(df.getColumn(column).cast(pl.Float64).toTypedArray() as Float64Array)];
}

Deno.test("CcxtMarketData.waitForLatestData() polls at bar boundaries and stamps the receipt time", async () => {
  await withMarketData(async ({ md, clock, snapshot, runDir }) => {
    const ends = [11, 12, 13].map((k) => _T0 + k * _M5);
    const returned = await clock.run(async () => {
      const out: number[] = [];
      for (const end of ends) {
        await md.waitForLatestData(end);
        out.push(clock.now());
      }
      return out;
    });
    // First poll at end + 2 s, then every 2 s: the emulator serves a bar 10 s after its end.
    assert.deepEqual(returned, ends.map((e) => e + 10_000));
    const got = md.getData(_T0, clock.now());
    const want = snapshot.filter(
      pl.col("timestamp").cast(pl.Float64).gt(pl.lit(_T0 + 6 * _M5))
        .and(pl.col("timestamp").cast(pl.Float64).ltEq(pl.lit(ends[2]!))),
    );
    // Warm-up: the 5 bars up to the first bar waited for (4 closed at the first poll).
    assert.equal(got.height, 2 * 7, "4 warm-up bars and 3 polled bars per symbol");
    for (const c of ["timestamp", "asset_id", "open", "high", "low", "close", "volume"]) {
      assert.deepEqual(ms(got, c), ms(want, c), c);
    }
    const firstPoll = ends[0]! + 2_000;
    assert.deepEqual(
      ms(got, "knowledge_timestamp"),
      ms(got, "timestamp").map((t) => t <= _T0 + 10 * _M5 ? firstPoll : t + 10_000),
      "warm-up bars known at the first poll, the others at their receipt",
    );
    assert.deepEqual(md.assetIds(), [assetIdOf(BTC), assetIdOf(ETH)].sort((a, b) => a - b));
    assert.equal(md.lastKnownBarEnd(), ends[2]);
    assert.equal(md.lastPrice(clock.now()).get(assetIdOf(BTC)), 101 + 13);
    // The persisted bars read back equal what was served.
    const path = join(runDir, "market_data", "bars.jsonl");
    const persisted = await readReceivedBars(path, { barMs: _M5 });
    assert.equal(persisted.height, got.height);
    assert.deepEqual(persisted.columns, got.columns);
    for (const c of persisted.columns) {
      if (c === "full_symbol") {
        assert.deepEqual(persisted.getColumn(c).toArray(), got.getColumn(c).toArray());
      } else assert.deepEqual(ms(persisted, c), ms(got, c), c);
    }
    await md.close();
    const parquet = pl.readParquet(join(runDir, "market_data", "bars.parquet"));
    assert.deepEqual(ms(parquet, "knowledge_timestamp"), ms(got, "knowledge_timestamp"));
  });
});

Deno.test("CcxtMarketData tells a late bar from an exchange that is down", async () => {
  const late = _T0 + 11 * _M5;
  await withMarketData(async ({ md, clock }) => {
    const error = await clock.run(() =>
      md.waitForLatestData(late, { timeoutMs: 60_000 }).then(() => undefined, (e) => e)
    );
    assert.ok(error instanceof MarketDataTimeoutError && error instanceof TimeoutError);
    assert.equal(error.reason, "late");
    assert.match(
      error.message,
      /^Bar 2025-01-03T10:55Z of binance::ETH_USDT is late: the exchange answered at 2025-01-03T10:55:55Z but its last closed bar is 2025-01-03T10:50Z \(after waiting 60s/,
    );
    assert.equal(clock.now(), late - 5_000 + 60_000, "it polled until the timeout");
  }, { bars: venueBars({ lateEnd: late }), start: late - 5_000 });

  await withMarketData(async ({ md, clock, emulator }) => {
    await clock.run(() => md.waitForLatestData(_T0 + 11 * _M5));
    emulator.setFaults({ rate: 1, kinds: ["5xx"], endpoints: ["/api/v3/klines"] });
    const error = await clock.run(() =>
      md.waitForLatestData(_T0 + 12 * _M5, { timeoutMs: _M5 }).then(() => undefined, (e) => e)
    );
    assert.ok(error instanceof MarketDataTimeoutError);
    assert.equal(error.reason, "down");
    assert.match(error.message, /^Exchange binance is down: .*exchange unavailable/);
    assert.match(error.message, /its last answer was at 2025-01-03T10:55:10Z/);
    emulator.setFaults(undefined);
    await clock.run(() => md.waitForLatestData(_T0 + 12 * _M5));
    assert.equal(md.lastKnownBarEnd(), _T0 + 12 * _M5, "it recovers when the exchange does");
  });
});

Deno.test("CcxtMarketData does not wait for a symbol whose later bar shows a gap", async () => {
  const gap = _T0 + 11 * _M5;
  await withMarketData(async ({ md, clock }) => {
    await clock.run(() => md.waitForLatestData(gap, { timeoutMs: 15 * 60_000 }));
    assert.equal(clock.now(), gap + _M5 + 10_000, "ETH's next bar shows the gap");
    const eth = md.getData(gap - _M5, gap, { assetIds: [assetIdOf(ETH)] });
    assert.deepEqual(ms(eth, "timestamp"), [], "no ETH row at the gap");
  }, { bars: venueBars({ gapEnd: gap }) });
});

Deno.test("CcxtMarketData answers queries like FrameMarketData before and after the first poll", async () => {
  await withMarketData(async ({ md, clock }) => {
    assert.equal(md.lastKnownBarEnd(), undefined);
    assert.equal(md.getData(_T0, clock.now()).height, 0);
    assert.equal(md.getData(_T0, clock.now(), { assetIds: [assetIdOf(BTC)] }).height, 0);
    assert.deepEqual(md.lastPrice(clock.now()), new Map());
    assert.throws(() => md.getData(_T0, clock.now() + 1), FuturePeekingError);
    assert.throws(() => md.lastPrice(clock.now(), { assetIds: [42] }), ConfigError);
    const result = await clock.run(() => md.poll());
    assert.deepEqual(result, { bars: 10, failed: [] });
    const btc = assetIdOf(BTC);
    const last = _T0 + 10 * _M5;
    assert.equal(md.getDataForLastBars(2).height, 4);
    assert.equal(md.twapPrice(last - _M5, last).get(btc), (110 + 112 + 109 + 111) / 4);
    assert.equal(md.vwapPrice(last - 2 * _M5, last).get(btc), (109.5 * 19 + 110.5 * 20) / 39);
    assert.equal((await clock.run(() => md.poll())).bars, 0, "nothing new");
  });
});

Deno.test("readReceivedBars() skips a truncated last line and names a bad one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "bars.jsonl");
    const row = {
      timestamp: _T0,
      start_timestamp: _T0 - _M5,
      asset_id: assetIdOf(BTC),
      full_symbol: BTC,
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 3,
      knowledge_timestamp: _T0 + 1_000,
    };
    await Deno.writeTextFile(path, JSON.stringify(row) + "\n" + JSON.stringify(row).slice(0, 30));
    const bars = await readReceivedBars(path);
    assert.equal(bars.height, 1);
    await Deno.writeTextFile(path, "{oops\n" + JSON.stringify(row) + "\n");
    await assert.rejects(
      readReceivedBars(path),
      (e: unknown) => e instanceof DataError && /line 1 is not JSON/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CcxtMarketData.create() refuses an unknown symbol at once", async () => {
  const clock = new ReplayedClock(_T0);
  const emulator = await startExchangeEmulator(_barsFrame(venueBars()), { clock });
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    await assert.rejects(
      CcxtMarketData.create(exchange, { clock, symbols: ["DOGE/USDT"], timeframe: "5m" }),
      DataError,
    );
  } finally {
    await emulator.close();
  }
});
