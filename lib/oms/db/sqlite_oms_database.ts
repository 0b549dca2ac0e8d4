/** `SqliteOmsDatabase`: the OMS database in one SQLite file (the default, `<run dir>/oms.sqlite`). */
import { dirname } from "node:path";
import { _migrate } from "./_migrations.ts";
import { _SqliteConn } from "./_sqlite_conn.ts";
import { _SqlOmsDatabase } from "./_sql_oms_database.ts";
import { OmsDatabaseError } from "./oms_database_error.ts";

/** Options of `SqliteOmsDatabase.open`. */
export interface SqliteOmsDatabaseOptions {
  /**
   * How long a statement waits for another process's lock on the file, ms. Default: 10_000.
   */
  busyTimeoutMs?: number;
}

/**
 * The OMS tables in a SQLite file (`node:sqlite`), WAL journal. Several processes may open the
 * same file (SQLite serializes writers), but the intended use is one process, with the
 * `OrderProcessor` called in-process. Open with `await SqliteOmsDatabase.open(path)`.
 */
export class SqliteOmsDatabase extends _SqlOmsDatabase {
  /** Use `SqliteOmsDatabase.open`. */
  private constructor(conn: _SqliteConn, path: string) {
    super(conn, "sqlite", path);
  }

  /**
   * Opens (creating the file and its directory when missing) the database at `path`
   * (`:memory:` for a private in-memory one) and runs the schema migrations.
   */
  static async open(
    path: string,
    options: SqliteOmsDatabaseOptions = {},
  ): Promise<SqliteOmsDatabase> {
    let conn: _SqliteConn | undefined;
    try {
      if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
      conn = new _SqliteConn(
        path,
        options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
      );
      await _migrate(conn);
      return new SqliteOmsDatabase(conn, path);
    } catch (error) {
      await conn?.close().catch(() => {});
      const detail = error instanceof Error ? error.message : String(error);
      throw new OmsDatabaseError(
        `Cannot open the OMS database ${path}: ${detail}; check the path (--db) and that ` +
          `it is a dagtrade SQLite file`,
        { cause: error },
      );
    }
  }
}
