/**
 * The exchange emulator (DESIGN §11): a Binance-spot-speaking HTTP server for ccxt, serving a
 * bars snapshot on a clock, with matching, balances and fault injection.
 */
export * from "./exchange_emulator.ts";
export * from "./binance_api_error.ts";
export * from "./binance_interval.ts";
export * from "./binance_signature.ts";
export * from "./emulator_account.ts";
export * from "./emulator_market.ts";
export * from "./emulator_router.ts";
export * from "./fault_injector.ts";
export * from "./market_filters.ts";
export * from "./matching_engine.ts";
export * from "./spot_api.ts";
