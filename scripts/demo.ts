/**
 * `deno task demo`: the toolkit end to end on the bundled fixtures, through the CLI, as a
 * newcomer would run it. Outputs go to `out/demo/` (recreated each run).
 */
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "out", "demo");
await Deno.remove(out, { recursive: true }).catch(() => {});
await Deno.mkdir(out, { recursive: true });

async function dagtrade(title: string, args: string[]): Promise<void> {
  console.log(`\n$ dagtrade ${args.join(" ")}    # ${title}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "main.ts"), ...args],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  if (code !== 0) {
    console.error(`demo: 'dagtrade ${args[0]}' failed with exit code ${code}`);
    Deno.exit(code);
  }
}

const snapshot = "fixtures/market_data/binance_spot_5m.parquet";
await dagtrade("load, validate and summarize the bundled snapshot", [
  "inspect-data",
  "--data",
  snapshot,
]);
await dagtrade("import a freqtrade data directory into a snapshot", [
  "dump-market-data",
  "--source",
  "freqtrade:fixtures/freqtrade/binance",
  "--dst",
  "out/demo/freqtrade_import.csv.gz",
  "--quiet",
]);
await dagtrade("... and into a partitioned store", [
  "dump-market-data",
  "--source",
  "freqtrade:fixtures/freqtrade/binance",
  "--symbols",
  "BTC/USDT,ETH/USDT",
  "--dst",
  "out/demo/store",
  "--quiet",
]);
await dagtrade("read the store back", ["inspect-data", "--data", "out/demo/store"]);
await dagtrade("backtest the 10/50 SMA crossover on BTC/USDT (the cross-check model)", [
  "backtest",
  "--dag",
  "sma_cross",
  "--data",
  snapshot,
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
  "next_open",
  "--dst-dir",
  "out/demo/backtest_sma_cross",
]);
await dagtrade(
  "backtest the cross-sectional model on the top-5 universe, monthly tiles, 2 workers",
  [
    "backtest",
    "--dag",
    "cross_sectional",
    "--data",
    snapshot,
    "--backtest-config",
    "binance_v0-top5.5T.2025-01-07_2025-02-16",
    "--style",
    "cross_sectional",
    "--fee-bps",
    "0",
    "--workers",
    "2",
    "--dst-dir",
    "out/demo/backtest_cross_sectional",
  ],
);
await dagtrade("run it again: every finished tile is skipped", [
  "backtest",
  "--dst-dir",
  "out/demo/backtest_cross_sectional",
]);
const parity = [
  "--dag",
  "sma_cross",
  "--data",
  snapshot,
  "--start",
  "2025-01-08",
  "--end",
  "2025-01-15",
  "--symbols",
  "BTC/USDT,ETH/USDT,SOL/USDT",
  "--style",
  "signal",
  "--sizing",
  "equity",
  "--fill",
  "next_open",
  "--fee-bps",
  "10",
];
await dagtrade("research: backtest one week of sma_cross on 3 pairs", [
  "backtest",
  ...parity,
  "--dst-dir",
  "out/demo/parity_backtest",
]);
await dagtrade("production code path on a replayed clock over the same week", [
  "simulate",
  ...parity,
  "--dst-dir",
  "out/demo/parity_simulate",
]);
await dagtrade(
  "report on the simulation, reconciled with its own forecasts and with the backtest",
  [
    "report",
    "--run",
    "out/demo/parity_simulate",
    "--research",
    "out/demo/parity_backtest",
    "--window",
    "all",
    "--window",
    "last:24h",
    "--threshold",
    "1e-9",
    "--out",
    "out/demo/report",
  ],
);
console.log(`\ndemo outputs: ${out}`);
console.log(`report: ${join(out, "report", "report.html")}`);
