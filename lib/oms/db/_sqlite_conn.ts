/**
 * `SqlConn` over `node:sqlite` (`DatabaseSync`). Statements are synchronous; an async mutex
 * serializes callers so that a transaction's statements never interleave with another
 * caller's in the same process. Other processes are kept out by SQLite's own locking
 * (`BEGIN IMMEDIATE`, WAL journal, a busy timeout). Files use `synchronous = NORMAL` (see the
 * constructor: commits survive a process crash, the last ones may not survive a power loss).
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqlConn, SqlRow, SqlValue } from "./_sql_conn.ts";

/** Options of `_SqliteConn`. */
export interface _SqliteConnOptions {
  /** How long a statement waits for another process's lock, ms. Default: 10_000. */
  busyTimeoutMs?: number;
}

type _Bound = string | number | null;

function _bind(params: readonly SqlValue[]): _Bound[] {
  return params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
}

/** `$1` → `?1`: SQLite's numbered parameters. */
function _sqliteText(sql: string): string {
  return sql.replace(/\$(\d+)/g, "?$1");
}

/** A connection to one SQLite file (or `:memory:`). */
export class _SqliteConn implements SqlConn {
  /** Always "sqlite". */
  readonly dialect = "sqlite" as const;
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();
  #lock: Promise<void> = Promise.resolve();
  #closed = false;

  /** Opens (creating when missing) the database file at `path`. */
  constructor(path: string, options: _SqliteConnOptions = {}) {
    this.#db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 10_000 });
    if (path !== ":memory:") {
      this.#db.exec("PRAGMA journal_mode = WAL");
      // Durability trade-off: in WAL mode, `synchronous = NORMAL` syncs the WAL at checkpoints
      // only, not at every commit (FULL, the default, fsyncs at every commit: the most costly
      // part of a small transaction). A committed transaction survives the process being
      // killed or crashing (it is in the WAL, in the OS's cache); an operating-system crash or
      // a power loss may roll back the last transactions committed before it, but never
      // corrupts the database (it stays consistent, as of an earlier commit).
      this.#db.exec("PRAGMA synchronous = NORMAL");
    }
    this.#db.exec("PRAGMA foreign_keys = ON");
  }

  #stmt(sql: string): StatementSync {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(_sqliteText(sql));
      this.#cache.set(sql, s);
    }
    return s;
  }

  #allNow(sql: string, params: readonly SqlValue[]): SqlRow[] {
    return this.#stmt(sql).all(..._bind(params)) as SqlRow[];
  }

  #runNow(sql: string, params: readonly SqlValue[]): number {
    return Number(this.#stmt(sql).run(..._bind(params)).changes);
  }

  async #locked<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.#closed) throw new Error("the SQLite connection is closed");
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Runs a query under the lock. */
  all(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.#locked(() => this.#allNow(sql, params));
  }

  /** Runs a statement under the lock. */
  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#locked(() => this.#runNow(sql, params));
  }

  /** `BEGIN IMMEDIATE` … `COMMIT` (or `ROLLBACK`), holding the lock throughout. */
  transaction<T>(fn: (tx: SqlConn) => Promise<T>): Promise<T> {
    return this.#locked(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      const tx: SqlConn = {
        dialect: "sqlite",
        all: (sql, params = []) => Promise.resolve(this.#allNow(sql, params)),
        run: (sql, params = []) => Promise.resolve(this.#runNow(sql, params)),
        transaction: (inner) => inner(tx),
        close: () => Promise.reject(new Error("cannot close a connection inside a transaction")),
      };
      try {
        const result = await fn(tx);
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        try {
          this.#db.exec("ROLLBACK");
        } catch {
          // SQLite already rolled back (e.g. after SQLITE_FULL); the original error matters.
        }
        throw error;
      }
    });
  }

  /** Closes the database (after any running statement or transaction). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#locked(() => {
      this.#closed = true;
      this.#cache.clear();
      this.#db.close();
    });
  }
}
