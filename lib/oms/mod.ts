/**
 * Order management and research PnL (DESIGN §7, §8): the target-position function shared by
 * the forecast evaluator and the production Optimizer, the fill conventions shared by the
 * evaluator and the simulated broker, the portfolio accounting, and the forecast evaluator.
 */
export * from "./target_positions.ts";
export * from "./fill_prices.ts";
export * from "./portfolio_accounting.ts";
export * from "./forecast_evaluator.ts";
