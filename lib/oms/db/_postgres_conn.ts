/**
 * `SqlConn` over postgres.js (porsager/postgres). BIGINT (int8) columns are parsed to JS
 * numbers (the driver's default is a string); every connection of the pool gets
 * `search_path = <schema>` as a startup parameter, so unqualified table names resolve in the
 * run's schema.
 */
import postgres from "postgres";
import type { SqlConn, SqlRow, SqlValue } from "./_sql_conn.ts";

/** Options of `_PostgresConn`. */
export interface _PostgresConnOptions {
  /** The schema every connection uses (`search_path`). Required. */
  schema: string;
  /** Pool size. Default: 4. */
  max?: number;
  /** Seconds to wait for a connection. Default: 10. */
  connectTimeoutS?: number;
}

type _Sql = postgres.Sql<Record<string, unknown>>;
type _TxSql = postgres.TransactionSql<Record<string, unknown>>;

function _bigintToNumber(x: string): number {
  const n = Number(x);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${x} is not a safe JS integer`);
  return n;
}

function _params(params: readonly SqlValue[]): postgres.ParameterOrJSON<never>[] {
  return params as unknown as postgres.ParameterOrJSON<never>[];
}

/** Runs statements on a postgres.js `Sql` (the pool) or `TransactionSql`. */
class _PgRunner implements SqlConn {
  /** Always "postgres". */
  readonly dialect = "postgres" as const;
  readonly #sql: _Sql | _TxSql;
  readonly #end: () => Promise<void>;

  constructor(sql: _Sql | _TxSql, end: () => Promise<void>) {
    this.#sql = sql;
    this.#end = end;
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    const rows = await this.#sql.unsafe(sql, _params(params));
    return [...rows] as SqlRow[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.#sql.unsafe(sql, _params(params));
    return result.count;
  }

  transaction<T>(fn: (tx: SqlConn) => Promise<T>): Promise<T> {
    const sql = this.#sql;
    if ("savepoint" in sql) return fn(this); // already inside a transaction: flatten
    return (sql as _Sql).begin((tx) =>
      fn(new _PgRunner(tx, () => Promise.reject(new Error("cannot close inside a transaction"))))
    ) as Promise<T>;
  }

  close(): Promise<void> {
    return this.#end();
  }
}

/** Opens a pool to the PostgreSQL server at `url`, in `options.schema`. */
export function _openPostgresConn(url: string, options: _PostgresConnOptions): SqlConn {
  const sql = postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutS ?? 10,
    onnotice: () => {},
    connection: { search_path: options.schema, application_name: "dagtrade" },
    types: {
      bigint: {
        to: 20,
        from: [20],
        parse: _bigintToNumber,
        serialize: (x: number) => String(x),
      },
    },
  }) as unknown as _Sql;
  return new _PgRunner(sql, () => sql.end({ timeout: 5 }));
}
