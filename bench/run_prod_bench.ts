/**
 * run-prod figures: the decision latency per bar — from the moment a bar is known
 * (`CcxtMarketData.waitForLatestData` returns for it) to the moment every order of the bar has
 * been submitted (the risk checks passed and the first wave of child orders is on the exchange)
 * — of the whole production system (`runProd` in prod mode: DAG, optimizer, risk controls,
 * ccxt broker, OMS database, system log), for the 14 pairs of the shared data (the 8 of the
 * bundled fixture when it is absent), against the exchange emulator through the real ccxt
 * client, on an event-driven `ReplayedClock` (no waiting; the waves between bars run in
 * simulated time). Model: sma_cross with a 1/2-bar crossover (`dag.sma.fast=1`,
 * `dag.sma.slow=2`, so positions flip often), signal weights sized on equity (every long asset
 * is rebalanced at every bar), children crossing the spread (passivity 0). The first `WARMUP`
 * bars are not counted.
 */
import ccxt from "ccxt";
import { type BenchFigure, latencyWindow, median, quantile, sharedDataDir } from "./_bench.ts";
import { getBuilder } from "../lib/dag/mod.ts";
import { emulatorCcxtOptions, ReplayedClock, startExchangeEmulator } from "../lib/sim/mod.ts";
import { buildRunProdConfig, ccxtExecution, prodRunDir, runProd } from "../lib/system/mod.ts";

const M5 = 300_000;
/** Bars measured, after `WARMUP` bars whose latency is not counted (JIT, first requests). */
const BARS = 100;
const WARMUP = 2;

/** Runs the run-prod benchmark (shared data when present, else the fixture). */
export async function benchRunProd(): Promise<BenchFigure[]> {
  const { first: start, bars } = await latencyWindow(WARMUP + BARS);
  const end = start + (WARMUP + BARS) * M5;

  const symbols = (bars.getColumn("full_symbol").unique().toArray() as string[]).sort()
    .map((s) => s.slice(s.indexOf("::") + 2).replace("_", "/"));
  const clock = new ReplayedClock(start);
  const emulator = await startExchangeEmulator(bars, { clock, balances: { USDT: 1e12 } });
  const root = await Deno.makeTempDir({ prefix: "dagtrade_run_prod_bench_" });
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    const config = buildRunProdConfig({
      builder: getBuilder("sma_cross"),
      settings: { symbols, style: "signal", sizing: "equity", initial_cash: 1_000_000 },
      overrides: [
        "run_prod.poll_delay_ms=10000",
        "run_prod.passivity_factor=0",
        "dag.sma.fast=1",
        "dag.sma.slow=2",
      ],
    });
    const result = await runProd(config, {
      runDir: prodRunDir(root, { dag: "sma_cross", mode: "prod", start, end }),
      mode: "prod",
      start,
      end,
      version: "bench",
      clock,
      runTasks: (main) => clock.run(main),
      exchange,
      execution: ccxtExecution(exchange),
      timer: () => performance.now(),
      runJsonEveryBars: 1,
    });
    const latencies = result.decisionLatencies.slice(WARMUP);
    const orders = emulator.requests().filter((r) =>
      r.method === "POST" && r.path === "/api/v3/order"
    ).length;
    const source = sharedDataDir() === undefined ? "fixture" : "shared data";
    return [{
      name: `run-prod decision latency per bar (bar known → orders submitted), ${symbols.length} ` +
        `assets, p50`,
      value: Number(median(latencies).toFixed(2)),
      unit: "ms",
      note:
        `p99 ${quantile(latencies, 0.99).toFixed(2)} ms (target < 50), max ${
          Math.max(...latencies).toFixed(2)
        } ms over ${latencies.length} bars after ${WARMUP} warm-up bars (${source}); prod mode ` +
        `against the emulator through ccxt, DAG + optimizer + risk checks + ccxt broker + OMS ` +
        `database + system log; ${orders} child orders created (${
          (orders / (WARMUP + BARS)).toFixed(1)
        } per bar)`,
    }];
  } finally {
    await emulator.close();
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  for (const f of await benchRunProd()) console.log(f.name, f.value, f.unit, f.note ?? "");
}
