/**
 * Tiled historical backtests (DESIGN §7): tile plans, shards, the tile runner with its success
 * markers, worker processes, the merge into a portfolio, and `runBacktest` which ties them
 * together for `dagtrade backtest`.
 */
export * from "./tile_plan.ts";
export * from "./shard_spec.ts";
export * from "./backtest_data.ts";
export * from "./backtest_settings.ts";
export * from "./backtest_plan.ts";
export * from "./backtest_dir.ts";
export * from "./backtest_log.ts";
export * from "./tile_marker.ts";
export * from "./tile_runner.ts";
export * from "./worker_pool.ts";
export * from "./tile_worker.ts";
export * from "./merge_backtest.ts";
export * from "./run_backtest.ts";
