/** End-to-end tests of `dagtrade backtest`: each runs the real CLI as a subprocess. */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { FIXTURE_SNAPSHOT, ROOT, runCli } from "./_cli.ts";

const WINDOW = ["--data", FIXTURE_SNAPSHOT, "--start", "2025-01-06", "--end", "2025-01-27"];
const FIVE = ["--symbols", "BTC/USDT,ETH/USDT,SOL/USDT,XRP/USDT,ADA/USDT"];

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `dagtrade backtest <args> --json --quiet` and returns the parsed stdout. */
async function backtest(
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const r = await runCli(["backtest", ...args, "--json", "--quiet"], { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function assertSamePortfolio(a: string, b: string): void {
  for (const f of ["metrics", "positions"]) {
    const x = pl.readParquet(join(a, "portfolio", `${f}.parquet`));
    const y = pl.readParquet(join(b, "portfolio", `${f}.parquet`));
    assert.ok(x.height > 0);
    assert.ok(x.frameEqual(y, true), `portfolio/${f}.parquet differs between ${a} and ${b}`);
  }
}

/**
 * The cross-check model computed independently in plain JS: SMA10/SMA50 of the closes, long
 * (fully invested, fractional units, compounding) when SMA10 > SMA50 at a bar's close, else
 * flat; the trade at close(t) (`close`) or at open(t+1) (`next_open`), no fees; the last
 * position marked at the last close.
 */
function smaCrossWealth(
  open: Float64Array,
  close: Float64Array,
  fill: "close" | "next_open",
): number {
  const n = close.length;
  const mean = (t: number, w: number) => {
    if (t + 1 < w) return NaN;
    let s = 0;
    for (let i = t - w + 1; i <= t; i++) s += close[i] as number;
    return s / w;
  };
  let cash = 10_000;
  let units = 0;
  for (let t = 0; t < n; t++) {
    const decidedAt = fill === "close" ? t : t - 1;
    if (decidedAt < 0) continue;
    const long = mean(decidedAt, 10) > mean(decidedAt, 50);
    const price = (fill === "close" ? close[t] : open[t]) as number;
    if (long && units === 0) {
      units = cash / price;
      cash = 0;
    } else if (!long && units > 0) {
      cash = units * price;
      units = 0;
    }
  }
  return cash + units * (close[n - 1] as number);
}

Deno.test("backtest sma_cross on BTC/USDT matches an independent plain-JS computation (close, next_open)", async () => {
  await inTemp(async (dir) => {
    const btc = pl.readParquet(FIXTURE_SNAPSHOT)
      .filter(pl.col("full_symbol").eq(pl.lit("binance::BTC_USDT")))
      .sort("timestamp");
    const open = btc.getColumn("open").toTypedArray() as Float64Array;
    const close = btc.getColumn("close").toTypedArray() as Float64Array;
    for (const fill of ["close", "next_open"] as const) {
      const stats = await backtest([
        "--dag",
        "sma_cross",
        "--data",
        FIXTURE_SNAPSHOT,
        "--start",
        "2025-01-06",
        "--end",
        "2025-02-17",
        "--symbols",
        "BTC/USDT",
        "--style",
        "signal",
        "--sizing",
        "equity",
        "--fill",
        fill,
        "--fee-bps",
        "0",
        "--initial-cash",
        "10000",
        "--dst-dir",
        join(dir, fill),
      ]);
      const expected = smaCrossWealth(open, close, fill);
      assert.equal(stats.bars, 12_096);
      const got = stats.final_net_wealth as number;
      assert.ok(Math.abs(got - expected) <= 1e-9 * expected, `${fill}: ${got} vs ${expected}`);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, fill, "stats.json"))), stats);
      for (
        const key of [
          "initial_cash",
          "total_pnl",
          "total_return",
          "sharpe",
          "sortino",
          "max_drawdown",
          "turnover",
          "num_trades",
          "fees",
          "annualization",
        ]
      ) {
        assert.ok(key in stats, key);
      }
    }
  });
});

Deno.test("backtest: monthly x 5-asset tiles and one untiled tile give identical portfolios", async () => {
  await inTemp(async (dir) => {
    const common = [
      "--dag",
      "sma_cross",
      "--data",
      FIXTURE_SNAPSHOT,
      "--start",
      "2025-01-06",
      "--end",
      "2025-02-17",
      "--sizing",
      "equity",
      "--fee-bps",
      "10",
    ];
    const tiled = await backtest([
      ...common,
      "--asset-tile-size",
      "5",
      "--dst-dir",
      join(dir, "tiled"),
    ]);
    const whole = await backtest([
      ...common,
      "--tile-freq",
      "none",
      "--dst-dir",
      join(dir, "whole"),
    ]);
    assert.deepEqual(tiled, whole);
    assertSamePortfolio(join(dir, "tiled"), join(dir, "whole"));
    const markers = [...Deno.readDirSync(join(dir, "tiled", "tiled_results", "_success"))].map((
      e,
    ) => e.name).sort();
    assert.deepEqual(markers, [
      "2025-01.a0.json",
      "2025-01.a1.json",
      "2025-02.a0.json",
      "2025-02.a1.json",
    ]);
  });
});

Deno.test("backtest killed half-way resumes: finished tiles are not recomputed, the result is the uninterrupted one", async () => {
  await inTemp(async (dir) => {
    const dst = join(dir, "killed");
    const args = [
      "backtest",
      "--dag",
      "sma_cross",
      ...WINDOW,
      "--tile-freq",
      "day",
      "--asset-tile-size",
      "2",
      "--workers",
      "1",
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "main.ts"), ...args, "--dst-dir", dst, "--quiet"],
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const markersDir = join(dst, "tiled_results", "_success");
    const markers = () => {
      try {
        return [...Deno.readDirSync(markersDir)].filter((e) => e.name.endsWith(".json")).map((e) =>
          e.name
        );
      } catch {
        return [];
      }
    };
    let exited = false;
    const statusPromise = child.status.then((s) => {
      exited = true;
      return s;
    });
    const deadline = Date.now() + 120_000;
    while (markers().length === 0 && !exited && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(!exited, "the backtest process ended before any tile finished");
    assert.ok(markers().length > 0, "no tile finished within 120 s");
    child.kill("SIGKILL");
    const status = await statusPromise;
    assert.equal(status.signal, "SIGKILL", "killed before it finished");
    const finished = markers();
    const total = 21 * 4;
    assert.ok(
      finished.length >= 1 && finished.length < total,
      `${finished.length} of ${total} tiles done`,
    );
    assert.ok(!(await Deno.stat(join(dst, "stats.json")).then(() => true, () => false)));
    const before = new Map(finished.map((m) => {
      const info = Deno.statSync(join(markersDir, m));
      return [m, `${info.ino}:${info.mtime?.getTime()}`];
    }));

    const resumed = await backtest([...args.slice(1), "--dst-dir", dst]);
    const log = await Deno.readTextFile(join(dst, "log.txt"));
    assert.match(
      log,
      new RegExp(
        `skipped ${finished.length} finished tiles, ${total - finished.length} to compute`,
      ),
    );
    for (const [m, stamp] of before) {
      const info = Deno.statSync(join(markersDir, m));
      assert.equal(`${info.ino}:${info.mtime?.getTime()}`, stamp, `${m} was rewritten`);
    }
    assert.equal(markers().length, total);
    const straight = await backtest([...args.slice(1), "--dst-dir", join(dir, "straight")]);
    assert.deepEqual(resumed, straight);
    assertSamePortfolio(dst, join(dir, "straight"));
  });
});

Deno.test("backtest shards 0/3, 1/3 (auto) and 2/3 plus --merge equal the single run; --workers 2 too", async () => {
  await inTemp(async (dir) => {
    const common = [
      "--dag",
      "sma_cross",
      ...WINDOW,
      ...FIVE,
      "--tile-freq",
      "week",
      "--asset-tile-size",
      "2",
    ];
    const sharded = join(dir, "sharded");
    const s0 = await backtest([...common, "--shard", "0/3", "--dst-dir", sharded]);
    assert.deepEqual(s0, {
      shard: "0/3",
      tiles_in_shard: 3,
      tiles_computed: 3,
      tiles_skipped: 0,
      tiles_total: 9,
    });
    const incomplete = await runCli(["backtest", "--dst-dir", sharded, "--merge"]);
    assert.equal(incomplete.code, 1);
    assert.match(
      incomplete.stderr,
      /6 of 9 tiles are not done: 2025-01-06\.a1 \(no success marker\)/,
    );
    const s1 = await backtest([...common, "--shard", "auto/3", "--dst-dir", sharded], {
      JOB_COMPLETION_INDEX: "1",
    });
    assert.equal(s1.shard, "1/3");
    await backtest([...common, "--shard", "2/3", "--dst-dir", sharded]);
    const merged = await backtest(["--dst-dir", sharded, "--merge"]);
    const single = await backtest([...common, "--dst-dir", join(dir, "single")]);
    const workers = await backtest([
      ...common,
      "--workers",
      "2",
      "--dst-dir",
      join(dir, "workers"),
    ]);
    assert.deepEqual(merged, single);
    assert.deepEqual(workers, single);
    assertSamePortfolio(sharded, join(dir, "single"));
    assertSamePortfolio(join(dir, "workers"), join(dir, "single"));
    assert.match(
      await Deno.readTextFile(join(dir, "workers", "log.txt")),
      /\[worker pid \d+\] worker done/,
    );
  });
});

Deno.test("backtest re-run: same command skips everything, --dst-dir alone resumes, another config needs --force", async () => {
  await inTemp(async (dir) => {
    const dst = join(dir, "bt");
    const common = ["--dag", "sma_cross", ...WINDOW, "--symbols", "ETH/USDT"];
    const first = await backtest([...common, "--dst-dir", dst]);
    const again = await runCli(["backtest", ...common, "--dst-dir", dst]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /skipped 1 finished tiles, 0 to compute/);
    assert.match(again.stdout, /final_net_wealth\s+[\d.]+/);
    assert.deepEqual(await backtest(["--dst-dir", dst]), first);
    const other = await runCli(["backtest", ...common, "--fee-bps", "25", "--dst-dir", dst]);
    assert.equal(other.code, 2);
    assert.match(
      other.stderr,
      /differs from the config in .*config\.json:\n {2}~ backtest\.fee_bps: 0 -> 25\nuse --force/,
    );
    const forced = await backtest([...common, "--fee-bps", "25", "--force", "--dst-dir", dst]);
    assert.ok((forced.fees as number) > 0);
    const config = JSON.parse(await Deno.readTextFile(join(dst, "config.json")));
    assert.equal(config.backtest.fee_bps, 25);
    assert.match(await Deno.readTextFile(join(dst, "config.txt")), /^ {2}fee_bps: 25$/m);
  });
});

Deno.test("backtest refuses bad input with a clear message and exit 2", async () => {
  await inTemp(async (dir) => {
    const dst = ["--dst-dir", join(dir, "bt")];
    const cases: [string[], RegExp][] = [
      [["--dag", "nope", ...WINDOW], /Unknown dag 'nope'; known dags: .*sma_cross/],
      [
        [
          "--dag",
          "sma_cross",
          "--data",
          FIXTURE_SNAPSHOT,
          "--backtest-config",
          "binance_v0-top5.5T.2025-01-07",
        ],
        /Cannot parse backtest config 'binance_v0-top5\.5T\.2025-01-07': interval '2025-01-07' is not <start>_<end>/,
      ],
      [
        [
          "--dag",
          "sma_cross",
          "--data",
          FIXTURE_SNAPSHOT,
          "--start",
          "2024-12-01",
          "--end",
          "2025-01-10",
        ],
        /range \(2024-12-01T00:00Z, 2025-01-10T00:00Z\] is outside the data: snapshot .* covers bar ends \(2025-01-06T00:00Z, 2025-02-17T00:00Z\]/,
      ],
      [
        ["--dag", "sma_cross", ...WINDOW, "--symbols", "DOT/USDT"],
        /Symbol 'DOT\/USDT' is not in snapshot .*; known symbols: binance::ADA_USDT/,
      ],
      [
        ["--dag", "sma_cross", ...WINDOW, "--shard", "3/2"],
        /Invalid shard '3\/2': index 3 is not below the shard count 2/,
      ],
      [
        ["--dag", "sma_cross", ...WINDOW, "--shard", "auto/2"],
        /neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set/,
      ],
      [
        ["--dag", "sma_cross", "--data", FIXTURE_SNAPSHOT, "--start", "2025-01-07"],
        /Missing --end/,
      ],
      [["--dag", "sma_cross", ...WINDOW, "--fill", "vwop"], /Unknown fill convention 'vwop'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(["backtest", ...args, ...dst]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    }
    assert.equal(
      await Deno.stat(join(dir, "bt")).then(() => true, () => false),
      false,
      "nothing written",
    );
  });
});

Deno.test("backtest --help lists the options with defaults and examples", async () => {
  const r = await runCli(["backtest", "--help"]);
  assert.equal(r.code, 0);
  for (
    const option of [
      "--tile-freq <freq>.*default: month",
      "--fill <fill>.*default: next_open",
      "--shard",
      "--merge",
      "--workers <n>.*default: 1",
      "--check-causality",
    ]
  ) {
    assert.match(r.stdout, new RegExp(option));
  }
  assert.match(r.stdout, /Examples:/);
});
