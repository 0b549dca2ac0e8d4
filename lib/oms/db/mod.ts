/**
 * The OMS database (DESIGN §8): the `OmsDatabase` interface with its SQLite (default,
 * `<run dir>/oms.sqlite`) and PostgreSQL (`postgres://…`) backends, versioned migrations run
 * on open, the submitting side (`submitOrderBatch`, `waitForAcceptance`), the
 * `OrderProcessor`, the database-backed `PortfolioStore`, and `dumpTables`.
 */
export * from "./oms_rows.ts";
export * from "./oms_database.ts";
export * from "./oms_database_error.ts";
export { OMS_SCHEMA_VERSION } from "./_migrations.ts";
export * from "./sqlite_oms_database.ts";
export * from "./postgres_oms_database.ts";
export * from "./open_oms_database.ts";
export * from "./oms_row_conversions.ts";
export * from "./submit_order_batch.ts";
export * from "./current_positions.ts";
export * from "./order_processor.ts";
export * from "./db_portfolio_store.ts";
export * from "./dump_tables.ts";
