import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { FrameMarketData } from "./frame_market_data.ts";
import type { Clock } from "./clock.ts";
import {
  ConfigError,
  DataError,
  FuturePeekingError,
  InterruptedError,
  TimeoutError,
  UsageError,
} from "../errors/mod.ts";

const MIN = 60_000;
const BAR = 5 * MIN;
/** Bar end of the first test bar: 2025-01-03T10:05Z. */
const T0 = Date.UTC(2025, 0, 3, 10, 5);
const BTC = 1467591036;
const ADA = 3303714233;
const SYMBOLS = new Map([[BTC, "binance::BTC_USDT"], [ADA, "binance::ADA_USDT"]]);

/** A manual clock: `sleepUntil(t)` jumps `now` to `t` at once and records the wake-up. */
class ManualClock implements Clock {
  t: number;
  readonly sleeps: number[] = [];
  constructor(t: number) {
    this.t = t;
  }
  now(): number {
    return this.t;
  }
  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new InterruptedError("sleep aborted"));
    this.sleeps.push(t);
    if (t > this.t) this.t = t;
    return Promise.resolve();
  }
}

interface Row {
  ts: number;
  id: number;
  o?: number;
  h?: number;
  l?: number;
  c: number;
  v?: number;
  /** Knowledge lag after the bar end, ms. Default: 10 s. */
  lag?: number;
}

function times(name: string, values: number[]): pl.Series {
  return pl.Series(name, new Float64Array(values)).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}

/** Builds a bars frame (DESIGN §3) from rows, in the given order. */
function makeBars(rows: Row[]): pl.DataFrame {
  const f = (g: (r: Row) => number) => new Float64Array(rows.map(g));
  return pl.DataFrame([
    times("timestamp", rows.map((r) => r.ts)),
    times("start_timestamp", rows.map((r) => r.ts - BAR)),
    pl.Series("asset_id", f((r) => r.id)).cast(pl.Int64),
    pl.Series("full_symbol", rows.map((r) => SYMBOLS.get(r.id) ?? `binance::X${r.id}_USDT`)),
    pl.Series("open", f((r) => r.o ?? r.c)),
    pl.Series("high", f((r) => r.h ?? r.c)),
    pl.Series("low", f((r) => r.l ?? r.c)),
    pl.Series("close", f((r) => r.c)),
    pl.Series("volume", f((r) => r.v ?? 1)),
    times("knowledge_timestamp", rows.map((r) => r.ts + (r.lag ?? 10_000))),
  ]);
}

/** Three bars (T0, T0+5m, T0+10m) for BTC and ADA, knowledge 10 s after the bar end. */
function threeBars(): Row[] {
  const rows: Row[] = [];
  for (let b = 0; b < 3; b++) {
    rows.push({ ts: T0 + b * BAR, id: BTC, c: 100 + b });
    rows.push({ ts: T0 + b * BAR, id: ADA, c: 1 + b / 10 });
  }
  return rows;
}

function keys(df: pl.DataFrame): string[] {
  const ts = df.getColumn("timestamp").cast(pl.Float64).toArray() as number[];
  const ids = df.getColumn("asset_id").toArray() as (number | bigint)[];
  return ts.map((t, i) => `${(t - T0) / MIN}m:${Number(ids[i])}`);
}

Deno.test("FrameMarketData.getData() hides a row until knowledge_timestamp + delay", () => {
  const bars = makeBars([{ ts: T0, id: BTC, c: 100, lag: 10_000 }]);
  const clock = new ManualClock(T0 + 9_999);
  const md = new FrameMarketData(bars, clock, { barMs: BAR });
  assert.equal(md.getData(T0 - BAR, T0).height, 0);
  assert.equal(md.lastKnownBarEnd(), undefined);
  clock.t = T0 + 10_000;
  assert.deepEqual(keys(md.getData(T0 - BAR, T0)), [`0m:${BTC}`]);
  assert.equal(md.lastKnownBarEnd(), T0);

  const delayed = new FrameMarketData(bars, clock, { barMs: BAR, delayMs: MIN });
  assert.equal(delayed.getData(T0 - BAR, T0).height, 0);
  assert.equal(delayed.lastPrice(T0).size, 0);
  clock.t = T0 + 10_000 + MIN - 1;
  assert.equal(delayed.getData(T0 - BAR, T0).height, 0);
  clock.t = T0 + 10_000 + MIN;
  assert.equal(delayed.getData(T0 - BAR, T0).height, 1);
  assert.equal(delayed.lastKnownBarEnd(), T0);
});

Deno.test("FrameMarketData queries past now() throw FuturePeekingError", () => {
  const clock = new ManualClock(T0 + MIN);
  const md = new FrameMarketData(makeBars(threeBars()), clock, { barMs: BAR });
  assert.throws(
    () => md.getData(T0, T0 + BAR),
    (e: unknown) =>
      e instanceof FuturePeekingError && e.message.includes("2025-01-03T10:10Z") &&
      e.message.includes("2025-01-03T10:06Z"),
  );
  assert.throws(() => md.lastPrice(T0 + BAR), FuturePeekingError);
  assert.throws(() => md.twapPrice(T0, T0 + BAR), FuturePeekingError);
  assert.throws(() => md.vwapPrice(T0, T0 + BAR), FuturePeekingError);
  // Up to now itself is allowed.
  assert.equal(md.getData(T0 - BAR, T0 + MIN).height, 2);
});

Deno.test("FrameMarketData.getData() returns exactly the window (start, end]", () => {
  const clock = new ManualClock(T0 + 3 * BAR);
  const md = new FrameMarketData(makeBars(threeBars()), clock, { barMs: BAR });
  assert.deepEqual(
    keys(md.getData(T0, T0 + 2 * BAR)),
    [
      `5m:${BTC}`,
      `5m:${ADA}`,
      `10m:${BTC}`,
      `10m:${ADA}`,
    ].sort((a, b) => sortKey(a) - sortKey(b)),
  );
  assert.equal(md.getData(T0, T0 + BAR).height, 2);
  assert.equal(md.getData(T0 - 1, T0).height, 2);
  assert.equal(md.getData(T0, T0).height, 0);
  assert.equal(md.getData(T0 + 2 * BAR, T0 + 3 * BAR).height, 0);
  assert.throws(() => md.getData(T0 + BAR, T0), UsageError);
  // Every column of the frame is kept.
  assert.deepEqual(md.getData(T0 - BAR, T0).columns, makeBars(threeBars()).columns);
});

/** Orders `"<minutes>m:<id>"` keys by (timestamp, asset_id). */
function sortKey(key: string): number {
  const [m, id] = key.split("m:");
  return Number(m) * 1e10 + Number(id);
}

Deno.test("FrameMarketData.getData() drops unknown rows inside the window", () => {
  const rows = threeBars();
  // BTC's last bar arrives late; ADA's on time: the known rows are not contiguous.
  rows[4] = { ...rows[4] as Row, lag: 2 * MIN };
  const clock = new ManualClock(T0 + 2 * BAR + MIN);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR });
  const expected = [`0m:${BTC}`, `0m:${ADA}`, `5m:${BTC}`, `5m:${ADA}`, `10m:${ADA}`].sort((a, b) =>
    sortKey(a) - sortKey(b)
  );
  assert.deepEqual(keys(md.getData(T0 - BAR, T0 + 2 * BAR)), expected);
  clock.t = T0 + 2 * BAR + 2 * MIN;
  assert.equal(md.getData(T0 - BAR, T0 + 2 * BAR).height, 6);
});

Deno.test("FrameMarketData.getDataForLastBars() answers the last n known bars", () => {
  const clock = new ManualClock(T0 - 1);
  const md = new FrameMarketData(makeBars(threeBars()), clock, { barMs: BAR });
  assert.equal(md.getDataForLastBars(2).height, 0);
  clock.t = T0 + 2 * BAR + 5_000; // the third bar is not known yet
  assert.equal(md.lastKnownBarEnd(), T0 + BAR);
  const last2 = md.getDataForLastBars(2);
  assert.deepEqual(
    keys(last2),
    [`0m:${BTC}`, `0m:${ADA}`, `5m:${BTC}`, `5m:${ADA}`].sort((a, b) => sortKey(a) - sortKey(b)),
  );
  assert.equal(md.getDataForLastBars(1, { assetIds: [BTC] }).height, 1);
  clock.t = T0 + 2 * BAR + 10_000;
  assert.equal(md.getDataForLastBars(1).height, 2);
  assert.equal(md.getDataForLastBars(100).height, 6);
  assert.throws(() => md.getDataForLastBars(0), UsageError);
  assert.throws(() => md.getDataForLastBars(1.5), UsageError);
});

Deno.test("FrameMarketData.waitForLatestData() returns at the bar's knowledge time", async () => {
  const rows = threeBars();
  rows[5] = { ...rows[5] as Row, lag: 30_000 }; // ADA's third bar known 30 s after its end
  const clock = new ManualClock(T0 + 2 * BAR);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR, delayMs: 1_000 });
  await md.waitForLatestData(T0 + 2 * BAR);
  assert.equal(clock.now(), T0 + 2 * BAR + 31_000);
  assert.deepEqual(clock.sleeps, [T0 + 2 * BAR + 31_000]);
  // Already known: no sleep.
  await md.waitForLatestData(T0 + BAR);
  assert.equal(clock.sleeps.length, 1);
  assert.equal(clock.now(), T0 + 2 * BAR + 31_000);
});

Deno.test("FrameMarketData.waitForLatestData() waits only for assets present at a gap", async () => {
  const rows = threeBars().filter((r) => !(r.ts === T0 + 2 * BAR && r.id === ADA));
  const clock = new ManualClock(T0 + 2 * BAR);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR });
  await md.waitForLatestData(T0 + 2 * BAR);
  assert.equal(clock.now(), T0 + 2 * BAR + 10_000);
});

Deno.test("FrameMarketData.waitForLatestData() times out on a missing bar", async () => {
  const clock = new ManualClock(T0 + 3 * BAR);
  const md = new FrameMarketData(makeBars(threeBars()), clock, { barMs: BAR });
  await assert.rejects(
    () => md.waitForLatestData(T0 + 3 * BAR, { timeoutMs: 900_000 }),
    (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.match(
        e.message,
        /^Timed out after 900s waiting for bar 2025-01-03T10:20Z \(known up to 2025-01-03T10:15Z/,
      );
      return true;
    },
  );
  assert.equal(clock.now(), T0 + 3 * BAR + 900_000);
  // A bar that arrives after the timeout also times out, at the deadline.
  const late = makeBars([{ ts: T0, id: BTC, c: 1, lag: 20 * MIN }]);
  const clock2 = new ManualClock(T0);
  const md2 = new FrameMarketData(late, clock2, { barMs: BAR });
  await assert.rejects(() => md2.waitForLatestData(T0), TimeoutError); // default 3 bars
  assert.equal(clock2.now(), T0 + 3 * BAR);
  await assert.rejects(
    () => md2.waitForLatestData(T0, { signal: AbortSignal.abort() }),
    InterruptedError,
  );
  await assert.rejects(() => md2.waitForLatestData(T0, { pollMs: 0 }), UsageError);
});

Deno.test("FrameMarketData.lastPrice() takes each asset's latest known close", () => {
  const rows = threeBars();
  rows[4] = { ...rows[4] as Row, lag: 2 * MIN }; // BTC's third bar arrives late
  const clock = new ManualClock(T0 + 2 * BAR + MIN);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR });
  assert.deepEqual(md.lastPrice(T0 + 2 * BAR), new Map([[BTC, 101], [ADA, 1.2]]));
  assert.deepEqual(md.lastPrice(T0 + BAR), new Map([[BTC, 101], [ADA, 1.1]]));
  assert.deepEqual(md.lastPrice(T0 + BAR - 1), new Map([[BTC, 100], [ADA, 1]]));
  assert.deepEqual(md.lastPrice(T0 - 1), new Map());
  assert.deepEqual(md.lastPrice(T0 + 2 * BAR, { assetIds: [BTC] }), new Map([[BTC, 101]]));
  clock.t = T0 + 2 * BAR + 2 * MIN;
  assert.deepEqual(md.lastPrice(T0 + 2 * BAR), new Map([[BTC, 102], [ADA, 1.2]]));
});

Deno.test("FrameMarketData.twapPrice() and vwapPrice() match hand computations", () => {
  const rows: Row[] = [
    { ts: T0, id: BTC, o: 10, h: 14, l: 8, c: 12, v: 1 }, // typical 11
    { ts: T0, id: ADA, o: 1, h: 1, l: 1, c: 1, v: 0 }, // typical 1
    { ts: T0 + BAR, id: BTC, o: 12, h: 22, l: 10, c: 20, v: 3 }, // typical 16
    { ts: T0 + BAR, id: ADA, o: 3, h: 3, l: 3, c: 3, v: 0 }, // typical 3
    { ts: T0 + 2 * BAR, id: BTC, o: 20, h: 20, l: 20, c: 20, v: 5, lag: 10 * MIN },
  ];
  const clock = new ManualClock(T0 + 2 * BAR + MIN);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR });
  // The third BTC bar is not known yet: excluded.
  assert.deepEqual(md.twapPrice(T0 - BAR, T0 + 2 * BAR), new Map([[BTC, 13.5], [ADA, 2]]));
  // VWAP: (11·1 + 16·3) / 4 = 14.75; ADA has no volume: falls back to the TWAP.
  assert.deepEqual(md.vwapPrice(T0 - BAR, T0 + 2 * BAR), new Map([[BTC, 14.75], [ADA, 2]]));
  // (start, end]: the bar ending at start is excluded.
  assert.deepEqual(md.twapPrice(T0, T0 + BAR), new Map([[BTC, 16], [ADA, 3]]));
  assert.deepEqual(md.vwapPrice(T0, T0 + BAR, { assetIds: [ADA] }), new Map([[ADA, 3]]));
  assert.deepEqual(md.twapPrice(T0 + BAR, T0 + 2 * BAR), new Map());
  clock.t = T0 + 2 * BAR + 10 * MIN;
  assert.deepEqual(md.vwapPrice(T0 - BAR, T0 + 2 * BAR).get(BTC), (11 + 48 + 100) / 9);
});

Deno.test("FrameMarketData filters to an asset subset and rejects unknown assets", () => {
  const clock = new ManualClock(T0 + 3 * BAR);
  const md = new FrameMarketData(makeBars(threeBars()), clock, { barMs: BAR });
  assert.deepEqual(keys(md.getData(T0 - BAR, T0 + 2 * BAR, { assetIds: [ADA] })), [
    `0m:${ADA}`,
    `5m:${ADA}`,
    `10m:${ADA}`,
  ]);
  assert.equal(md.getData(T0 - BAR, T0 + 2 * BAR, { assetIds: [ADA, BTC] }).height, 6);
  assert.equal(md.getData(T0 - BAR, T0 + 2 * BAR, { assetIds: [] }).height, 0);
  assert.throws(
    () => md.getData(T0 - BAR, T0, { assetIds: [42] }),
    (e: unknown) => e instanceof ConfigError && e.message.includes("Asset id 42"),
  );
  assert.throws(() => md.lastPrice(T0, { assetIds: [42] }), ConfigError);
});

Deno.test("FrameMarketData sorts unsorted input and indexes assets", () => {
  const rows = threeBars().reverse();
  const clock = new ManualClock(T0 + 3 * BAR);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR });
  assert.deepEqual(md.assetIds(), [BTC, ADA].sort((a, b) => a - b));
  assert.deepEqual(md.fullSymbols(), SYMBOLS);
  const all = keys(md.getData(T0 - BAR, T0 + 2 * BAR));
  assert.deepEqual(all, [...all].sort((a, b) => sortKey(a) - sortKey(b)));
  assert.equal(all.length, 6);
  assert.deepEqual(md.lastPrice(T0 + 2 * BAR), new Map([[BTC, 102], [ADA, 1.2]]));
});

Deno.test("new FrameMarketData() rejects malformed frames and options", () => {
  const clock = new ManualClock(T0);
  const dup = threeBars();
  dup.push({ ts: T0, id: BTC, c: 5 });
  assert.throws(
    () => new FrameMarketData(makeBars(dup), clock, { barMs: BAR }),
    (e: unknown) => e instanceof DataError && e.message.includes("binance::BTC_USDT"),
  );
  assert.throws(
    () =>
      new FrameMarketData(makeBars([{ ts: T0, id: BTC, c: 1, lag: -1 }]), clock, { barMs: BAR }),
    (e: unknown) => e instanceof DataError && e.message.includes("knowledge_timestamp"),
  );
  assert.throws(
    () => new FrameMarketData(makeBars(threeBars()).drop("volume"), clock, { barMs: BAR }),
    (e: unknown) => e instanceof DataError && e.message.includes("volume"),
  );
  assert.throws(() => new FrameMarketData(makeBars(threeBars()), clock, { barMs: 0 }), UsageError);
  assert.throws(
    () => new FrameMarketData(makeBars(threeBars()), clock, { barMs: BAR, delayMs: -1 }),
    UsageError,
  );
  const empty = new FrameMarketData(makeBars([]), clock, { barMs: BAR });
  assert.equal(empty.getData(T0 - BAR, T0).height, 0);
  assert.equal(empty.lastKnownBarEnd(), undefined);
  assert.deepEqual(empty.assetIds(), []);
});

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("FrameMarketData agrees with a brute-force reference on irregular knowledge", () => {
  const rand = rng(7);
  const ids = [11, 22, 33];
  const rows: Row[] = [];
  const nBars = 700; // several index blocks per asset
  for (let b = 0; b < nBars; b++) {
    for (const id of ids) {
      if (rand() < 0.05) continue; // gaps
      // Mostly prompt, sometimes hours late, and long late stretches for assets 22 and 33.
      const late = (id === 22 && b > 100 && b < 600) || (id === 33 && b > 250 && b < 650) ||
        rand() < 0.03;
      rows.push({ ts: T0 + b * BAR, id, c: b + id / 100, v: rand(), lag: late ? 1e9 : 10_000 });
    }
  }
  const clock = new ManualClock(T0);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR, delayMs: 2_000 });
  const known = (r: Row, now: number) => r.ts + (r.lag ?? 10_000) + 2_000 <= now;
  for (let trial = 0; trial < 100; trial++) {
    const now = T0 + Math.floor(rand() * (nBars + 5) * BAR);
    clock.t = now;
    const end = now - Math.floor(rand() * 50 * BAR);
    const start = end - Math.floor(rand() * 80 * BAR);
    const visible = rows.filter((r) => known(r, now));
    const lastEnd = visible.reduce<number | undefined>(
      (m, r) => Math.max(m ?? r.ts, r.ts),
      undefined,
    );
    assert.equal(md.lastKnownBarEnd(), lastEnd, `trial ${trial}`);
    const inWindow = visible.filter((r) => r.ts > start && r.ts <= end);
    assert.equal(md.getData(start, end).height, inWindow.length, `trial ${trial}`);
    assert.equal(
      md.getData(start, end, { assetIds: [22] }).height,
      inWindow.filter((r) => r.id === 22).length,
    );
    const last = new Map<number, number>();
    for (const r of visible) if (r.ts <= end) last.set(r.id, r.c); // rows are in time order
    assert.deepEqual(md.lastPrice(end), new Map([...last].sort((a, b) => a[0] - b[0])));
    const twap = md.twapPrice(start, end);
    for (const id of ids) {
      const mine = inWindow.filter((r) => r.id === id);
      if (mine.length === 0) assert.equal(twap.has(id), false);
      else {
        const mean = mine.reduce((s, r) => s + r.c, 0) / mine.length;
        assert.ok(Math.abs((twap.get(id) as number) - mean) < 1e-9);
      }
    }
  }
});

Deno.test("FrameMarketData.getColumns() answers getData()'s rows without a Polars call", () => {
  const rows = threeBars();
  rows[4] = { ...rows[4] as Row, lag: 2 * MIN }; // known rows not contiguous
  const clock = new ManualClock(T0 + 2 * BAR + MIN);
  const md = new FrameMarketData(makeBars(rows), clock, { barMs: BAR });
  for (
    const [start, end, assetIds] of [
      [T0 - BAR, T0 + 2 * BAR, undefined],
      [T0, T0 + BAR, undefined],
      [T0 - BAR, T0 + 2 * BAR, [ADA]],
      [T0 + 2 * BAR, T0 + 2 * BAR, undefined],
    ] as const
  ) {
    const options = assetIds === undefined ? {} : { assetIds: [...assetIds] };
    const expected = md.getData(start, end, options);
    const got = md.getColumns(start, end, options);
    assert.equal(got.height, expected.height);
    assert.ok(got.toPolars().frameEqual(expected, true), `(${start}, ${end}] ${assetIds}`);
  }
  assert.throws(() => md.getColumns(T0, T0 + 3 * BAR), FuturePeekingError);
  assert.throws(() => md.getColumns(T0, T0, { assetIds: [42] }), ConfigError);
});
