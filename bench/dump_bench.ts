/**
 * Throughput of `dump-market-data --exchange`: the real ccxt binance client paginating
 * `fetchOHLCV` against the exchange emulator on loopback (same process), converting,
 * validating and writing the fixture's 8 pairs × 12,096 5m bars, into a snapshot and into a
 * store. Runs on the bundled fixture, so it needs no shared data.
 */
import { join } from "node:path";
import { type BenchFigure, FIXTURE_SNAPSHOT, median } from "./_bench.ts";
import {
  CcxtOhlcvFetcher,
  createCcxtExchange,
  dumpOhlcv,
  readBars,
  RealClock,
  ReplayedClock,
} from "../lib/sim/mod.ts";
import { startExchangeEmulator } from "../lib/sim/exchange_emulator/mod.ts";

const SYMBOLS = ["ADA", "BNB", "BTC", "DOGE", "ETH", "LTC", "SOL", "XRP"].map((b) => `${b}/USDT`);
const RANGE = { start: Date.UTC(2025, 0, 6), end: Date.UTC(2025, 1, 17) };

/** Dump throughput in bars/s from the emulator: ccxt's rate limiter on and off, snapshot and store. */
export async function benchDump(): Promise<BenchFigure[]> {
  const bars = await readBars(FIXTURE_SNAPSHOT);
  const emulator = await startExchangeEmulator(bars, {
    clock: new ReplayedClock(Date.UTC(2025, 1, 18)),
    port: 0,
  });
  const dir = await Deno.makeTempDir();
  const figures: BenchFigure[] = [];
  try {
    const run = async (dst: string, rateLimit: boolean) => {
      const clock = new RealClock();
      const exchange = await createCcxtExchange("binance", {
        baseUrl: emulator.url,
        ccxtOptions: { enableRateLimit: rateLimit },
      });
      const fetcher = new CcxtOhlcvFetcher(exchange, { clock, timeframe: "5m" });
      const t0 = performance.now();
      const out = await dumpOhlcv(fetcher, { dst, symbols: SYMBOLS, range: RANGE, clock });
      const ms = performance.now() - t0;
      await Deno.remove(dst, { recursive: true });
      return { ms, bars: out.fetchedBars, pages: out.pages };
    };
    const cases: [string, string, boolean][] = [
      ["dump ccxt→emulator, snapshot, rate limiter on", "x.parquet", true],
      ["dump ccxt→emulator, snapshot, rate limiter off", "x.parquet", false],
      ["dump ccxt→emulator, store, rate limiter off", "store", false],
    ];
    for (const [name, file, rateLimit] of cases) {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await run(join(dir, file), rateLimit));
      const ms = median(runs.map((r) => r.ms));
      const { bars: n, pages } = runs[0] as { bars: number; pages: number };
      figures.push({
        name,
        value: Math.round(n / (ms / 1000)),
        unit: "bars/s",
        note: `${n} bars, ${pages} pages of 1000 in ${Math.round(ms)} ms (median of 3; ` +
          `emulator in the same process)`,
      });
    }
  } finally {
    await emulator.close();
    await Deno.remove(dir, { recursive: true });
  }
  return figures;
}

if (import.meta.main) {
  for (const f of await benchDump()) console.log(`${f.name}: ${f.value} ${f.unit} — ${f.note}`);
}
