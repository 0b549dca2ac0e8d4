/**
 * Versioned schema migrations of the OMS database, run on every open. The applied versions are
 * rows of `schema_migrations`; each missing migration runs, in order, inside one transaction
 * that also records it, so opening twice (or from two processes at once) applies nothing
 * twice. Both backends get the same logical schema; only the spelling of BOOLEAN differs
 * (SQLite has none: INTEGER 0/1).
 */
import type { SqlConn, SqlDialect } from "./_sql_conn.ts";

/** One migration: a version, a name, and its DDL for a dialect. */
export interface _Migration {
  /** Version, consecutive from 1. */
  version: number;
  /** Short description. */
  name: string;
  /** The statements, run in order. */
  statements(dialect: SqlDialect): string[];
}

/**
 * TEXT, compared byte by byte in both backends (PostgreSQL's default collation follows the
 * locale, which would order keys differently from SQLite).
 */
function _text(d: SqlDialect): string {
  return d === "postgres" ? 'TEXT COLLATE "C"' : "TEXT";
}

function _bool(d: SqlDialect): string {
  return d === "postgres" ? "BOOLEAN" : "INTEGER";
}

/** Every migration, in version order. */
export const _MIGRATIONS: readonly _Migration[] = [
  {
    version: 1,
    name: "runs, submitted_orders, accepted_orders, orders, fills, current_positions",
    statements: (d) => [
      `CREATE TABLE runs (
        id ${_text(d)} PRIMARY KEY,
        mode ${_text(d)} NOT NULL,
        strategy ${_text(d)} NOT NULL,
        config_hash ${_text(d)} NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT,
        status ${_text(d)} NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)`,
      `CREATE TABLE submitted_orders (
        run_id ${_text(d)} NOT NULL REFERENCES runs (id),
        filename ${_text(d)} NOT NULL,
        timestamp_db BIGINT NOT NULL,
        orders_as_txt ${_text(d)} NOT NULL,
        PRIMARY KEY (run_id, filename))`,
      `CREATE TABLE accepted_orders (
        run_id ${_text(d)} NOT NULL,
        filename ${_text(d)} NOT NULL,
        strategyid ${_text(d)} NOT NULL,
        targetlistid INTEGER NOT NULL,
        tradedate ${_text(d)} NOT NULL,
        instanceid INTEGER NOT NULL,
        timestamp_processed BIGINT NOT NULL,
        timestamp_db BIGINT NOT NULL,
        target_count INTEGER NOT NULL,
        changed_count INTEGER NOT NULL,
        unchanged_count INTEGER NOT NULL,
        cancel_count INTEGER NOT NULL,
        success ${_bool(d)} NOT NULL,
        reason ${_text(d)} NOT NULL,
        PRIMARY KEY (run_id, filename),
        FOREIGN KEY (run_id, filename) REFERENCES submitted_orders (run_id, filename))`,
      `CREATE TABLE orders (
        run_id ${_text(d)} NOT NULL REFERENCES runs (id),
        order_id BIGINT NOT NULL,
        filename ${_text(d)} NOT NULL,
        asset_id BIGINT NOT NULL,
        type ${_text(d)} NOT NULL,
        creation_time BIGINT NOT NULL,
        start_time BIGINT NOT NULL,
        end_time BIGINT NOT NULL,
        curr_shares DOUBLE PRECISION,
        diff_shares DOUBLE PRECISION,
        limit_price DOUBLE PRECISION,
        target_weight DOUBLE PRECISION,
        state ${_text(d)} NOT NULL,
        filled_shares DOUBLE PRECISION,
        order_txt ${_text(d)} NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (run_id, order_id))`,
      `CREATE INDEX orders_by_batch ON orders (run_id, filename, order_id)`,
      `CREATE TABLE fills (
        run_id ${_text(d)} NOT NULL REFERENCES runs (id),
        fill_id BIGINT NOT NULL,
        order_id BIGINT NOT NULL,
        asset_id BIGINT NOT NULL,
        timestamp BIGINT NOT NULL,
        shares DOUBLE PRECISION,
        price DOUBLE PRECISION,
        fee DOUBLE PRECISION,
        PRIMARY KEY (run_id, fill_id))`,
      `CREATE INDEX fills_by_order ON fills (run_id, order_id, fill_id)`,
      `CREATE TABLE current_positions (
        run_id ${_text(d)} NOT NULL REFERENCES runs (id),
        strategyid ${_text(d)} NOT NULL,
        account ${_text(d)} NOT NULL,
        asset_id BIGINT NOT NULL,
        tradedate ${_text(d)} NOT NULL,
        timestamp_db BIGINT NOT NULL,
        target_position DOUBLE PRECISION,
        current_position DOUBLE PRECISION,
        open_quantity DOUBLE PRECISION,
        net_cost DOUBLE PRECISION,
        bod_position DOUBLE PRECISION,
        bod_price DOUBLE PRECISION,
        PRIMARY KEY (run_id, account, asset_id))`,
    ],
  },
  {
    version: 2,
    name: "portfolio_statistics, portfolio_assets, portfolio_state, portfolio_positions",
    statements: (d) => [
      `CREATE TABLE portfolio_statistics (
        run_id ${_text(d)} NOT NULL,
        timestamp BIGINT NOT NULL,
        pnl DOUBLE PRECISION,
        gross_volume DOUBLE PRECISION,
        net_volume DOUBLE PRECISION,
        gmv DOUBLE PRECISION,
        nmv DOUBLE PRECISION,
        fees DOUBLE PRECISION,
        cash DOUBLE PRECISION,
        net_wealth DOUBLE PRECISION,
        leverage DOUBLE PRECISION,
        num_trades INTEGER NOT NULL,
        PRIMARY KEY (run_id, timestamp))`,
      `CREATE TABLE portfolio_assets (
        run_id ${_text(d)} NOT NULL,
        timestamp BIGINT NOT NULL,
        asset_id BIGINT NOT NULL,
        holdings_shares DOUBLE PRECISION,
        holdings_notional DOUBLE PRECISION,
        executed_trades_shares DOUBLE PRECISION,
        executed_trades_notional DOUBLE PRECISION,
        fees DOUBLE PRECISION,
        pnl DOUBLE PRECISION,
        price DOUBLE PRECISION,
        PRIMARY KEY (run_id, timestamp, asset_id))`,
      `CREATE TABLE portfolio_state (
        run_id ${_text(d)} PRIMARY KEY,
        timestamp BIGINT NOT NULL,
        cash DOUBLE PRECISION)`,
      `CREATE TABLE portfolio_positions (
        run_id ${_text(d)} NOT NULL,
        asset_id BIGINT NOT NULL,
        shares DOUBLE PRECISION,
        mark DOUBLE PRECISION,
        PRIMARY KEY (run_id, asset_id))`,
    ],
  },
];

/** The schema version this code writes (the last migration's). */
export const OMS_SCHEMA_VERSION: number = _MIGRATIONS[_MIGRATIONS.length - 1]?.version ?? 0;

/** Options of `_migrate`. */
export interface _MigrateOptions {
  /** PostgreSQL: the schema to create (when missing) and lock on. Default: none (SQLite). */
  schema?: string;
  /** The migrations to apply. Default: `_MIGRATIONS`. */
  migrations?: readonly _Migration[];
}

/**
 * Brings the database to the newest schema; returns the versions applied now (empty when it
 * was up to date). Throws when the database has a version this code does not know.
 */
export function _migrate(conn: SqlConn, options: _MigrateOptions = {}): Promise<number[]> {
  const migrations = options.migrations ?? _MIGRATIONS;
  return conn.transaction(async (tx) => {
    if (tx.dialect === "postgres") {
      const schema = options.schema;
      if (schema === undefined) throw new Error("_migrate: a PostgreSQL schema is required");
      // Serializes concurrent opens of the same schema (other processes, parallel tests).
      await tx.all("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)", [`dagtrade:${schema}`]);
      await tx.run(`CREATE SCHEMA IF NOT EXISTS ${_quoteIdent(schema)}`);
    }
    await tx.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    );
    const rows = await tx.all("SELECT version FROM schema_migrations ORDER BY version");
    const have = new Set(rows.map((r) => Number(r["version"])));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...have].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(
        `the database has schema version ${Math.max(...unknown)}, newer than this dagtrade ` +
          `knows (${migrations.at(-1)?.version ?? 0}); use a newer dagtrade or another database`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (have.has(m.version)) continue;
      for (const statement of m.statements(tx.dialect)) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** A double-quoted SQL identifier. */
export function _quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
