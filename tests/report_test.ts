/**
 * End-to-end tests of `dagtrade report` (the command run in-process through `reportCommand`,
 * errors mapped to exit codes as `main.ts` does), with backtests made by the real CLI.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { reportCommand } from "../cmd/report.ts";
import type { CommandIo } from "../cmd/command.ts";
import { describeError, exitCodeOf } from "../lib/errors/mod.ts";
import { decodePng } from "../lib/report/mod.ts";
import { checkReportHtml } from "../scripts/check_report_html.ts";
import { FIXTURE_SNAPSHOT, ROOT, runCli } from "./_cli.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 6);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dagtrade report <args>` in-process, mapping errors to exit codes as main.ts does. */
async function report(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CommandIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTerminal: false,
    env: () => undefined,
    signal: new AbortController().signal,
  };
  try {
    const code = await reportCommand.run(args, io);
    return { code, stdout, stderr };
  } catch (error) {
    return { code: exitCodeOf(error), stdout, stderr: stderr + `error: ${describeError(error)}\n` };
  }
}

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function timeSeries(name: string, ms: number[] | Float64Array): pl.Series {
  return pl.Series(name, Float64Array.from(ms)).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}

async function writeParquet(path: string, df: pl.DataFrame): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  df.writeParquet(path);
}

/** A deterministic pseudo-random series (LCG) in [−1, 1). */
function noise(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
}

/**
 * A hand-made backtest directory: 200 hourly bars of known pnl / gmv / volume / trades / fees,
 * and a DAG profile of two nodes per bar.
 */
async function syntheticBacktest(dir: string): Promise<{
  ts: number[];
  pnl: number[];
  wealth: number[];
  gmv: number[];
  gross: number[];
  trades: number[];
  fees: number[];
  latency: number[];
}> {
  const n = 200;
  const ts = Array.from({ length: n }, (_, i) => T0 + (i + 1) * HOUR);
  const pnl = noise(n, 7).map((x, i) => i % 17 === 0 ? 0 : Math.round(x * 4000) / 100);
  const gmv = noise(n, 11).map((x) => 5000 + 1000 * x);
  const gross = noise(n, 13).map((x) => Math.abs(x) * 300);
  const trades = gross.map((g) => g > 100 ? 2 : g > 0 ? 1 : 0);
  const fees = gross.map((g) => g * 1e-4);
  const wealth: number[] = [];
  let w = 10_000;
  for (const p of pnl) wealth.push(w += p);
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      dag_builder: "synthetic",
      backtest: { start: "2025-01-06", end: "2025-01-14" },
    }),
  );
  await writeParquet(
    join(dir, "portfolio", "metrics.parquet"),
    pl.DataFrame([
      timeSeries("timestamp", ts),
      pl.Series("pnl", pnl),
      pl.Series("gross_volume", gross),
      pl.Series("net_volume", gross.map((g) => g / 2)),
      pl.Series("gmv", gmv),
      pl.Series("nmv", gmv),
      pl.Series("fees", fees),
      pl.Series("cash", wealth.map((x, i) => x - (gmv[i] as number))),
      pl.Series("net_wealth", wealth),
      pl.Series("leverage", gmv.map((g, i) => g / (wealth[i] as number))),
      pl.Series("num_trades", trades).cast(pl.Int64),
    ]),
  );
  const latency = noise(n, 17).map((x) => 10 + 5 * x);
  const lines = ["run,method,node_id,bar_timestamp,ms"];
  ts.forEach((t, i) => {
    const total = latency[i] as number;
    lines.push(`${i + 1},predict,source,${new Date(t).toISOString()},${total * 0.25}`);
    lines.push(`${i + 1},predict,model,${new Date(t).toISOString()},${total * 0.75}`);
  });
  lines.push(`0,fit,model,,123`);
  await Deno.mkdir(join(dir, "dag"), { recursive: true });
  await Deno.writeTextFile(join(dir, "dag", "profiling.csv"), lines.join("\n") + "\n");
  return { ts, pnl, wealth, gmv, gross, trades, fees, latency };
}

/** Independent statistics of a series (initial wealth w0 before its first bar). */
function expectedStats(
  pnl: number[],
  wealth: number[],
  gmv: number[],
  gross: number[],
  w0: number,
  barsPerYear: number,
) {
  const n = pnl.length;
  const prev = [w0, ...wealth.slice(0, -1)];
  const r = pnl.map((p, i) => p / (prev[i] as number));
  const mean = r.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const down = Math.sqrt(r.reduce((a, b) => a + Math.min(b, 0) ** 2, 0) / n);
  // Drawdown: running peak from w0; the largest drop; its duration from the peak bar to the
  // first bar back at the peak, or to the last bar.
  let peak = w0, peakAt = -1, worst = 0, worstPeak = w0, worstPeakAt = -1, troughAt = -1;
  wealth.forEach((w, i) => {
    if (w >= peak) {
      peak = w;
      peakAt = i;
    } else if (peak - w > worst) {
      worst = peak - w;
      worstPeak = peak;
      worstPeakAt = peakAt;
      troughAt = i;
    }
  });
  let end = n - 1;
  for (let i = troughAt + 1; i < n; i++) {
    if ((wealth[i] as number) >= worstPeak) {
      end = i;
      break;
    }
  }
  const wins = pnl.filter((p) => p > 0).length;
  const nonZero = pnl.filter((p) => p !== 0).length;
  const avgGmv = gmv.reduce((a, b) => a + b, 0) / n;
  const grossPerYear = gross.reduce((a, b) => a + b, 0) / n * barsPerYear;
  return {
    sharpe: mean / sd * Math.sqrt(barsPerYear),
    sortino: mean / down * Math.sqrt(barsPerYear),
    max_drawdown: worst,
    max_drawdown_duration_bars: worst === 0 ? 0 : end - worstPeakAt,
    turnover: grossPerYear / avgGmv,
    hit_rate: wins / nonZero,
    average_gmv: avgGmv,
  };
}

function near(actual: unknown, expected: number, what: string): void {
  assert.equal(typeof actual, "number", `${what} is ${actual}`);
  const a = actual as number;
  assert.ok(
    Math.abs(a - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${a} != ${expected}`,
  );
}

Deno.test("report statistics match an independent computation (Sharpe, Sortino, drawdown, turnover, hit rate, latency)", async () => {
  await inTemp(async (dir) => {
    const run = join(dir, "bt");
    await Deno.mkdir(run);
    const s = await syntheticBacktest(run);
    const out = join(dir, "report");
    const r = await report(["--run", run, "--out", out, "--window", "all", "--window", "last:24h"]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(await Deno.readTextFile(join(out, "stats.json")));
    assert.equal(json.run.bar_ms, HOUR);
    assert.equal(json.run.bars_per_year, 8760);
    const perYear = 8760;
    const all = json.windows["all"];
    const e = expectedStats(s.pnl, s.wealth, s.gmv, s.gross, 10_000, perYear);
    for (const [key, value] of Object.entries(e)) near(all[key], value, `all.${key}`);
    assert.equal(all.bars, 200);
    assert.equal(all.num_trades, s.trades.reduce((a, b) => a + b, 0));
    near(all.fees, s.fees.reduce((a, b) => a + b, 0), "fees");
    assert.ok(all.max_drawdown > 0 && all.max_drawdown_duration_bars > 0);
    // DAG latency: Σ of the two nodes per bar; the fit row (no bar) is left out.
    const sorted = [...s.latency].sort((a, b) => a - b);
    const pct = (q: number) => {
      const pos = (sorted.length - 1) * q;
      const i = Math.floor(pos);
      return sorted[i]! + ((sorted[i + 1] ?? sorted[i]!) - sorted[i]!) * (pos - i);
    };
    assert.equal(all.dag_latency_bars, 200);
    near(all.dag_latency_p50_ms, pct(0.5), "p50");
    near(all.dag_latency_p95_ms, pct(0.95), "p95");
    near(all.dag_latency_max_ms, sorted[199]!, "max");
    // last:24h = the last 24 hourly bars, measured from the last bar; wealth before it is the start.
    const day = json.windows["last:24h"];
    assert.equal(day.bars, 24);
    assert.equal(day.start, s.ts[176]);
    const k = 176;
    const e24 = expectedStats(
      s.pnl.slice(k),
      s.wealth.slice(k),
      s.gmv.slice(k),
      s.gross.slice(k),
      s.wealth[k - 1]!,
      perYear,
    );
    for (const [key, value] of Object.entries(e24)) near(day[key], value, `last:24h.${key}`);
    // stats.csv holds the same numbers, one row per window.
    const csv = pl.readCSV(join(out, "stats.csv"));
    assert.deepEqual(csv.getColumn("window").toArray(), ["all", "last:24h"]);
    near(csv.getColumn("sharpe").toArray()[0], e.sharpe, "csv sharpe");
    assert.match(r.stdout, /Sharpe/);
    assert.match(r.stdout, /bars_per_year 8760/);
  });
});

Deno.test("report PNG plots decode with the stated size and are not blank; a rerun rewrites the same bytes", async () => {
  await inTemp(async (dir) => {
    const run = join(dir, "bt");
    await Deno.mkdir(run);
    await syntheticBacktest(run);
    const out = join(dir, "report");
    const args = ["--run", run, "--out", out, "--window", "all", "--window", "since:2025-01-10"];
    assert.equal((await report(args)).code, 0);
    for (const name of ["cumulative_pnl.all", "drawdown.all", "cumulative_pnl.since_2025-01-10"]) {
      const png = decodePng(await Deno.readFile(join(out, `${name}.png`)));
      assert.equal(png.width, 960, name);
      assert.equal(png.height, 320, name);
      // The line colours are drawn whatever the fonts (blue PnL line, red drawdown).
      const want = name.startsWith("drawdown") ? [0xd6, 0x27, 0x28] : [0x1f, 0x77, 0xb4];
      let line = 0;
      let nonWhite = 0;
      for (let i = 0; i < png.rgba.length; i += 4) {
        const [r, g, b] = [png.rgba[i]!, png.rgba[i + 1]!, png.rgba[i + 2]!];
        if (r < 245 || g < 245 || b < 245) nonWhite++;
        if (Math.abs(r - want[0]!) + Math.abs(g - want[1]!) + Math.abs(b - want[2]!) < 40) line++;
      }
      assert.ok(line > 500, `${name}: ${line} line pixels`);
      assert.ok(nonWhite > 2000, `${name}: ${nonWhite} non-white pixels`);
      const svg = await Deno.readTextFile(join(out, `${name}.svg`));
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="960" height="320"/);
    }
    const names = [
      "stats.json",
      "stats.csv",
      "reconciliation.json",
      "cumulative_pnl.all.svg",
      "cumulative_pnl.all.png",
      "drawdown.all.png",
    ];
    const before = await Promise.all(names.map((n) => Deno.readFile(join(out, n))));
    assert.equal((await report(args)).code, 0);
    const after = await Promise.all(names.map((n) => Deno.readFile(join(out, n))));
    names.forEach((n, i) => assert.deepEqual(after[i], before[i], `${n} changed on a rerun`));
    const html = await Deno.readTextFile(join(out, "report.html"));
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    // No temp files left behind.
    const leftovers = [...Deno.readDirSync(out)].filter((e) => e.name.startsWith("."));
    assert.deepEqual(leftovers.map((e) => e.name), []);
  });
});

Deno.test({
  name:
    "report HTML opens in headless Chromium without console errors and shows statistics and plots",
  ignore: !(() => {
    try {
      return Deno.statSync("/usr/bin/chromium").isFile;
    } catch {
      return false;
    }
  })(),
  fn: async () => {
    await inTemp(async (dir) => {
      const run = join(dir, "bt");
      await Deno.mkdir(run);
      await syntheticBacktest(run);
      const out = join(dir, "report");
      assert.equal((await report(["--run", run, "--out", out, "--window", "all"])).code, 0);
      const result = await checkReportHtml(join(out, "report.html"), {
        screenshot: join(dir, "screenshot.png"),
      });
      assert.deepEqual(result.problems, []);
      assert.equal(result.svgCount, 2);
      assert.deepEqual(result.screenshotSize, { width: 1280, height: 2000 });
    });
  },
});

Deno.test("report: two reports started at once — one runs, the other exits 0 on the lock; a dead owner's lock is taken over", async () => {
  await inTemp(async (dir) => {
    const run = join(dir, "bt");
    await Deno.mkdir(run);
    await syntheticBacktest(run);
    const out = join(dir, "report");
    const args = ["--run", run, "--out", out];
    const [a, b] = await Promise.all([report(args), report(args)]);
    const locked = [a, b].filter((r) => /another report is running \(pid \d+/.test(r.stderr));
    assert.equal(locked.length, 1, `${a.stderr}\n${b.stderr}`);
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    assert.equal(locked[0]!.stdout, "");
    await Deno.stat(join(out, "report.html"));
    await assert.rejects(Deno.stat(join(out, ".report.lock")), Deno.errors.NotFound);

    // A lock held by a live process of this host: the report does nothing, exit 0.
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      const host = Deno.hostname();
      const lock = (pid: number, at: number) =>
        JSON.stringify({
          pid,
          hostname: host,
          started_ms: at,
          started_at: new Date(at).toISOString(),
        });
      const now = Date.now();
      await Deno.writeTextFile(join(out, ".report.lock"), lock(sleeper.pid, now));
      const held = await report(args);
      assert.equal(held.code, 0);
      assert.match(held.stderr, new RegExp(`another report is running \\(pid ${sleeper.pid} `));
      // --quiet says nothing.
      const quiet = await report([...args, "--quiet"]);
      assert.equal(quiet.code, 0);
      assert.equal(quiet.stdout + quiet.stderr, "");
      // The owner died: its lock is stale and taken over.
      sleeper.kill("SIGKILL");
      const status = await sleeper.status;
      assert.equal(status.success, false);
      const taken = await report(args);
      assert.equal(taken.code, 0, taken.stderr);
      assert.match(taken.stderr, new RegExp(`took over a stale lock of pid ${sleeper.pid}`));
      await assert.rejects(Deno.stat(join(out, ".report.lock")), Deno.errors.NotFound);
    } finally {
      try {
        sleeper.kill("SIGKILL");
        await sleeper.status;
      } catch {
        // already gone
      }
    }
  });
});

Deno.test("report on a missing, empty or corrupt input exits 2 saying what and where", async () => {
  await inTemp(async (dir) => {
    const out = join(dir, "report");
    const missing = await report(["--run", join(dir, "nope"), "--out", out]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /Cannot read run .*nope: no such directory; pass a backtest directory/,
    );

    await Deno.mkdir(join(dir, "empty"));
    const empty = await report(["--run", join(dir, "empty"), "--out", out]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /neither a backtest directory .* nor a system log directory/);

    const bt = join(dir, "bt");
    await Deno.mkdir(join(bt, "portfolio"), { recursive: true });
    await Deno.writeTextFile(join(bt, "config.json"), "{}");
    const unmerged = await report(["--run", bt, "--out", out]);
    assert.equal(unmerged.code, 2);
    assert.match(unmerged.stderr, /no portfolio\/metrics.parquet .* --merge/);

    await Deno.writeFile(join(bt, "portfolio", "metrics.parquet"), new Uint8Array([1, 2, 3, 4]));
    const corrupt = await report(["--run", bt, "--out", out]);
    assert.equal(corrupt.code, 2);
    assert.match(
      corrupt.stderr,
      /Cannot read backtest metrics .*metrics.parquet: not a readable Parquet file/,
    );

    await Deno.writeTextFile(join(bt, "config.json"), "{ not json");
    const badConfig = await report(["--run", bt, "--out", out]);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /config.json: malformed JSON/);

    const sys = join(dir, "sys");
    await Deno.mkdir(join(sys, "process_forecasts"), { recursive: true });
    const noStats = await report(["--run", sys, "--out", out]);
    assert.equal(noStats.code, 2);
    assert.match(noStats.stderr, /no process_forecasts\/portfolio\/statistics.parquet/);

    assert.equal((await report(["--out", out])).code, 2);
    const badWindow = await report(["--run", bt, "--out", out, "--window", "yesterday"]);
    assert.equal(badWindow.code, 2);
    assert.match(badWindow.stderr, /Invalid --window 'yesterday'/);
    // Nothing was left locked.
    await assert.rejects(Deno.stat(join(out, ".report.lock")), Deno.errors.NotFound);
  });
});

/**
 * A system log directory (DESIGN §9 layout) holding exactly what a simulation at parity with
 * the backtest `bt` logs: its statistics, per-asset portfolio files (long and wide), target
 * positions with the forecasts, one fill per trade stamped at the end of the bar that fills it,
 * a DAG profile and the bars as received.
 */
async function systemLogFromBacktest(bt: string, sim: string): Promise<pl.DataFrame> {
  const config = JSON.parse(await Deno.readTextFile(join(bt, "config.json")));
  const metrics = pl.readParquet(join(bt, "portfolio", "metrics.parquet"));
  const positions = pl.readParquet(join(bt, "portfolio", "positions.parquet"));
  const pf = join(sim, "process_forecasts");
  await Deno.mkdir(join(pf, "portfolio"), { recursive: true });
  await Deno.writeTextFile(
    join(sim, "run.json"),
    JSON.stringify({ mode: "simulate", status: "finished", bar: "5m", version: "test" }),
  );
  await Deno.writeTextFile(
    join(sim, "system_config.output.json"),
    JSON.stringify({
      dag_builder: config.dag_builder,
      dag: config.dag,
      process_forecasts: config.backtest,
    }),
  );
  await writeParquet(join(pf, "portfolio", "statistics.parquet"), metrics);
  for (const name of ["holdings_shares", "executed_trades_shares", "executed_trades_notional"]) {
    await writeParquet(
      join(pf, "portfolio", `${name}.parquet`),
      positions.select("timestamp", "asset_id", name),
    );
  }
  // holdings_notional wide: one column per asset id.
  const ids = [...new Set(positions.getColumn("asset_id").toArray() as number[])].sort();
  const wide = pl.DataFrame([
    metrics.getColumn("timestamp"),
    ...ids.map((id) =>
      pl.Series(
        String(id),
        positions.filter(pl.col("asset_id").eq(pl.lit(id))).getColumn("holdings_notional")
          .toArray(),
      )
    ),
  ]);
  await writeParquet(join(pf, "portfolio", "holdings_notional.parquet"), wide);
  const tiles: pl.DataFrame[] = [];
  for await (const e of Deno.readDir(join(bt, "tiled_results"))) {
    if (!e.name.startsWith("asset_id=")) continue;
    for await (const y of Deno.readDir(join(bt, "tiled_results", e.name))) {
      for await (const m of Deno.readDir(join(bt, "tiled_results", e.name, y.name))) {
        tiles.push(
          pl.readParquet(join(bt, "tiled_results", e.name, y.name, m.name, "data.parquet")),
        );
      }
    }
  }
  const forecasts = pl.concat(tiles).select(
    "timestamp",
    "asset_id",
    pl.col("close").alias("price"),
    pl.col("vol").alias("volatility"),
    pl.col("prediction"),
  );
  const targets = forecasts.join(
    positions.select("timestamp", "asset_id", "target_holdings_shares", "target_holdings_notional"),
    { on: ["timestamp", "asset_id"] },
  ).sort(["timestamp", "asset_id"]);
  await writeParquet(join(pf, "target_positions.parquet"), targets);
  const traded = positions.filter(pl.col("executed_trades_shares").neq(pl.lit(0)));
  const fills = pl.DataFrame([
    pl.Series("id", Array.from({ length: traded.height }, (_, i) => i + 1)).cast(pl.Int64),
    pl.Series("order_id", Array.from({ length: traded.height }, (_, i) => i + 1)).cast(pl.Int64),
    traded.getColumn("asset_id"),
    traded.getColumn("timestamp"),
    traded.getColumn("executed_trades_shares").alias("shares"),
    traded.select(
      pl.col("executed_trades_notional").div(pl.col("executed_trades_shares")).alias("price"),
    )
      .getColumn("price"),
    traded.getColumn("fees").alias("fee"),
  ]);
  await writeParquet(join(pf, "fills.parquet"), fills);
  await Deno.mkdir(join(sim, "dag"), { recursive: true });
  const ts = metrics.getColumn("timestamp").cast(pl.Float64).toArray() as number[];
  await Deno.writeTextFile(
    join(sim, "dag", "profiling.csv"),
    "bar_timestamp,node_id,ms\n" + ts.map((t, i) => `${t},model,${1 + (i % 7)}`).join("\n") + "\n",
  );
  const start = ts[0]! - 10 * 300_000;
  const bars = pl.readParquet(FIXTURE_SNAPSHOT).filter(
    pl.col("asset_id").isIn(ids).and(
      pl.col("timestamp").cast(pl.Int64).gt(pl.lit(start)).and(
        pl.col("timestamp").cast(pl.Int64).ltEq(pl.lit(ts[ts.length - 1]!)),
      ),
    ),
  );
  await writeParquet(join(sim, "market_data", "bars.parquet"), bars);
  return fills;
}

Deno.test("report reconciliation: zero differences at parity; an altered fill or a missing bar is found where it starts", async () => {
  await inTemp(async (dir) => {
    const bt = join(dir, "bt");
    const made = await runCli([
      "backtest",
      "--dag",
      "cross_sectional",
      "--data",
      FIXTURE_SNAPSHOT,
      "--start",
      "2025-01-06",
      "--end",
      "2025-01-09",
      "--symbols",
      "BTC/USDT,ETH/USDT,SOL/USDT",
      "--style",
      "cross_sectional",
      "--fee-bps",
      "1",
      "--dst-dir",
      bt,
      "--quiet",
    ], { cwd: ROOT });
    assert.equal(made.code, 0, made.stderr);

    // The backtest against the research recomputed from its own forecasts.
    const self = await report(["--run", bt, "--out", join(dir, "r_bt"), "--threshold", "1e-9"]);
    assert.equal(self.code, 0, self.stderr);
    assert.match(
      self.stdout,
      /research recomputed from its own forecasts: 864 bars .* no differences/,
    );

    const sim = join(dir, "sim");
    const fills = await systemLogFromBacktest(bt, sim);
    const out = join(dir, "r_sim");
    const args = ["--run", sim, "--research", bt, "--out", out, "--threshold", "1e-9", "--json"];
    const parity = await report(args);
    assert.equal(parity.code, 0, parity.stderr);
    const summary = JSON.parse(parity.stdout);
    assert.equal(summary.reconciliations.length, 2);
    for (const rec of summary.reconciliations) {
      assert.equal(rec.skipped, null, rec.title);
      assert.equal(rec.differences, 0, rec.title);
      assert.equal(rec.bars, 864);
    }
    const full = JSON.parse(await Deno.readTextFile(join(out, "reconciliation.json")));
    for (const rec of full.reconciliations) {
      for (const check of rec.result.checks) {
        assert.notEqual(check.comparison, null, `${rec.title}: ${check.name} ${check.skipped}`);
        assert.ok(check.comparison.rows > 0, `${rec.title}: ${check.name}`);
      }
    }
    assert.equal(summary.windows.all.dag_latency_bars, 864);
    assert.equal(summary.windows.all.dag_latency_max_ms, 7);

    // One fill at a later price.
    const k = Math.floor(fills.height / 2);
    const row = fills.slice(k, 1);
    const when = row.getColumn("timestamp").cast(pl.Float64).toArray()[0] as number;
    const asset = row.getColumn("asset_id").toArray()[0] as number;
    const altered = fills.withColumns(
      pl.when(pl.col("id").eq(pl.lit(k + 1))).then(pl.col("price").mul(pl.lit(1.001)))
        .otherwise(pl.col("price")).alias("price"),
    );
    altered.writeParquet(join(sim, "process_forecasts", "fills.parquet"));
    const off = await report(args);
    assert.equal(off.code, 1, off.stderr);
    assert.match(off.stderr, /difference(s)? above the threshold 1e-9/);
    for (const rec of JSON.parse(off.stdout).reconciliations) {
      assert.equal(rec.differences, 1, rec.title);
      assert.equal(rec.first.check, "fills");
      assert.equal(rec.first.kind, "fill price");
      assert.equal(rec.first.key.timestamp, when);
      assert.equal(rec.first.key.asset_id, asset);
    }
    // Without --threshold the difference is reported, exit 0.
    const reported = await report(["--run", sim, "--out", out, "--no-png"]);
    assert.equal(reported.code, 0);
    assert.match(
      reported.stdout,
      /first difference \(fill price\): fill at .* same size, fill_price/,
    );

    // A bar missing from the run's statistics.
    fills.writeParquet(join(sim, "process_forecasts", "fills.parquet"));
    const stats = pl.readParquet(join(sim, "process_forecasts", "portfolio", "statistics.parquet"));
    const gap = stats.getColumn("timestamp").cast(pl.Float64).toArray()[300] as number;
    stats.filter(pl.col("timestamp").cast(pl.Int64).neq(pl.lit(gap)))
      .writeParquet(join(sim, "process_forecasts", "portfolio", "statistics.parquet"));
    const hole = await report(args);
    assert.equal(hole.code, 1);
    const first = JSON.parse(hole.stdout).reconciliations[1].first;
    assert.equal(first.kind, "missing bar");
    assert.equal(first.key.timestamp, gap);
    assert.match(first.cause, /is missing in run/);
  });
});
