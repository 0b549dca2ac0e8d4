/**
 * `deno task bench`: runs every benchmark and prints one table of figures. Benchmarks that need
 * the shared 14-pair data (../shared/data, or $DAGTRADE_SHARED_DATA) are skipped, with a note,
 * when it is absent.
 */
import { type BenchFigure, sharedDataDir } from "./_bench.ts";
import { benchMarketData } from "./market_data_bench.ts";
import { benchDag } from "./dag_bench.ts";
import { benchExchangeEmulator } from "./exchange_emulator_bench.ts";
import { benchDump } from "./dump_bench.ts";
import { benchBacktest } from "./backtest_bench.ts";
import { benchCcxtBroker } from "./ccxt_broker_bench.ts";
import { benchSimulate } from "./simulate_bench.ts";
import { benchRunProd } from "./run_prod_bench.ts";

const dataDir = sharedDataDir();
const figures: BenchFigure[] = [];
console.log(
  `dagtrade benchmarks — ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
);
if (dataDir === undefined) {
  console.log(
    "shared data not found (../shared/data/binance_spot_5m or $DAGTRADE_SHARED_DATA): skipping the benchmarks that need it",
  );
} else {
  figures.push(...await benchMarketData(dataDir));
  figures.push(...await benchDag(dataDir));
  figures.push(...await benchBacktest(dataDir));
  figures.push(...await benchSimulate(dataDir));
}
figures.push(...await benchDump());
figures.push(...await benchExchangeEmulator());
figures.push(...await benchCcxtBroker());
figures.push(...await benchRunProd());
const w = Math.max(...figures.map((f) => f.name.length), 10);
for (const f of figures) {
  console.log(
    `${f.name.padEnd(w)}  ${String(f.value).padStart(14)} ${f.unit.padEnd(8)} ${f.note ?? ""}`,
  );
}
