/**
 * Exchange emulator figures: order round-trip latency through the real ccxt client (createOrder
 * market, p50/p99 over 200 orders) with the default fresh connection per request and with
 * keep-alive, and a 1000-candle fetchOHLCV page. Runs on the bundled fixture snapshot.
 */
import ccxt from "ccxt";
import { type BenchFigure, FIXTURE_SNAPSHOT, median, quantile, timeRuns } from "./_bench.ts";
import { readBars, ReplayedClock } from "../lib/sim/mod.ts";
import { emulatorCcxtOptions, startExchangeEmulator } from "../lib/sim/exchange_emulator/mod.ts";

/** Runs the exchange-emulator benchmarks (fixture data; no shared data needed). */
export async function benchExchangeEmulator(): Promise<BenchFigure[]> {
  const bars = await readBars(FIXTURE_SNAPSHOT);
  const figures: BenchFigure[] = [];
  for (const keepAlive of [false, true]) {
    const clock = new ReplayedClock(Date.UTC(2025, 0, 20));
    const emulator = await startExchangeEmulator(bars, {
      clock,
      keepAlive,
      balances: { USDT: 10_000_000, BTC: 100 },
    });
    try {
      const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
      await exchange.loadMarkets();
      for (let i = 0; i < 20; i++) {
        await exchange.createOrder("BTC/USDT", "market", i % 2 ? "sell" : "buy", 0.001);
      }
      let i = 0;
      const orders = await timeRuns(
        200,
        () => exchange.createOrder("BTC/USDT", "market", i++ % 2 ? "sell" : "buy", 0.001),
      );
      const mode = keepAlive ? "keep-alive" : "connection per request (default)";
      figures.push({
        name: `emulator createOrder market via ccxt, ${keepAlive ? "keep-alive" : "default"}, p50`,
        value: Number(median(orders).toFixed(2)),
        unit: "ms",
        note: `p99 ${quantile(orders, 0.99).toFixed(2)} ms over 200 orders (${mode})`,
      });
      if (!keepAlive) {
        const pages = await timeRuns(
          20,
          () => exchange.fetchOHLCV("BTC/USDT", "5m", Date.UTC(2025, 0, 10), 1000),
        );
        figures.push({
          name: "emulator fetchOHLCV 1000 candles via ccxt, p50",
          value: Number(median(pages).toFixed(2)),
          unit: "ms",
          note: `p99 ${quantile(pages, 0.99).toFixed(2)} ms over 20 pages`,
        });
      }
    } finally {
      await emulator.close();
    }
  }
  return figures;
}

if (import.meta.main) {
  for (const f of await benchExchangeEmulator()) console.log(f.name, f.value, f.unit, f.note ?? "");
}
