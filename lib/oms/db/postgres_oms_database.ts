/** `PostgresOmsDatabase`: the OMS database in a PostgreSQL schema, shared by processes. */
import { _migrate } from "./_migrations.ts";
import { _openPostgresConn } from "./_postgres_conn.ts";
import type { SqlConn } from "./_sql_conn.ts";
import { _SqlOmsDatabase } from "./_sql_oms_database.ts";
import { OmsDatabaseError } from "./oms_database_error.ts";

/** The schema used when neither the options nor the URL (`?schema=`) name one. */
export const DEFAULT_PG_SCHEMA = "dagtrade";

/** Options of `PostgresOmsDatabase.open`. */
export interface PostgresOmsDatabaseOptions {
  /**
   * The schema holding the tables, created when missing. Default: the URL's `?schema=`
   * parameter, else `DEFAULT_PG_SCHEMA` ("dagtrade").
   */
  schema?: string;
  /** Connection pool size. Default: 4. */
  maxConnections?: number;
  /** Seconds to wait for a connection. Default: 10. */
  connectTimeoutS?: number;
}

/** A PostgreSQL URL split into what postgres.js gets and what dagtrade reads itself. */
export interface PostgresTarget {
  /** The URL without dagtrade's own `schema` parameter (password kept). */
  url: string;
  /** The schema. */
  schema: string;
  /** `postgres://host:port/db?schema=…`, without user and password, for messages. */
  location: string;
}

const _SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Splits a `postgres://` / `postgresql://` URL: takes out `?schema=`, checks the schema name
 * (letters, digits, `_`; at most 63), and builds a password-free location.
 */
export function parsePostgresTarget(
  url: string,
  options: { schema?: string } = {},
): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new OmsDatabaseError(`Invalid PostgreSQL URL (expected postgres://user@host:port/db)`, {
      cause: error,
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new OmsDatabaseError(
      `Invalid PostgreSQL URL ${parsed.protocol}//…: expected postgres://user@host:port/db`,
    );
  }
  const fromUrl = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  const schema = options.schema ?? fromUrl ?? DEFAULT_PG_SCHEMA;
  if (!_SCHEMA_RE.test(schema)) {
    throw new OmsDatabaseError(
      `Invalid PostgreSQL schema name '${schema}': use letters, digits and _ (at most 63, ` +
        `not starting with a digit)`,
    );
  }
  const location = `postgres://${parsed.host}${parsed.pathname}?schema=${schema}`;
  return { url: parsed.toString(), schema, location };
}

/**
 * The OMS tables in one schema of a PostgreSQL database (postgres.js pool). Several processes
 * (the system, an `OrderProcessor`) may use the same schema at once. Open with
 * `await PostgresOmsDatabase.open(url, {schema})`.
 */
export class PostgresOmsDatabase extends _SqlOmsDatabase {
  /** The schema holding the tables. */
  readonly schema: string;

  /** Use `PostgresOmsDatabase.open`. */
  private constructor(conn: SqlConn, target: PostgresTarget) {
    super(conn, "postgres", target.location);
    this.schema = target.schema;
  }

  /**
   * Connects to `url` (e.g. `postgres://user:pw@host:5432/db?schema=dagtrade`), creates the
   * schema when missing and runs the migrations (serialized across processes by an
   * advisory lock).
   */
  static async open(
    url: string,
    options: PostgresOmsDatabaseOptions = {},
  ): Promise<PostgresOmsDatabase> {
    const target = parsePostgresTarget(url, options.schema === undefined ? {} : options);
    let conn: SqlConn | undefined;
    try {
      conn = _openPostgresConn(target.url, {
        schema: target.schema,
        max: options.maxConnections ?? 4,
        connectTimeoutS: options.connectTimeoutS ?? 10,
      });
      await _migrate(conn, { schema: target.schema });
      return new PostgresOmsDatabase(conn, target);
    } catch (error) {
      await conn?.close().catch(() => {});
      const detail = error instanceof Error ? error.message : String(error);
      throw new OmsDatabaseError(
        `Cannot open the OMS database ${target.location}: ${detail}; check that the server ` +
          `runs and the URL (--db) names a database the user may create tables in`,
        { cause: error },
      );
    }
  }
}
