/**
 * End-to-end tests of `dagtrade run-prod`: each runs the real CLI as a subprocess against an
 * exchange emulator in this process — a real-clock paper run on 1-second bars, a clean stop on
 * SIGTERM, and a prod run killed with SIGKILL mid-run then restarted on the same run directory
 * (on the emulator's replayed time, `--clock exchange`). Every file the runs write, and their
 * stdout and stderr, are searched for the API key and secret.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { SqliteOmsDatabase } from "../lib/oms/db/mod.ts";
import {
  assetIdOf,
  BAR_COLUMNS,
  type Clock,
  type ExchangeEmulator,
  type ExchangeEmulatorOptions,
  readBars,
  RealClock,
  startExchangeEmulator,
} from "../lib/sim/mod.ts";
import { ScaledClock } from "../lib/system/mod.ts";
import { type CliResult, FIXTURE_SNAPSHOT, ROOT } from "./_cli.ts";

const KEY = "E2EKEY-5b1f0c77a2d94e31";
const SECRET = "E2ESECRET-c8d2e6f0a4b97135de";

/** Starts `dagtrade run-prod <args>` as a subprocess. */
function spawnRunProd(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "run-prod", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function collect(child: Deno.ChildProcess): Promise<CliResult> {
  const out = await child.output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function runRunProd(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return await collect(spawnRunProd(args, env));
}

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dagtrade_run_prod_cli_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesUnder(path));
    else out.push(path);
  }
  return out;
}

async function assertNoSecrets(root: string, outputs: CliResult[]): Promise<void> {
  const texts: [string, string][] = outputs.flatMap((r, i) => [
    [`stdout ${i}`, r.stdout],
    [`stderr ${i}`, r.stderr],
  ]);
  for (const file of await filesUnder(root)) {
    texts.push([file, new TextDecoder().decode(await Deno.readFile(file))]);
  }
  assert.ok(texts.length > 20);
  for (const [where, text] of texts) {
    assert.ok(!text.includes(KEY), `the API key is in ${where}`);
    assert.ok(!text.includes(SECRET), `the secret is in ${where}`);
  }
}

/** The one run directory under a production root. */
async function runDirUnder(root: string): Promise<string> {
  const dirs = (await filesUnder(root)).filter((f) => f.endsWith("/run.json"));
  assert.equal(dirs.length, 1, dirs.join(", "));
  return (dirs[0] as string).slice(0, -"/run.json".length);
}

/**
 * 1-second bars of BTC/USDT and ETH/USDT ending in (from, to] (seconds), known at their end,
 * with prices waving so that the SMA cross changes sides.
 */
function secondBars(from: number, to: number): pl.DataFrame {
  const rows: { symbol: string; end: number; c: number }[] = [];
  for (let t = from + 1_000; t <= to; t += 1_000) {
    const k = t / 1_000;
    rows.push({ symbol: "binance::BTC_USDT", end: t, c: 100 + 5 * Math.sin(k / 40) });
    rows.push({ symbol: "binance::ETH_USDT", end: t, c: 50 + 3 * Math.sin(k / 25 + 1) });
  }
  rows.sort((a, b) => a.end - b.end || assetIdOf(a.symbol) - assetIdOf(b.symbol));
  const f = (fn: (r: typeof rows[number]) => number) => Float64Array.from(rows, fn);
  const time = (name: string, v: Float64Array) =>
    pl.Series(name, v).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const close = f((r) => Math.round(r.c * 100) / 100);
  return pl.DataFrame([
    time("timestamp", f((r) => r.end)),
    time("start_timestamp", f((r) => r.end - 1_000)),
    pl.Series("asset_id", rows.map((r) => assetIdOf(r.symbol)), pl.Int64),
    pl.Series("full_symbol", rows.map((r) => r.symbol), pl.String),
    pl.Series("open", close),
    pl.Series("high", close.map((c) => c + 0.05)),
    pl.Series("low", close.map((c) => c - 0.05)),
    pl.Series("close", close),
    pl.Series("volume", new Float64Array(rows.length).fill(50)),
    time("knowledge_timestamp", f((r) => r.end)),
  ]).select(...BAR_COLUMNS);
}

async function withEmulator(
  bars: pl.DataFrame,
  clock: Clock,
  fn: (emulator: ExchangeEmulator) => Promise<void>,
  options: Partial<ExchangeEmulatorOptions> = {},
): Promise<void> {
  const emulator = await startExchangeEmulator(bars, {
    clock,
    balances: { USDT: 1_000_000 },
    apiKey: KEY,
    secret: SECRET,
    ...options,
  });
  try {
    await fn(emulator);
  } finally {
    await emulator.close();
  }
}

const FAST_1S = [
  "--timeframe",
  "1s",
  "--poll-delay",
  "150ms",
  "--set",
  "run_prod.poll_ms=100",
];

Deno.test("run-prod refuses prod without --confirm-live, without keys, or with an open key file (exit 2)", async () => {
  await inTemp(async (dir) => {
    const base = [
      "--dag",
      "sma_cross",
      "--symbols",
      "BTC/USDT",
      "--duration",
      "60",
      "--root",
      dir,
      "--exchange-url",
      "http://127.0.0.1:9",
    ];
    const noConfirm = await runRunProd(["--mode", "prod", ...base]);
    assert.equal(noConfirm.code, 2, noConfirm.stderr);
    assert.match(noConfirm.stderr, /--confirm-live/);
    const noKeys = await runRunProd(["--mode", "prod", "--confirm-live", ...base]);
    assert.equal(noKeys.code, 2, noKeys.stderr);
    assert.match(noKeys.stderr, /DAGTRADE_API_KEY and DAGTRADE_API_SECRET are not set/);
    const keyFile = join(dir, "keys.json");
    await Deno.writeTextFile(keyFile, JSON.stringify({ apiKey: KEY, secret: SECRET }));
    await Deno.chmod(keyFile, 0o644);
    const open = await runRunProd([
      "--mode",
      "prod",
      "--confirm-live",
      "--key-file",
      keyFile,
      ...base,
    ]);
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /readable by others \(mode 0644\); restrict it with 'chmod 600/);
    assert.ok(!open.stderr.includes(KEY) && !open.stderr.includes(SECRET));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["keys.json"], "nothing filed");
  });
});

Deno.test("run-prod paper on the real clock against the emulator's 1-second bars runs its duration and stops cleanly", async () => {
  const clock = new RealClock();
  const now = Math.floor(clock.now() / 1_000) * 1_000;
  await withEmulator(secondBars(now - 600_000, now + 120_000), clock, async (emulator) => {
    await inTemp(async (root) => {
      const r = await runRunProd([
        "--mode",
        "paper",
        "--dag",
        "sma_cross",
        "--symbols",
        "BTC/USDT,ETH/USDT",
        ...FAST_1S,
        "--duration",
        "4",
        "--root",
        root,
        "--exchange-url",
        emulator.url,
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.status, "completed");
      // Bars ending in (start, start + 4 s]: the first one may end while run-prod starts up.
      assert.ok(out.bars_processed === 4 || out.bars_processed === 3, `${out.bars_processed}`);
      const runDir = await runDirUnder(root);
      assert.match(
        runDir,
        /\/sma_cross\/paper\/manual\/\d{8}T\d{6}(\.\d{3})?Z\.\d{8}T\d{6}(\.\d{3})?Z\/system_log_dir$/,
      );
      const run = JSON.parse(await Deno.readTextFile(join(runDir, "run.json")));
      assert.equal(run.status, "completed");
      assert.equal(run.mode, "paper");
      assert.equal(run.bar, "1s");
      const stats = pl.readParquet(join(runDir, "process_forecasts/portfolio/statistics.parquet"));
      const ts = stats.getColumn("timestamp").cast(pl.Float64).toArray() as number[];
      const last = Date.parse(run.last_bar);
      // One bar a second up to the last (the last bar's pending orders are cancelled at the end).
      assert.deepEqual(ts, ts.map((_, k) => last - (ts.length - 1 - k) * 1_000));
      assert.equal(ts.length, out.bars_processed);
      assert.equal(emulator.requestCount("/api/v3/order"), 0, "paper sends no order");
      assert.ok(emulator.requestCount("/api/v3/klines") >= 8, "bars were polled live");
    });
  });
});

Deno.test("run-prod stops on SIGTERM within seconds: exit 0, status interrupted, outputs consolidated", async () => {
  const clock = new RealClock();
  const now = Math.floor(clock.now() / 1_000) * 1_000;
  await withEmulator(secondBars(now - 600_000, now + 600_000), clock, async (emulator) => {
    await inTemp(async (root) => {
      const child = spawnRunProd([
        "--mode",
        "paper",
        "--dag",
        "sma_cross",
        "--symbols",
        "BTC/USDT,ETH/USDT",
        ...FAST_1S,
        "--duration",
        "300",
        "--root",
        root,
        "--exchange-url",
        emulator.url,
      ]);
      const runDir = await waitForBars(root, 2);
      child.kill("SIGTERM");
      const r = await collect(child);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /INTERRUPTED/);
      const run = JSON.parse(await Deno.readTextFile(join(runDir, "run.json")));
      assert.equal(run.status, "interrupted");
      await Deno.stat(join(runDir, "process_forecasts/portfolio/statistics.parquet"));
      await Deno.stat(join(runDir, "stats.json"));
    });
  });
});

/** Waits (real time, polling) until the run under `root` has written `n` complete bars. */
async function waitForBars(root: string, n: number, timeoutMs = 60_000): Promise<string> {
  const clock = new RealClock();
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const dirs = (await filesUnder(root).catch(() => [] as string[])).filter((f) =>
      f.endsWith("/process_forecasts/portfolio/statistics.csv")
    );
    if (dirs.length === 1) {
      const text = await Deno.readTextFile(dirs[0] as string);
      if (text.trim().split("\n").length - 1 >= n) {
        return (dirs[0] as string).slice(0, -"/process_forecasts/portfolio/statistics.csv".length);
      }
    }
    if (clock.now() > deadline) throw new Error(`no ${n} bars under ${root} in ${timeoutMs} ms`);
    await clock.sleepUntil(clock.now() + 100);
  }
}

Deno.test("run-prod prod: kill -9 mid-run, then a restart on the same run directory recovers from the database and the exchange, without duplicate orders", async () => {
  // The emulator replays the fixture at 150x (one 5-minute bar every 2 s); run-prod follows its
  // time with --clock exchange --speed 150.
  const start = Date.UTC(2025, 0, 8);
  const speed = 150;
  const real = new RealClock();
  const clock = new ScaledClock({ base: real, start: start - 60_000, speed });
  const bars = (await readBars(FIXTURE_SNAPSHOT, {
    symbols: ["BTC/USDT", "ETH/USDT"],
    start: start - 2 * 86_400_000,
    end: start + 86_400_000,
  })).withColumns(pl.col("timestamp").alias("knowledge_timestamp"));
  await withEmulator(bars, clock, async (emulator) => {
    await inTemp(async (root) => {
      const keyFile = join(root, "keys.env");
      await Deno.writeTextFile(keyFile, `DAGTRADE_API_KEY=${KEY}\nDAGTRADE_API_SECRET=${SECRET}\n`);
      await Deno.chmod(keyFile, 0o600);
      const prodRoot = join(root, "prod");
      const args = [
        "--mode",
        "prod",
        "--confirm-live",
        "--dag",
        "sma_cross",
        "--symbols",
        "BTC/USDT,ETH/USDT",
        "--start",
        new Date(start).toISOString(),
        "--duration",
        "25m",
        "--root",
        prodRoot,
        "--exchange-url",
        emulator.url,
        "--clock",
        "exchange",
        "--speed",
        String(speed),
        "--poll-delay",
        "5s",
        "--set",
        "run_prod.passivity_factor=0.5",
        "--set",
        "run_prod.execution_freq_ms=100000",
      ];
      const first = spawnRunProd([...args, "--key-file", keyFile]);
      const runDir = await waitForBars(prodRoot, 3, 90_000);
      // Mid-bar: the children of the bar's parents rest on the exchange.
      await real.sleepUntil(real.now() + 800);
      first.kill("SIGKILL");
      const killed = await collect(first);
      assert.notEqual(killed.code, 0);
      const afterKill = JSON.parse(await Deno.readTextFile(join(runDir, "run.json")));
      assert.equal(afterKill.status, "running", "killed: no final state written");

      const second = await runRunProd(args, { DAGTRADE_API_KEY: KEY, DAGTRADE_API_SECRET: SECRET });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /session 2: COMPLETED/);
      const run = JSON.parse(await Deno.readTextFile(join(runDir, "run.json")));
      assert.equal(run.status, "completed");
      assert.equal(run.sessions.length, 2);
      assert.equal(run.startup_reconciliation.ok, true, JSON.stringify(run.startup_reconciliation));
      const log = await Deno.readTextFile(join(runDir, "log.txt"));
      assert.match(log, /took over the run lock of pid \d+/);
      assert.match(log, /recovery: \d+ order\(s\) left open by the earlier session resolved/);

      // The exchange's side: every client order id was created once.
      const posts = new Map<string, number>();
      for (const r of emulator.requests()) {
        if (r.method !== "POST" || r.path !== "/api/v3/order" || r.status !== 200) continue;
        const id = r.params.newClientOrderId ?? "";
        posts.set(id, (posts.get(id) ?? 0) + 1);
      }
      assert.ok(posts.size > 4, `children created: ${posts.size}`);
      for (const [id, n] of posts) assert.equal(n, 1, `client order id ${id} created ${n} times`);
      assert.deepEqual(emulator.engine.openOrders(), [], "nothing left resting");

      // The OMS database: one fill per order, nothing open, positions = the account.
      const db = await SqliteOmsDatabase.open(join(runDir, "oms.sqlite"));
      try {
        const runId = String(run.run_id);
        const fills = await db.listFills(runId);
        const perOrder = new Map<number, number>();
        for (const f of fills) perOrder.set(f.orderId, (perOrder.get(f.orderId) ?? 0) + 1);
        for (const [id, n] of perOrder) assert.equal(n, 1, `order ${id} has ${n} fills`);
        const orders = await db.listOrders(runId);
        assert.deepEqual(
          orders.filter((o) => o.state === "accepted" || o.state === "partially_filled"),
          [],
        );
        const ids = orders.map((o) => o.orderId);
        assert.equal(new Set(ids).size, ids.length, "order ids are unique across sessions");
        for (
          const [symbol, base] of [["binance::BTC_USDT", "BTC"], [
            "binance::ETH_USDT",
            "ETH",
          ]] as const
        ) {
          const held = fills.filter((f) => f.assetId === assetIdOf(symbol))
            .reduce((n, f) => n + f.shares, 0);
          const b = emulator.account.balance(base);
          assert.ok(Math.abs(held - (b.free + b.locked)) < 1e-9, `${base}: ${held} vs ${b.free}`);
        }
      } finally {
        await db.close();
      }
      await assertNoSecrets(prodRoot, [killed, second]);
    });
  });
});
