import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { BrokerError, UsageError } from "../errors/mod.ts";
import { CcxtOhlcvFetcher } from "./ccxt_ohlcv_fetcher.ts";
import { dumpOhlcv, type DumpProgress } from "./dump_ohlcv.ts";
import { readSnapshot } from "./snapshot.ts";
import { listStorePartitions, readStore } from "./store.ts";
import { _fakeCandle, _FakeOhlcvExchange, _SleepRecordingClock } from "./_fake_ohlcv_exchange.ts";

const BAR = 300_000;
const NOW = Date.UTC(2025, 5, 1);
const range = { start: Date.UTC(2025, 0, 20), end: Date.UTC(2025, 1, 10) };
const barsPerPair = (range.end - range.start) / BAR; // 6048

function fetcherOf(ex: _FakeOhlcvExchange, pageLimit = 1000) {
  return new CcxtOhlcvFetcher(ex, {
    clock: new _SleepRecordingClock(NOW),
    timeframe: "5m",
    pageLimit,
    retry: { maxRetries: 0 },
  });
}

function column(df: pl.DataFrame, c: string): number[] {
  return [...(df.getColumn(c).cast(pl.Float64).toTypedArray() as Float64Array)];
}

Deno.test("dumpOhlcv() writes a snapshot of every pair over the range, with meta", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ex = new _FakeOhlcvExchange();
    const dst = join(dir, "x.parquet");
    const progress: DumpProgress[] = [];
    const out = await dumpOhlcv(fetcherOf(ex), {
      dst,
      symbols: ["BTC/USDT", "ETH/USDT"],
      range,
      clock: new _SleepRecordingClock(NOW),
      onProgress: (p) => progress.push(p),
    });
    assert.equal(out.kind, "snapshot");
    assert.equal(out.pages, 14);
    assert.equal(ex.fetches, 14);
    assert.equal(progress.length, 14);
    assert.deepEqual(progress.at(-1), {
      pages: 14,
      expectedPages: 14,
      bars: 2 * barsPerPair,
      symbol: "ETH/USDT",
    });
    assert.equal(out.fetchedBars, 2 * barsPerPair);
    const snap = await readSnapshot(dst);
    assert.equal(snap.bars.height, 2 * barsPerPair);
    assert.deepEqual(snap.meta?.requested, range);
    assert.deepEqual(snap.meta?.gaps, []);
    assert.equal(snap.meta?.source, "ccxt binance");
    assert.equal(snap.meta?.createdAt, NOW);
    const btc = snap.bars.filter(pl.col("full_symbol").eq(pl.lit("binance::BTC_USDT")));
    const ts = column(btc, "timestamp");
    assert.equal(ts[0], range.start + BAR);
    assert.equal(ts.at(-1), range.end);
    assert.deepEqual(column(btc, "close").slice(0, 2), [
      _fakeCandle("BTC/USDT", range.start)[4],
      _fakeCandle("BTC/USDT", range.start + BAR)[4],
    ]);
    assert.ok(column(btc, "knowledge_timestamp").every((k) => k === NOW));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dumpOhlcv() reports the gaps of the range in the snapshot meta", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ex = new _FakeOhlcvExchange({
      symbols: { "BTC/USDT": Date.UTC(2025, 0, 25) },
      missing: [Date.UTC(2025, 0, 30)],
    });
    const out = await dumpOhlcv(fetcherOf(ex), {
      dst: join(dir, "x.csv.gz"),
      symbols: ["BTC/USDT"],
      range,
      clock: new _SleepRecordingClock(NOW),
      knowledgeDelayMs: 10_000,
    });
    assert.deepEqual(out.gaps.map((g) => [g.from, g.to]), [
      [range.start + BAR, Date.UTC(2025, 0, 25)],
      [Date.UTC(2025, 0, 30) + BAR, Date.UTC(2025, 0, 30) + BAR],
    ]);
    assert.equal(out.meta?.knowledgeDelayMs, 10_000);
    const k = column(out.bars, "knowledge_timestamp");
    const t = column(out.bars, "timestamp");
    assert.ok(k.every((v, i) => v === (t[i] as number) + 10_000));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dumpOhlcv() into a store writes month partitions and a rerun fetches nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dst = join(dir, "store");
    const ex = new _FakeOhlcvExchange();
    const opts = {
      dst,
      symbols: ["BTC/USDT", "ETH/USDT"],
      range,
      clock: new _SleepRecordingClock(NOW),
    };
    const first = await dumpOhlcv(fetcherOf(ex), opts);
    assert.equal(first.kind, "store");
    assert.equal(first.partitionsWritten, 4);
    assert.equal(first.pages, 14);
    assert.equal(first.bars.height, 2 * barsPerPair);
    assert.deepEqual(first.gaps, []);
    assert.equal((await listStorePartitions(dst)).length, 4);
    const ex2 = new _FakeOhlcvExchange();
    const second = await dumpOhlcv(fetcherOf(ex2), opts);
    assert.equal(ex2.fetches, 0);
    assert.equal(second.partitionsWritten, 0);
    assert.ok(second.months.every((m) => m.status === "complete"));
    assert.equal(second.bars.height, 2 * barsPerPair);
    // Extending the range fetches only the new bars.
    const ex3 = new _FakeOhlcvExchange();
    const third = await dumpOhlcv(fetcherOf(ex3), {
      ...opts,
      range: { start: range.start, end: range.end + 100 * BAR },
    });
    assert.equal(ex3.fetches, 2);
    assert.deepEqual(
      ex3.calls.filter((c) => c.method === "fetchOHLCV").map((c) => [c.since, c.limit]),
      [[range.end, 100], [range.end, 100]],
    );
    assert.equal(third.bars.height, 2 * (barsPerPair + 100));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dumpOhlcv() into a store writes each month once fetched, so a failed dump resumes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dst = join(dir, "store");
    const opts = {
      dst,
      symbols: ["BTC/USDT", "ETH/USDT"],
      range,
      clock: new _SleepRecordingClock(NOW),
    };
    // January 20..31 is 3456 bars: with 1000-bar pages its last bar arrives on page 4;
    // the 6th request (page 5 of BTC) fails for good.
    const ex = new _FakeOhlcvExchange();
    ex.failures.push(...[1, 2, 3, 4, 5].map(() => undefined), new Error("boom"));
    await assert.rejects(dumpOhlcv(fetcherOf(ex), opts), BrokerError);
    const parts = await listStorePartitions(dst);
    assert.deepEqual(parts.map((p) => [p.year, p.month]), [[2025, 1]]);
    const jan = await readStore(dst);
    assert.equal(jan.height, (Date.UTC(2025, 1, 1) - 1 - range.start) / BAR | 0);
    // The rerun fetches BTC from February on, and ETH whole.
    const ex2 = new _FakeOhlcvExchange();
    const out = await dumpOhlcv(fetcherOf(ex2), opts);
    const since = ex2.calls.filter((c) => c.method === "fetchOHLCV").map((c) => c.since);
    assert.equal(since[0], Date.UTC(2025, 0, 31, 23, 55));
    assert.equal(ex2.fetches, 3 + 7);
    assert.equal(out.bars.height, 2 * barsPerPair);
    assert.deepEqual(out.gaps, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dumpOhlcv() refuses an empty range", async () => {
  await assert.rejects(
    dumpOhlcv(fetcherOf(new _FakeOhlcvExchange()), {
      dst: "x.parquet",
      symbols: ["BTC/USDT"],
      range: { start: range.end, end: range.start },
      clock: new _SleepRecordingClock(NOW),
    }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "The end 2025-01-20T00:00Z is not after the start 2025-02-10T00:00Z",
  );
});
