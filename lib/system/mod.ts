/**
 * The production system (DESIGN §5, §8, §9): the system loop shared by `simulate` and
 * `run-prod` (`TradingSystem`), its system log directory (`SystemLog`, `CsvStream`), the OMS
 * database recording (`OmsRecorder`, `CurrentPositionsTracker`, `DeferredDbPortfolioStore`, the
 * commit batches and the `OmsCommitWorker` thread that writes them),
 * the `simulate` mode (`buildSimulateConfig`, `runSimulation`) and the `run-prod` mode
 * (`buildRunProdConfig`, `runProd`, its executions, risk controls, startup recovery and
 * reconciliation, run directories, API keys). It depends on `dag`, `oms` and `sim`, which do not
 * depend on each other.
 */
export * from "./trading_system.ts";
export * from "./csv_stream.ts";
export * from "./system_log.ts";
export * from "./current_positions_tracker.ts";
export * from "./deferred_db_portfolio_store.ts";
export * from "./oms_commit_batch.ts";
export * from "./oms_commit_codec.ts";
export * from "./oms_commit_worker.ts";
export * from "./oms_recorder.ts";
export * from "./simulate_settings.ts";
export * from "./run_simulation.ts";
export * from "./prod_run_dir.ts";
export * from "./api_keys.ts";
export * from "./scaled_clock.ts";
export * from "./run_lock.ts";
export * from "./risk_controls.ts";
export * from "./risk_controlled_broker.ts";
export * from "./decision_latency.ts";
export * from "./broker_journal.ts";
export * from "./parent_order_recovery.ts";
export * from "./startup_reconciliation.ts";
export * from "./prod_execution.ts";
export * from "./simulated_execution.ts";
export * from "./ccxt_execution.ts";
export * from "./run_prod_settings.ts";
export * from "./run_prod.ts";
