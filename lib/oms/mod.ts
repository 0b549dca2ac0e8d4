/**
 * Order management and research PnL (DESIGN §7, §8): the target-position function shared by
 * the forecast evaluator and the production Optimizer, the fill conventions shared by the
 * evaluator and the simulated broker, the portfolio accounting, and the forecast evaluator;
 * orders, fills, brokers, the portfolio and its store contract, the optimizer and the per-bar
 * `processForecasts`.
 */
export * from "./target_positions.ts";
export * from "./fill_prices.ts";
export * from "./portfolio_accounting.ts";
export * from "./forecast_evaluator.ts";
export * from "./id_counter.ts";
export * from "./order_state.ts";
export * from "./order.ts";
export * from "./fill.ts";
export * from "./broker.ts";
export * from "./simulated_broker.ts";
export * from "./portfolio_store.ts";
export * from "./in_memory_portfolio_store.ts";
export * from "./portfolio.ts";
export * from "./exchange_limits.ts";
export * from "./optimizer.ts";
export * from "./process_forecasts.ts";
export * from "./ccxt_exchange_limits.ts";
export * from "./child_order_waves.ts";
export * from "./ccxt_broker_log.ts";
export * from "./run_branches.ts";
export * from "./ccxt_broker.ts";
