/**
 * ccxt broker figures: decision latency per bar — from the moment the bar is known
 * (`CcxtMarketData.waitForLatestData` returns) to the moment every parent order has its first
 * child placed (`CcxtBroker.submitOrders` resolves) — for the 14 pairs of the shared data
 * (the 8 of the bundled fixture when the shared data is absent), against the exchange emulator
 * through the real ccxt client, on an event-driven `ReplayedClock` (the later waves run between
 * bars in simulated time). Broker logs are written (to a temporary run directory), as in prod.
 */
import ccxt from "ccxt";
import { type BenchFigure, latencyWindow, median, quantile, sharedDataDir } from "./_bench.ts";
import { ReplayedClock } from "../lib/sim/mod.ts";
import { CcxtMarketData } from "../lib/sim/ccxt_market_data.ts";
import { emulatorCcxtOptions, startExchangeEmulator } from "../lib/sim/exchange_emulator/mod.ts";
import { IdCounter, Order } from "../lib/oms/mod.ts";
import { CcxtBroker } from "../lib/oms/ccxt_broker.ts";

const M5 = 300_000;
/** Bars measured, after `WARMUP` bars whose latency is not counted (JIT, first requests). */
const BARS = 100;
const WARMUP = 2;

/** Runs the ccxt broker benchmark (shared data when present, else the fixture). */
export async function benchCcxtBroker(): Promise<BenchFigure[]> {
  const { first, bars } = await latencyWindow(WARMUP + BARS);

  const symbols = (bars.getColumn("full_symbol").unique().toArray() as string[]).sort();
  const balances: Record<string, number> = { USDT: 1e12 };
  for (const s of symbols) balances[s.slice(s.indexOf("::") + 2).split("_")[0] as string] = 1e9;
  const clock = new ReplayedClock(first - M5 + 30_000);
  const emulator = await startExchangeEmulator(bars, { clock, balances });
  const runDir = await Deno.makeTempDir({ prefix: "dagtrade_ccxt_broker_bench_" });
  const latencies: number[] = [];
  let children = 0;
  let requests = 0;
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    const md = await CcxtMarketData.create(exchange, {
      clock,
      symbols,
      timeframe: "5m",
      warmupBars: 10,
      pollDelayMs: 10_000,
      runDir,
    });
    const broker = await CcxtBroker.create(exchange, {
      clock,
      runId: "bench",
      symbols,
      runDir,
      passivityFactor: 0.5,
    });
    const orderIds = new IdCounter();
    await clock.run(async () => {
      for (let k = 0; k < WARMUP + BARS; k++) {
        const t = first + k * M5;
        await md.waitForLatestData(t);
        const t0 = performance.now();
        const now = clock.now();
        const closes = md.lastPrice(t);
        const orders: Order[] = [];
        let i = 0;
        for (const [assetId, close] of closes) {
          const sign = (i++ + k) % 2 === 0 ? 1 : -1;
          orders.push(Order.create(orderIds, {
            creationTimestamp: now,
            assetId,
            type: "twap",
            startTimestamp: now,
            endTimestamp: t + M5,
            currentShares: 0,
            diffShares: sign * Number((1_000 / close).toPrecision(6)),
          }));
        }
        await broker.submitOrders(orders, { wallTime: now });
        if (k >= WARMUP) latencies.push(performance.now() - t0);
      }
      await broker.close();
    });
    await md.close();
    children = broker.stats.children;
    requests = broker.stats.requests;
  } finally {
    await emulator.close();
    await Deno.remove(runDir, { recursive: true });
  }
  const source = sharedDataDir() === undefined ? "fixture" : "shared data";
  const n = symbols.length;
  return [{
    name: `ccxt broker decision latency per bar (bar known → ${n} orders submitted), p50`,
    value: Number(median(latencies).toFixed(2)),
    unit: "ms",
    note: `p99 ${quantile(latencies, 0.99).toFixed(2)} ms over ${BARS} bars (after ${WARMUP} ` +
      `warm-up bars), ${n} assets ` +
      `(${source}), emulator + real ccxt, twap waves every 60 s, logs on; ${children} child ` +
      `orders, ${requests} exchange calls`,
  }];
}

if (import.meta.main) {
  for (const f of await benchCcxtBroker()) console.log(f.name, f.value, f.unit, f.note ?? "");
}
