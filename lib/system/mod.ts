/**
 * The production system (DESIGN §5, §8, §9): the system loop shared by `simulate` and
 * `run-prod` (`TradingSystem`), its system log directory (`SystemLog`, `CsvStream`), the OMS
 * database recording (`OmsRecorder`, `CurrentPositionsTracker`, `DeferredDbPortfolioStore`),
 * and the `simulate` mode (`buildSimulateConfig`, `runSimulation`). It depends on `dag`, `oms`
 * and `sim`, which do not depend on each other.
 */
export * from "./trading_system.ts";
export * from "./csv_stream.ts";
export * from "./system_log.ts";
export * from "./current_positions_tracker.ts";
export * from "./deferred_db_portfolio_store.ts";
export * from "./oms_recorder.ts";
export * from "./simulate_settings.ts";
export * from "./run_simulation.ts";
