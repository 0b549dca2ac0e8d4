import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURE_FREQTRADE, FIXTURE_SNAPSHOT, runCli } from "./_cli.ts";
import denoJson from "../deno.json" with { type: "json" };

Deno.test("dagtrade --help lists every registered command", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  for (const name of ["dump-market-data", "inspect-data"]) {
    assert.match(r.stdout, new RegExp(`\\n  ${name} `));
  }
  assert.match(r.stdout, /Exit codes/);
});

Deno.test("dagtrade --version prints the deno.json version", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `dagtrade ${denoJson.version}`);
});

Deno.test("dagtrade with an unknown command exits 2 naming the known ones", async () => {
  const r = await runCli(["backtets"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown command 'backtets'; known commands: .*inspect-data/);
  assert.equal(r.stdout, "");
});

Deno.test("dagtrade <command> with an unknown option exits 2", async () => {
  const r = await runCli(["inspect-data", "--data", FIXTURE_SNAPSHOT, "--colour"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--colour'/);
});

Deno.test("dagtrade <command> --help prints options with defaults and examples", async () => {
  const r = await runCli(["dump-market-data", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--knowledge-delay <duration>.*default: 10s/);
  assert.match(r.stdout, /Examples:/);
});

Deno.test("inspect-data summarizes the fixture snapshot (text and --json)", async () => {
  const text = await runCli(["inspect-data", "--data", FIXTURE_SNAPSHOT]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /binance::BTC_USDT\s+1467591036\s+12096/);
  const json = await runCli([
    "inspect-data",
    "--data",
    FIXTURE_SNAPSHOT,
    "--symbols",
    "BTC/USDT,ETH/USDT",
    "--json",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.timeframe, "5m");
  assert.deepEqual(parsed.pairs.map((p: { full_symbol: string }) => p.full_symbol), [
    "binance::BTC_USDT",
    "binance::ETH_USDT",
  ]);
  assert.equal(parsed.rows, 2 * 12096);
  assert.equal(parsed.knowledge_delay_ms.min, 10_000);
});

Deno.test("inspect-data refuses a corrupt snapshot with file and reason, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const bad = join(dir, "bad.parquet");
  const bytes = await Deno.readFile(FIXTURE_SNAPSHOT);
  await Deno.writeFile(bad, bytes.subarray(0, 5000));
  const r = await runCli(["inspect-data", "--data", bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.parquet/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace without --verbose");
  const verbose = await runCli(["inspect-data", "--data", bad, "--verbose"]);
  assert.equal(verbose.code, 2);
  assert.match(verbose.stderr, /^\s+at /m, "--verbose prints the stack");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("inspect-data on a missing path exits 2 saying what was expected", async () => {
  const r = await runCli(["inspect-data", "--data", "no/such/file.parquet"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no\/such\/file\.parquet/);
});

Deno.test("dump-market-data imports a freqtrade directory into a snapshot and a store", async () => {
  const dir = await Deno.makeTempDir();
  const snap = join(dir, "ft.parquet");
  const r = await runCli([
    "dump-market-data",
    "--source",
    `freqtrade:${FIXTURE_FREQTRADE}`,
    "--symbols",
    "BTC/USDT,SOL/USDT",
    "--start",
    "2025-01-06T12:00Z",
    "--end",
    "2025-01-07",
    "--dst",
    snap,
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.rows, 2 * 144);
  assert.equal(summary.first, "2025-01-06T12:05:00.000Z");
  const meta = JSON.parse(await Deno.readTextFile(`${snap}.meta.json`));
  assert.equal(meta.rows, 288);
  assert.equal(meta.knowledge_delay_ms, 10_000);
  const store = join(dir, "store");
  const s = await runCli([
    "dump-market-data",
    "--source",
    `freqtrade:${FIXTURE_FREQTRADE}`,
    "--dst",
    store,
    "--quiet",
  ]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout, "");
  const back = await runCli(["inspect-data", "--data", store, "--json"]);
  assert.equal(JSON.parse(back.stdout).rows, 3 * 864);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("dump-market-data with end before start or an unknown source exits 2", async () => {
  const dir = await Deno.makeTempDir();
  const a = await runCli([
    "dump-market-data",
    "--source",
    `freqtrade:${FIXTURE_FREQTRADE}`,
    "--start",
    "2025-01-08",
    "--end",
    "2025-01-07",
    "--dst",
    join(dir, "x.parquet"),
  ]);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--end .* is not after --start/);
  const b = await runCli([
    "dump-market-data",
    "--source",
    "kraken:foo",
    "--dst",
    join(dir, "x.parquet"),
  ]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /Unsupported --source 'kraken:foo'/);
  const c = await runCli([
    "dump-market-data",
    "--source",
    `freqtrade:${FIXTURE_FREQTRADE}`,
    "--symbols",
    "ZZZ/USDT",
    "--dst",
    join(dir, "x.parquet"),
  ]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /ZZZ/);
  assert.deepEqual([...Deno.readDirSync(dir)], [], "no output left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("inspect-data refuses bad bars naming file, row and rule, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const header =
    "timestamp,start_timestamp,asset_id,full_symbol,open,high,low,close,volume,knowledge_timestamp";
  const row = (ts: string, start: string, high: string, kts: string) =>
    `${ts},${start},1467591036,binance::BTC_USDT,100,${high},99,101,5,${kts}`;
  const cases: [string, string[], RegExp][] = [
    ["high_lt_close.csv", [
      row("2025-01-03T10:05:00Z", "2025-01-03T10:00:00Z", "100.5", "2025-01-03T10:05:10Z"),
    ], /high < close/],
    ["knowledge.csv", [
      row("2025-01-03T10:05:00Z", "2025-01-03T10:00:00Z", "102", "2025-01-03T10:04:00Z"),
    ], /knowledge/],
    [
      "duplicate.csv",
      [
        row("2025-01-03T10:05:00Z", "2025-01-03T10:00:00Z", "102", "2025-01-03T10:05:10Z"),
        row("2025-01-03T10:05:00Z", "2025-01-03T10:00:00Z", "102", "2025-01-03T10:05:10Z"),
      ],
      /duplicate/,
    ],
  ];
  for (const [name, rows, rule] of cases) {
    const path = join(dir, name);
    await Deno.writeTextFile(path, [header, ...rows].join("\n") + "\n");
    const r = await runCli(["inspect-data", "--data", path]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`Cannot load snapshot .*${name}: row 2025-01-03T10:05Z binance::BTC_USDT: `),
    );
    assert.match(r.stderr, rule);
  }
  await Deno.remove(dir, { recursive: true });
});
