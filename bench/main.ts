/**
 * `deno task bench [group ...]`: runs every benchmark (or only the named groups: market_data,
 * dag, backtest, simulate, dump, exchange_emulator, ccxt_broker, run_prod) and prints one table
 * of figures. Benchmarks that need the shared 14-pair data (../shared/data, or
 * $DAGTRADE_SHARED_DATA) are skipped, with a note, when it is absent.
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

const _SHARED: Record<string, (dir: string) => Promise<BenchFigure[]>> = {
  market_data: benchMarketData,
  dag: benchDag,
  backtest: benchBacktest,
  simulate: benchSimulate,
};
const _STANDALONE: Record<string, () => Promise<BenchFigure[]>> = {
  dump: benchDump,
  exchange_emulator: benchExchangeEmulator,
  ccxt_broker: benchCcxtBroker,
  run_prod: benchRunProd,
};
const groups = Deno.args.length > 0
  ? Deno.args
  : [...Object.keys(_SHARED), ...Object.keys(_STANDALONE)];
const unknown = groups.filter((g) => !(g in _SHARED) && !(g in _STANDALONE));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark group(s) ${unknown.join(", ")}; groups: ${
      [...Object.keys(_SHARED), ...Object.keys(_STANDALONE)].join(", ")
    }`,
  );
  Deno.exit(2);
}
const dataDir = sharedDataDir();
const figures: BenchFigure[] = [];
console.log(
  `dagtrade benchmarks — ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
);
if (dataDir === undefined && groups.some((g) => g in _SHARED)) {
  console.log(
    "shared data not found (../shared/data/binance_spot_5m or $DAGTRADE_SHARED_DATA): skipping the benchmarks that need it",
  );
}
for (const group of groups) {
  const shared = _SHARED[group];
  if (shared !== undefined) {
    if (dataDir !== undefined) figures.push(...await shared(dataDir));
  } else {
    figures.push(...await (_STANDALONE[group] as () => Promise<BenchFigure[]>)());
  }
}
const w = Math.max(...figures.map((f) => f.name.length), 10);
for (const f of figures) {
  console.log(
    `${f.name.padEnd(w)}  ${String(f.value).padStart(14)} ${f.unit.padEnd(8)} ${f.note ?? ""}`,
  );
}
