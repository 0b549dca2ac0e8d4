/** `openOmsDatabase`: opens the OMS database a `--db` spec names (SQLite or PostgreSQL). */
import { join } from "node:path";
import { UsageError } from "../../errors/mod.ts";
import type { OmsDatabase } from "./oms_database.ts";
import { PostgresOmsDatabase } from "./postgres_oms_database.ts";
import { SqliteOmsDatabase } from "./sqlite_oms_database.ts";

/** The file name of the default SQLite database in a run directory. */
export const DEFAULT_OMS_SQLITE_FILE = "oms.sqlite";

/** What a database spec resolves to. */
export type OmsDatabaseTarget =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string };

/** Options of `resolveOmsDatabaseSpec` and `openOmsDatabase`. */
export interface OmsDatabaseSpecOptions {
  /**
   * The run directory: the default database is `<runDir>/oms.sqlite`. Default: none (then a
   * spec is required).
   */
  runDir?: string;
}

/**
 * Resolves a database spec: empty/undefined or `sqlite:` → `<runDir>/oms.sqlite`;
 * `sqlite:<path>` or a plain path → that SQLite file (`:memory:` for a private in-memory
 * database); `postgres://…` / `postgresql://…` → PostgreSQL (schema from `?schema=`, default
 * `dagtrade`). Throws `UsageError` for other URL schemes.
 */
export function resolveOmsDatabaseSpec(
  spec: string | undefined,
  options: OmsDatabaseSpecOptions = {},
): OmsDatabaseTarget {
  const text = (spec ?? "").trim();
  if (/^postgres(ql)?:\/\//i.test(text)) return { kind: "postgres", url: text };
  const path = text.startsWith("sqlite:") ? text.slice("sqlite:".length) : text;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new UsageError(
      `Unsupported OMS database '${path.replace(/\/\/[^@/]*@/, "//…@")}': use a SQLite file ` +
        `path, sqlite:<path>, or postgres://user@host:port/db[?schema=name]`,
    );
  }
  if (path !== "") return { kind: "sqlite", path };
  if (options.runDir === undefined) {
    throw new UsageError(
      "No OMS database given and no run directory for the default oms.sqlite: pass --db",
    );
  }
  return { kind: "sqlite", path: join(options.runDir, DEFAULT_OMS_SQLITE_FILE) };
}

/** Opens (and migrates) the database a spec names; see `resolveOmsDatabaseSpec`. */
export async function openOmsDatabase(
  spec: string | undefined,
  options: OmsDatabaseSpecOptions = {},
): Promise<OmsDatabase> {
  const target = resolveOmsDatabaseSpec(spec, options);
  return target.kind === "postgres"
    ? await PostgresOmsDatabase.open(target.url)
    : await SqliteOmsDatabase.open(target.path);
}
