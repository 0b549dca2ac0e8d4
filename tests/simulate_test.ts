/** End-to-end tests of `dagtrade simulate`: each runs the real CLI as a subprocess. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import pl from "nodejs-polars";
import postgres from "postgres";
import {
  dumpTables,
  type OmsTablesDump,
  PostgresOmsDatabase,
  SqliteOmsDatabase,
} from "../lib/oms/db/mod.ts";
import { FIXTURE_SNAPSHOT, ROOT, runCli } from "./_cli.ts";

const PG_URL = Deno.env.get("DAGTRADE_TEST_PG_URL") || undefined;
const THREE = ["--symbols", "BTC/USDT,ETH/USDT,SOL/USDT"];
const WINDOW = ["--data", FIXTURE_SNAPSHOT, "--start", "2025-01-08", "--end", "2025-01-09T12:00"];

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `dagtrade <command> <args> --json --quiet` and returns the parsed stdout. */
async function json(command: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli([command, ...args, "--json", "--quiet"]);
  assert.equal(r.code, 0, `${command} ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function floats(df: pl.DataFrame, name: string): Float64Array {
  return df.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array;
}

/** |a − b| ≤ 1e-9 × max(|a|, |b|), or both NaN. */
function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function assertSameSeries(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(close(a[i] as number, b[i] as number), `${what} row ${i}: ${a[i]} vs ${b[i]}`);
  }
}

const CASES = [
  { dag: "sma_cross", money: ["--style", "signal", "--sizing", "equity"] },
  { dag: "cross_sectional", money: ["--style", "cross_sectional", "--sizing", "gmv"] },
] as const;

for (const { dag, money } of CASES) {
  Deno.test(`simulate and backtest give the same per-bar holdings and PnL: ${dag} (close, next_open, twap)`, async () => {
    await inTemp(async (dir) => {
      for (const fill of ["close", "next_open", "twap"]) {
        const args = [
          "--dag",
          dag,
          ...WINDOW,
          ...THREE,
          ...money,
          "--fill",
          fill,
          "--fee-bps",
          "10",
          "--initial-cash",
          "10000",
        ];
        const sim = join(dir, `sim_${fill}`);
        const bt = join(dir, `bt_${fill}`);
        const [simStats, btStats] = await Promise.all([
          json("simulate", [...args, "--dst-dir", sim]),
          json("backtest", [...args, "--dst-dir", bt]),
        ]);
        // The same statistics object, with the same keys.
        assert.deepEqual(Object.keys(simStats), Object.keys(btStats));
        assert.equal(simStats.bars, 432);
        assert.ok((btStats.num_trades as number) > 20, `${dag}/${fill} trades`);
        for (const [key, value] of Object.entries(btStats)) {
          const mine = simStats[key];
          if (typeof value === "number" && typeof mine === "number") {
            assert.ok(close(mine, value), `${dag}/${fill} ${key}: ${mine} vs ${value}`);
          } else {
            assert.deepEqual(mine, value, `${dag}/${fill} ${key}`);
          }
        }
        // Per bar: the portfolio statistics against backtest's metrics.
        const s = pl.readParquet(join(sim, "process_forecasts/portfolio/statistics.parquet"));
        const m = pl.readParquet(join(bt, "portfolio/metrics.parquet"));
        assert.deepEqual(s.columns, m.columns);
        assert.deepEqual(floats(s, "timestamp"), floats(m, "timestamp"));
        for (const column of m.columns.slice(1)) {
          assertSameSeries(floats(s, column), floats(m, column), `${dag}/${fill} ${column}`);
        }
        // Per asset and bar: holdings and pnl.
        const p = pl.readParquet(join(sim, "process_forecasts/portfolio/positions.parquet"));
        const q = pl.readParquet(join(bt, "portfolio/positions.parquet"));
        assert.deepEqual(floats(p, "asset_id"), floats(q, "asset_id"));
        assert.deepEqual(floats(p, "timestamp"), floats(q, "timestamp"));
        for (const column of ["holdings_shares", "holdings_notional", "pnl", "fees"]) {
          assertSameSeries(floats(p, column), floats(q, column), `${dag}/${fill} ${column}`);
        }
        const held = pl.readParquet(
          join(sim, "process_forecasts/portfolio/holdings_shares.parquet"),
        );
        assertSameSeries(
          floats(held, "holdings_shares"),
          floats(q, "holdings_shares"),
          "holdings file",
        );
      }
    });
  });
}

const OUTPUTS = [
  "process_forecasts/portfolio/statistics.parquet",
  "process_forecasts/portfolio/positions.parquet",
  "process_forecasts/portfolio/holdings_shares.parquet",
  "process_forecasts/portfolio/holdings_notional.parquet",
  "process_forecasts/portfolio/executed_trades_shares.parquet",
  "process_forecasts/portfolio/executed_trades_notional.parquet",
  "process_forecasts/target_positions.parquet",
  "process_forecasts/orders.parquet",
  "process_forecasts/fills.parquet",
  "dag/forecasts.parquet",
  "stats.json",
];

Deno.test("simulate: two runs produce byte-identical portfolio outputs", async () => {
  await inTemp(async (dir) => {
    const args = [
      "--dag",
      "sma_cross",
      "--data",
      FIXTURE_SNAPSHOT,
      "--start",
      "2025-01-08",
      "--end",
      "2025-01-09",
      ...THREE,
      "--sizing",
      "equity",
      "--fee-bps",
      "10",
      "--knowledge-delay",
      "20s",
    ];
    await json("simulate", [...args, "--dst-dir", join(dir, "a")]);
    await json("simulate", [...args, "--dst-dir", join(dir, "b")]);
    for (const rel of OUTPUTS) {
      const a = await Deno.readFile(join(dir, "a", rel));
      const b = await Deno.readFile(join(dir, "b", rel));
      assert.ok(a.length > 0, rel);
      assert.deepEqual(a, b, `${rel} differs between the two runs`);
    }
    const run = JSON.parse(await Deno.readTextFile(join(dir, "a", "run.json")));
    assert.equal(run.status, "completed");
    assert.equal(run.knowledge_delay_ms, 20_000);
  });
});

Deno.test({
  name:
    "simulate: the SQLite and PostgreSQL backends give identical order, fill and position tables",
  ignore: PG_URL === undefined,
  fn: async () => {
    const url = PG_URL as string;
    const schema = `dagtrade_test_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    await inTemp(async (dir) => {
      const args = [
        "--dag",
        "sma_cross",
        "--data",
        FIXTURE_SNAPSHOT,
        "--start",
        "2025-01-08",
        "--end",
        "2025-01-08T12:00",
        ...THREE,
        "--sizing",
        "equity",
        "--fee-bps",
        "10",
        "--run-id",
        "sim-pg-vs-sqlite",
      ];
      try {
        await json("simulate", [...args, "--dst-dir", join(dir, "sqlite")]);
        const pgUrl = `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
        await json("simulate", [...args, "--db", pgUrl, "--dst-dir", join(dir, "pg")]);
        await assert.rejects(Deno.stat(join(dir, "pg", "oms.sqlite")), Deno.errors.NotFound);
        const lite = await SqliteOmsDatabase.open(join(dir, "sqlite", "oms.sqlite"));
        const pg = await PostgresOmsDatabase.open(url, { schema });
        let a: OmsTablesDump;
        let b: OmsTablesDump;
        try {
          a = await dumpTables(lite, "sim-pg-vs-sqlite");
          b = await dumpTables(pg, "sim-pg-vs-sqlite");
        } finally {
          await lite.close();
          await pg.close();
        }
        assert.ok(a.orders.length > 50 && a.fills.length > 10 && a.positions.length === 3);
        assert.equal(a.run?.status, "completed");
        assert.deepEqual(b, a);
      } finally {
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await sql.end();
      }
    });
  },
});

/**
 * Starts a simulate of 2025-01-08 .. `end` (3 assets) and waits until `bars` bars are
 * streamed; paced at 100 ms per bar unless `end` is given (then event-driven).
 */
async function startRun(dir: string, bars: number, end?: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "main.ts"),
      "simulate",
      "--dag",
      "sma_cross",
      "--data",
      FIXTURE_SNAPSHOT,
      "--start",
      "2025-01-08",
      "--end",
      end ?? "2025-01-09",
      ...THREE,
      "--sizing",
      "equity",
      ...(end === undefined ? ["--speed", "3000"] : []),
      "--quiet",
      "--dst-dir",
      dir,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stats = join(dir, "process_forecasts/portfolio/statistics.csv");
  for (let i = 0; i < 600; i++) {
    const text = await Deno.readTextFile(stats).catch(() => "");
    if (text.split("\n").length > bars + 1) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  await child.output();
  throw new Error(`simulate did not stream ${bars} bars in 30 s`);
}

Deno.test("simulate killed with SIGKILL: run.json not completed, every fully written bar readable", async () => {
  await inTemp(async (dir) => {
    const child = await startRun(dir, 8);
    child.kill("SIGKILL");
    const out = await child.output();
    assert.notEqual(out.code, 0);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assert.equal(run.status, "running");
    // The streams: every bar with a statistics line has all its rows in the other streams.
    const stats = pl.readCSV(join(dir, "process_forecasts/portfolio/statistics.csv"));
    const n = stats.height;
    assert.ok(n >= 8 && n < 288, `${n} bars streamed`);
    const bars = stats.getColumn("timestamp").toArray() as string[];
    const last = bars[n - 1] as string;
    const complete = (file: string, column: string, perBar?: number) => {
      const df = pl.readCSV(join(dir, file));
      const times = df.getColumn(column).toArray() as string[];
      const within = times.filter((t) => t <= last);
      if (perBar !== undefined) assert.equal(within.length, n * perBar, file);
      for (const t of bars) assert.ok(within.includes(t), `${file} has bar ${t}`);
    };
    complete("process_forecasts/portfolio/positions.csv", "timestamp", 3);
    complete("process_forecasts/target_positions.csv", "timestamp", 3);
    complete("dag/forecasts.csv", "timestamp", 3);
    complete("market_data/bars.csv", "timestamp");
    const fills = pl.readCSV(join(dir, "process_forecasts/fills.csv"));
    assert.ok(fills.height >= 1);
    await assert.rejects(
      Deno.stat(join(dir, "process_forecasts/portfolio/statistics.parquet")),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("simulate stopped with SIGINT: status interrupted, exit 130, outputs consolidated", async () => {
  await inTemp(async (dir) => {
    const child = await startRun(dir, 5);
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 130, stderr);
    assert.match(stderr, /interrupted after \d+ of 288 bars/);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assert.equal(run.status, "interrupted");
    const stats = pl.readParquet(join(dir, "process_forecasts/portfolio/statistics.parquet"));
    assert.equal(stats.height, run.bars_processed);
    assert.ok(stats.height >= 5 && stats.height < 288);
    const positions = pl.readParquet(join(dir, "process_forecasts/portfolio/positions.parquet"));
    assert.equal(positions.height, stats.height * 3);
    const summary = JSON.parse(await Deno.readTextFile(join(dir, "stats.json")));
    assert.equal(summary.bars, stats.height);
    await assert.rejects(
      Deno.stat(join(dir, "process_forecasts/portfolio/statistics.csv")),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("simulate: SIGINT also stops an event-driven replay (which never sleeps) after the bar in flight", async () => {
  await inTemp(async (dir) => {
    const child = await startRun(dir, 100, "2025-02-16");
    child.kill("SIGINT");
    const out = await child.output();
    assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
    const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assert.equal(run.status, "interrupted");
    assert.ok(run.bars_processed >= 100 && run.bars_processed < run.bars_total);
    const stats = pl.readParquet(join(dir, "process_forecasts/portfolio/statistics.parquet"));
    assert.equal(stats.height, run.bars_processed);
  });
});

Deno.test("simulate: bad input is refused with a clear message and exit 2", async () => {
  await inTemp(async (dir) => {
    const base = ["simulate", "--dag", "sma_cross", "--data", FIXTURE_SNAPSHOT, ...THREE];
    const cases: [string[], RegExp][] = [
      // The snapshot does not cover the range.
      [["--start", "2025-02-10", "--end", "2025-03-01"], /data ends at 2025-02-17T00:00Z/],
      // Not enough history before the start for the model's lookback.
      [["--start", "2025-01-06T03:00", "--end", "2025-01-07"], /warm-up.*lookback is 150 bars/],
      // A model whose lookback exceeds the data.
      [
        ["--start", "2025-01-10", "--end", "2025-01-11", "--set", "dag.volatility.window=20000"],
        /lookback is 20050 bars/,
      ],
      [["--start", "2025-01-10", "--end", "2025-01-11", "--bogus"], /unknown option '--bogus'/],
      [["--start", "2025-01-10", "--end", "2025-01-11", "--speed", "0"], /--speed/],
      [
        ["--start", "2025-01-10", "--end", "2025-01-11", "--knowledge-delay", "10x"],
        /--knowledge-delay/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...base, ...args, "--dst-dir", join(dir, "x")]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace without --verbose");
    }
    const missing = await runCli([
      "simulate",
      "--dag",
      "sma_cross",
      "--data",
      join(dir, "nope.parquet"),
      "--start",
      "2025-01-10",
      "--end",
      "2025-01-11",
      "--dst-dir",
      join(dir, "y"),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.parquet/);
    const help = await runCli(["simulate", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--knowledge-delay/);
  });
});
