/**
 * The small SQL connection interface both OMS database backends implement, so that the table
 * logic (`_sql_oms_database.ts`) is written once and SQLite and PostgreSQL run the same
 * statements: `$1, $2, …` placeholders, `ON CONFLICT` upserts, `ORDER BY` on every read.
 *
 * Value conventions, identical in both backends:
 * - doubles are `DOUBLE PRECISION` (SQLite: REAL affinity) and round-trip bit for bit, except
 *   NaN, which is stored as NULL (SQLite cannot store NaN) and read back as NaN, and −0,
 *   which both backends read back as 0;
 * - integers (epoch ms, asset ids, counts) are `BIGINT`/`INTEGER` and are read back as JS
 *   numbers (safe integers only);
 * - booleans are `BOOLEAN` in PostgreSQL and 0/1 in SQLite, read back as `true`/`false`.
 */

/** A value bound to a statement parameter. */
export type SqlValue = string | number | boolean | null;

/** A result row as the driver returns it (column name → value). */
export type SqlRow = Record<string, unknown>;

/** The SQL dialect of a connection. */
export type SqlDialect = "sqlite" | "postgres";

/** One database connection (or pool) that runs parameterized statements. */
export interface SqlConn {
  /** The backend's dialect (only DDL differs between them). */
  readonly dialect: SqlDialect;
  /** Runs a query and returns its rows. Placeholders are `$1, $2, …`. */
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * `fn` must use the `tx` connection it is given, never the outer one (deadlock).
   */
  transaction<T>(fn: (tx: SqlConn) => Promise<T>): Promise<T>;
  /** Closes the connection; further calls fail. */
  close(): Promise<void>;
}

/** A double for binding: NaN becomes NULL (the stored form of NaN in both backends). */
export function _dbl(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** A double read back: NULL is NaN. */
export function _toDbl(v: unknown, column: string): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  throw new TypeError(`OMS database: column ${column} is not a number: ${String(v)}`);
}

/** An integer read back (epoch ms, id, count); must be a safe integer. */
export function _toInt(v: unknown, column: string): number {
  const x = typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : v;
  if (typeof x !== "number" || !Number.isSafeInteger(x)) {
    throw new TypeError(`OMS database: column ${column} is not a safe integer: ${String(v)}`);
  }
  return x;
}

/** A nullable integer read back. */
export function _toIntOrNull(v: unknown, column: string): number | null {
  return v === null || v === undefined ? null : _toInt(v, column);
}

/** A string read back. */
export function _toStr(v: unknown, column: string): string {
  if (typeof v !== "string") {
    throw new TypeError(`OMS database: column ${column} is not a string: ${String(v)}`);
  }
  return v;
}

/** A boolean read back (PostgreSQL `true`/`false`, SQLite 0/1). */
export function _toBool(v: unknown, column: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  throw new TypeError(`OMS database: column ${column} is not a boolean: ${String(v)}`);
}

/** Checks that an integer to be bound is a safe integer (ids, epoch ms, counts). */
export function _int(x: number, what: string): number {
  if (!Number.isSafeInteger(x)) {
    throw new RangeError(`OMS database: ${what} must be a safe integer, got ${x}`);
  }
  return x;
}
