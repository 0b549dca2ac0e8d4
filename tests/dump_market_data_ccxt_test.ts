/**
 * End-to-end tests of `dagtrade dump-market-data --exchange`: the real CLI in a subprocess, the
 * real ccxt client in it, against the exchange emulator started in this process on 127.0.0.1
 * (serving the fixture snapshot on a ReplayedClock held after the range, so every bar of the
 * range is closed and known).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import {
  listStorePartitions,
  monthShares,
  readBars,
  readSnapshot,
  readStore,
  RealClock,
  ReplayedClock,
} from "../lib/sim/mod.ts";
import { type ExchangeEmulator, startExchangeEmulator } from "../lib/sim/exchange_emulator/mod.ts";
import { FIXTURE_SNAPSHOT, ROOT, runCli } from "./_cli.ts";

const PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"];
const FULL = PAIRS.map((p) => `binance::${p.replace("/", "_")}`);
// Bar ends in (2025-01-06, 2025-02-17]: 12,096 5m bars per pair, 13 pages of 1000.
const START = Date.UTC(2025, 0, 6);
const END = Date.UTC(2025, 1, 17);
const BARS_PER_PAIR = (END - START) / 300_000;
const KLINES = "/api/v3/klines";
const VALUE_COLUMNS = [
  "timestamp",
  "start_timestamp",
  "asset_id",
  "full_symbol",
  "open",
  "high",
  "low",
  "close",
  "volume",
];

let _source: pl.DataFrame | undefined;

/** The fixture's bars of PAIRS (read once). */
async function sourceBars(): Promise<pl.DataFrame> {
  _source ??= (await readBars(FIXTURE_SNAPSHOT)).filter(
    FULL.map((fs) => pl.col("full_symbol").eq(pl.lit(fs))).reduce((a, b) => a.or(b)),
  );
  return _source;
}

/**
 * Runs `fn` with an emulator serving the whole fixture, its clock after the range end;
 * `slowKlinesMs` delays every klines answer by that much real time.
 */
async function withEmulator(
  fn: (emulator: ExchangeEmulator) => Promise<void>,
  options: { slowKlinesMs?: number } = {},
): Promise<void> {
  const bars = await readBars(FIXTURE_SNAPSHOT);
  const clock = new ReplayedClock(Date.UTC(2025, 1, 18));
  const slow = options.slowKlinesMs;
  const emulator = await startExchangeEmulator(bars, {
    clock,
    port: 0,
    latencyClock: new RealClock(),
    ...(slow === undefined
      ? {}
      : { faults: { rate: 1, kinds: ["latency"], latencyMs: slow, endpoints: [KLINES] } }),
  });
  try {
    await fn(emulator);
  } finally {
    await emulator.close();
  }
}

function dumpArgs(
  emulator: ExchangeEmulator | string,
  dst: string,
  extra: string[] = [],
): string[] {
  return [
    "dump-market-data",
    "--exchange",
    "binance",
    "--exchange-url",
    typeof emulator === "string" ? emulator : emulator.url,
    "--symbols",
    PAIRS.join(","),
    "--timeframe",
    "5m",
    "--start",
    "2025-01-06",
    "--end",
    "2025-02-17",
    "--page-limit",
    "1000",
    "--retry-delay",
    "50ms",
    "--dst",
    dst,
    ...extra,
  ];
}

/** Asserts that `bars` equal the source's bars exactly, except knowledge_timestamp. */
async function assertSameBars(bars: pl.DataFrame): Promise<void> {
  const source = await sourceBars();
  assert.equal(bars.height, PAIRS.length * BARS_PER_PAIR);
  assert.equal(source.height, bars.height);
  const a = bars.select(...VALUE_COLUMNS);
  const b = source.select(...VALUE_COLUMNS);
  assert.ok(a.frameEqual(b), "dumped bars differ from the source snapshot");
}

Deno.test("dump-market-data --exchange dumps 5 pairs × 13 pages equal to the emulator's source", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withEmulator(async (emulator) => {
      const dst = join(dir, "dump.parquet");
      const r = await runCli(dumpArgs(emulator, dst, ["--json"]));
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.rows, PAIRS.length * BARS_PER_PAIR);
      assert.equal(out.pages, PAIRS.length * 13);
      assert.equal(out.retries, 0);
      assert.equal(emulator.requestCount(KLINES), PAIRS.length * 13);
      const limits = emulator.requests().filter((q) => q.path === KLINES).map((q) =>
        q.params.limit
      );
      assert.deepEqual(limits.slice(0, 13), [...Array(12).fill("1000"), "96"]);
      const snap = await readSnapshot(dst);
      await assertSameBars(snap.bars);
      // knowledge_timestamp is the receipt time on the CLI's wall clock: after every bar end.
      const late = snap.bars.filter(pl.col("knowledge_timestamp").lt(pl.col("timestamp")));
      assert.equal(late.height, 0);
      assert.equal(snap.meta?.requested?.start, START);
      assert.deepEqual(snap.meta?.gaps, []);
      assert.equal(snap.meta?.source, `ccxt binance at ${emulator.url}`);
      assert.equal(snap.meta?.knowledgeDelayMs, undefined);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dump-market-data --exchange gives the same bars when 20% of requests fail", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withEmulator(async (emulator) => {
      emulator.setFaults({ rate: 0.2, kinds: ["429", "5xx", "drop"], seed: 7, retryAfterS: 1 });
      const dst = join(dir, "dump.csv.gz");
      const r = await runCli(dumpArgs(emulator, dst, ["--json"]));
      assert.equal(r.code, 0, r.stderr);
      const faults = emulator.requests().filter((q) => q.fault !== undefined);
      const kinds = new Set(faults.map((q) => q.fault));
      assert.ok(faults.length >= 8, `only ${faults.length} faults injected`);
      assert.deepEqual([...kinds].sort(), ["429", "5xx", "drop"]);
      // Every 429 and 5xx was retried by dagtrade; a dropped connection may instead be retried
      // by Deno's HTTP client itself (a request on a reused keep-alive connection closed before
      // any answer is resent once), unseen by ccxt.
      const out = JSON.parse(r.stdout);
      const answered = faults.filter((q) => q.fault !== "drop").length;
      assert.ok(out.retries >= answered && out.retries <= faults.length, `${out.retries} retries`);
      assert.equal(out.requests, 1 + out.pages + out.retries);
      assert.equal(out.pages, PAIRS.length * 13);
      // Each kind was retried; a 429 waited the Retry-After (1 s), longer than the 50 ms backoff.
      assert.match(
        r.stderr,
        /retry \d+\/8 in 1s: .*rate limited by the exchange \(Retry-After 1s\)/,
      );
      assert.match(r.stderr, /retry \d+\/8 in [\d.]+s: .*exchange unavailable/);
      assert.match(r.stderr, /retry \d+\/8 in [\d.]+s: .*network error/);
      await assertSameBars((await readSnapshot(dst)).bars);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dump-market-data --exchange into a store killed half-way resumes with only the missing months", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withEmulator(async (emulator) => {
      const dst = join(dir, "store");
      // Klines answers are slowed (30 ms each), which leaves time to kill the dump once a few
      // month partitions exist.
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, "main.ts"), ...dumpArgs(emulator, dst, ["--quiet"])],
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let present = 0;
      for (let i = 0; i < 2000 && present < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        present = await listStorePartitions(dst).then((p) => p.length, () => 0);
      }
      child.kill("SIGKILL");
      const status = await child.status;
      assert.equal(status.success, false, "the dump finished before it could be killed");
      const kept = await listStorePartitions(dst);
      assert.ok(kept.length >= 3 && kept.length < 2 * PAIRS.length, `${kept.length} partitions`);
      // The requests the missing (pair, month) partitions need: ceil(bars / 1000) each.
      const have = new Set(kept.map((p) => `${p.assetId}/${p.year}/${p.month}`));
      const source = await sourceBars();
      const assetIds = source.select("asset_id", "full_symbol").unique();
      const idOf = new Map(
        (assetIds.getColumn("full_symbol").toArray() as string[]).map((fs, i) => [
          fs,
          Number(assetIds.getColumn("asset_id").toArray()[i]),
        ]),
      );
      let needed = 0;
      for (const fs of FULL) {
        for (const m of monthShares({ start: START, end: END })) {
          if (have.has(`${idOf.get(fs)}/${m.year}/${m.month}`)) continue;
          needed += Math.ceil(Math.round((m.share.end - m.share.start) / 300_000) / 1000);
        }
      }
      emulator.setFaults(undefined);
      const before = emulator.requestCount(KLINES);
      const r = await runCli(dumpArgs(emulator, dst, ["--json"]));
      assert.equal(r.code, 0, r.stderr);
      const second = emulator.requestCount(KLINES) - before;
      assert.ok(second > 0, "the rerun fetched nothing");
      assert.ok(
        second <= needed,
        `the rerun made ${second} klines requests, the missing months need ${needed}`,
      );
      const out = JSON.parse(r.stdout);
      assert.equal(
        out.months.filter((m: { status: string }) => m.status === "complete").length,
        kept.length,
      );
      await assertSameBars(await readStore(dst));
      // A third run fetches nothing.
      const third = await runCli(dumpArgs(emulator, dst, ["--json"]));
      assert.equal(third.code, 0, third.stderr);
      assert.equal(JSON.parse(third.stdout).pages, 0);
      assert.equal(emulator.requestCount(KLINES) - before, second);
    }, { slowKlinesMs: 30 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dump-market-data --exchange refuses bad requests with a clear message and exit code", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withEmulator(async (emulator) => {
      const dst = join(dir, "x.parquet");
      const unknown = await runCli(
        dumpArgs(emulator, dst).map((a) => a === PAIRS.join(",") ? "BTC/USDT,FOO/USDT" : a),
      );
      assert.equal(unknown.code, 2, unknown.stderr);
      assert.match(
        unknown.stderr,
        /^error: Unknown symbol 'FOO\/USDT' on binance \(8 markets\); e\.g\. ADA\/USDT, BNB\/USDT, .*; check --symbols\n$/,
      );
      const tf = await runCli(dumpArgs(emulator, dst).map((a) => a === "5m" ? "7m" : a));
      assert.equal(tf.code, 2, tf.stderr);
      assert.match(
        tf.stderr,
        /^error: Timeframe '7m' is not offered by binance; offered: 1s, 1m, /,
      );
      // 1m is a ccxt timeframe the emulator cannot serve from 5m bars: Binance's -1120.
      const fine = await runCli(dumpArgs(emulator, dst).map((a) => a === "5m" ? "1m" : a));
      assert.equal(fine.code, 2, fine.stderr);
      assert.match(
        fine.stderr,
        /^error: Cannot fetch binance BTC\/USDT 1m candles from 2025-01-06T00:00Z: the exchange rejected the request: .*Invalid interval/,
      );
      const order = await runCli(
        dumpArgs(emulator, dst).map((a) => a === "2025-02-17" ? "2025-01-01" : a),
      );
      assert.equal(order.code, 2);
      assert.equal(
        order.stderr,
        "error: --end 2025-01-01T00:00Z is not after --start 2025-01-06T00:00Z\n",
      );
      assert.equal(emulator.requestCount(KLINES), 1);
    });
    const down = await runCli(
      dumpArgs("http://127.0.0.1:9", join(dir, "y.parquet"), [
        "--max-retries",
        "2",
        "--retry-delay",
        "10ms",
      ]),
    );
    assert.equal(down.code, 1, down.stderr);
    assert.match(
      down.stderr,
      /error: Cannot load binance markets: gave up after 3 attempts \(--max-retries 2\); last error: network error: binance GET http:\/\/127\.0\.0\.1:9\/api\/v3\/exchangeInfo fetch failed/,
    );
    assert.equal((down.stderr.match(/^retry /gm) ?? []).length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dump-market-data refuses --exchange with --source, and ccxt options with --source", async () => {
  const both = await runCli([
    "dump-market-data",
    "--exchange",
    "binance",
    "--source",
    "freqtrade:fixtures/freqtrade/binance",
    "--dst",
    "x.parquet",
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--exchange and --source are exclusive/);
  const url = await runCli([
    "dump-market-data",
    "--source",
    "freqtrade:fixtures/freqtrade/binance",
    "--exchange-url",
    "http://127.0.0.1:9",
    "--dst",
    "x.parquet",
  ]);
  assert.equal(url.code, 2);
  assert.match(url.stderr, /--exchange-url applies to --exchange downloads only/);
  const none = await runCli(["dump-market-data", "--dst", "x.parquet"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Missing the source: give --exchange <id>/);
});
