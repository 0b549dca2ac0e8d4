/**
 * Simulation and market data (DESIGN §3, §5): the bar contract, clocks and the scheduler,
 * market data gated by knowledge time, and snapshot/store IO with validation.
 */
export * from "./bar_schema.ts";
export * from "./clock.ts";
export * from "./clock_error.ts";
export * from "./static_clock.ts";
export * from "./real_clock.ts";
export * from "./replayed_clock.ts";
export * from "./scheduler.ts";
export * from "./market_data.ts";
export * from "./frame_market_data.ts";
export * from "./asset_id.ts";
export * from "./validate_bars.ts";
export * from "./gap_report.ts";
export * from "./snapshot.ts";
export * from "./store.ts";
export * from "./read_bars.ts";
export * from "./freqtrade_import.ts";
export * from "./bars_summary.ts";
export * from "./translate_ccxt_error.ts";
export * from "./with_retries.ts";
export * from "./ccxt_ohlcv_fetcher.ts";
export * from "./ccxt_exchange.ts";
export * from "./ohlcv_to_bars.ts";
export * from "./store_dump_plan.ts";
export * from "./dump_ohlcv.ts";
export * from "./exchange_emulator/mod.ts";
export * from "./ccxt_market_data.ts";
