/**
 * Test helper of run-prod: the exchange emulator serving the bundled fixture on an event-driven
 * `ReplayedClock` in this process, the real ccxt `binance` client pointed at it, and `runProd`
 * run on that clock (the same ccxt code paths as production, no waiting).
 */
import { join } from "node:path";
import ccxt from "ccxt";
import pl from "nodejs-polars";
import type { Config } from "../config/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import type { OrderRow } from "../oms/db/mod.ts";
import {
  emulatorCcxtOptions,
  type EmulatorTrade,
  type ExchangeEmulator,
  type ExchangeEmulatorOptions,
  readBars,
  ReplayedClock,
  startExchangeEmulator,
} from "../sim/mod.ts";
import { ccxtExecution } from "./ccxt_execution.ts";
import { prodRunDir } from "./prod_run_dir.ts";
import { type ProdRunResult, runProd, type RunProdOptions } from "./run_prod.ts";
import { buildRunProdConfig } from "./run_prod_settings.ts";
import { simulatedExecution } from "./simulated_execution.ts";

/** The bundled fixture snapshot. */
export const _FIXTURE: string =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;

/** The emulator's API key in these tests (grepped for in outputs). */
export const _API_KEY = "TESTKEY-7f3a9c2e41b84d0f";
/** The emulator's secret in these tests (grepped for in outputs). */
export const _SECRET = "TESTSECRET-91c4e7aa03d65f28b1";

/** What a venue test gets. */
export interface _ProdVenue {
  clock: ReplayedClock;
  emulator: ExchangeEmulator;
  exchange: InstanceType<typeof ccxt.binance>;
  root: string;
  start: number;
  end: number;
  symbols: string[];
}

/** Options of `_withProdVenue`. */
export interface _ProdVenueOptions {
  /** The run's start. Default: 2025-01-08. */
  start?: number;
  /** The run's end. Default: start + 3 h. */
  end?: number;
  /** Default: BTC/USDT, ETH/USDT. */
  symbols?: string[];
  /** Emulator options. */
  emulator?: Partial<ExchangeEmulatorOptions>;
  /** ccxt's request timeout, ms. Default: 10_000. */
  ccxtTimeoutMs?: number;
  /** Serve each bar at its end (no knowledge delay), so resting orders fill at their end. */
  knownAtEnd?: boolean;
}

/** Runs `fn` against a fresh emulator venue and a temporary root; cleans up. */
export async function _withProdVenue(
  fn: (venue: _ProdVenue) => Promise<void>,
  options: _ProdVenueOptions = {},
): Promise<void> {
  const start = options.start ?? Date.UTC(2025, 0, 8);
  const end = options.end ?? start + 3 * 3_600_000;
  const symbols = options.symbols ?? ["BTC/USDT", "ETH/USDT"];
  let bars = await readBars(_FIXTURE, {
    symbols,
    start: start - 2 * 86_400_000,
    end: end + 86_400_000,
  });
  if (options.knownAtEnd) bars = bars.withColumns(pl.col("timestamp").alias("knowledge_timestamp"));
  const clock = new ReplayedClock(start);
  const emulator = await startExchangeEmulator(bars, {
    clock,
    balances: { USDT: 1_000_000 },
    apiKey: _API_KEY,
    secret: _SECRET,
    ...options.emulator,
  });
  const root = await Deno.makeTempDir({ prefix: "dagtrade_run_prod_" });
  try {
    const exchange = new ccxt.binance({
      ...emulatorCcxtOptions(emulator),
      timeout: options.ccxtTimeoutMs ?? 10_000,
    });
    await fn({ clock, emulator, exchange, root, start, end, symbols });
  } finally {
    await emulator.close();
    await Deno.remove(root, { recursive: true });
  }
}

/** The effective config of a sma_cross run on the venue's symbols, plus `--set` overrides. */
export function _prodConfig(venue: _ProdVenue, overrides: string[] = []): Config {
  return buildRunProdConfig({
    builder: getBuilder("sma_cross"),
    settings: { symbols: venue.symbols, style: "signal", sizing: "gmv", fee_bps: 10 },
    overrides: ["run_prod.poll_delay_ms=10000", ...overrides],
  });
}

/** Options of `_runProdOnVenue`: `runProd`'s, plus tasks to run beside it on the clock. */
export type _RunOnVenueOptions = Partial<RunProdOptions> & {
  mode: "paper" | "prod";
  /** Tasks spawned on the clock beside the run (e.g. a kill switch created at some time). */
  beside?: (() => Promise<void>)[];
};

/** Runs `runProd` on the venue's clock; returns the result and the run directory. */
export async function _runProdOnVenue(
  venue: _ProdVenue,
  config: Config,
  options: _RunOnVenueOptions,
): Promise<{ result: ProdRunResult; runDir: string }> {
  const runDir = prodRunDir(venue.root, {
    dag: "sma_cross",
    mode: options.mode,
    start: options.start ?? venue.start,
    end: options.end ?? venue.end,
  });
  const { beside = [], ...rest } = options;
  const result = await runProd(config, {
    runDir,
    start: venue.start,
    end: venue.end,
    version: "test",
    clock: venue.clock,
    runTasks: (main) =>
      venue.clock.run(() => {
        for (const task of beside) venue.clock.spawn(task);
        return main();
      }),
    exchange: venue.exchange,
    execution: options.mode === "prod" ? ccxtExecution(venue.exchange) : simulatedExecution(),
    timer: _stepTimer(),
    secrets: [_API_KEY, _SECRET],
    ...rest,
  });
  return { result, runDir };
}

/** Every trade of the emulator on `symbol` (Binance symbol, e.g. `BTCUSDT`). */
export function _emulatorTrades(emulator: ExchangeEmulator, symbol: string): EmulatorTrade[] {
  return emulator.engine.trades(symbol, { limit: 1_000_000, fromId: 0 });
}

/** Every order the emulator knows on `symbol`. */
export function _emulatorOrders(emulator: ExchangeEmulator, symbol: string) {
  return emulator.engine.orders(symbol, { limit: 1_000_000, orderId: 0 });
}

/** POST /api/v3/order requests that reached the matching engine, per client order id. */
export function _creations(emulator: ExchangeEmulator): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of emulator.requests()) {
    if (r.method !== "POST" || r.path !== "/api/v3/order") continue;
    const reached = r.fault === "drop_after" || (r.fault === undefined && r.status === 200);
    if (!reached) continue;
    const id = r.params.newClientOrderId ?? "";
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** The per-bar statistics of a consolidated run directory. */
export function _statistics(runDir: string): pl.DataFrame {
  return pl.readParquet(join(runDir, "process_forecasts", "portfolio", "statistics.parquet"));
}

/** The last holdings of each asset in a consolidated run directory. */
export function _finalHoldings(runDir: string): Map<number, number> {
  const df = pl.readParquet(join(runDir, "process_forecasts", "portfolio", "positions.parquet"));
  const ids = df.getColumn("asset_id").cast(pl.Float64).toArray() as number[];
  const shares = df.getColumn("holdings_shares").toArray() as number[];
  const out = new Map<number, number>();
  ids.forEach((id, i) => out.set(id, shares[i] as number));
  return out;
}

/** Orders per id from rows (helper for one-fill-per-order checks). */
export function _byOrder<T extends { orderId: number }>(rows: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) out.set(r.orderId, [...(out.get(r.orderId) ?? []), r]);
  return out;
}

/** Open order rows (for checks after a run). */
export function _openRows(rows: readonly OrderRow[]): OrderRow[] {
  return rows.filter((r) => r.state === "accepted" || r.state === "partially_filled");
}

/** A deterministic test timer: each read advances by 1 ms (exercises the profiling paths without the wall clock). */
function _stepTimer(): () => number {
  let t = 0;
  return () => ++t;
}
