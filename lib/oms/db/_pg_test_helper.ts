/**
 * Test helpers for the OMS database: the PostgreSQL URL of the test server
 * (`DAGTRADE_TEST_PG_URL`; PG tests are ignored, never passed, when unset), a fresh schema per
 * test dropped at the end, and a runner of a test body against both backends.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { _quoteIdent } from "./_migrations.ts";
import { _openPostgresConn } from "./_postgres_conn.ts";
import type { OmsDatabase } from "./oms_database.ts";
import { PostgresOmsDatabase } from "./postgres_oms_database.ts";
import { SqliteOmsDatabase } from "./sqlite_oms_database.ts";

/** The test server's URL, or undefined (then PG tests are `ignore`d). */
export const PG_TEST_URL: string | undefined = Deno.env.get("DAGTRADE_TEST_PG_URL") || undefined;

/** A fresh schema name `dagtrade_test_<random>`. */
export function _testSchemaName(): string {
  return `dagtrade_test_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

/** Drops a test schema and everything in it. */
export async function _dropSchema(url: string, schema: string): Promise<void> {
  const conn = _openPostgresConn(url, { schema: "public", max: 1 });
  try {
    await conn.run(`DROP SCHEMA IF EXISTS ${_quoteIdent(schema)} CASCADE`);
  } finally {
    await conn.close();
  }
}

/** Runs `fn` with a fresh schema name on the test server, dropping the schema afterwards. */
export async function _withPgSchema(
  fn: (url: string, schema: string) => Promise<void>,
): Promise<void> {
  if (PG_TEST_URL === undefined) throw new Error("DAGTRADE_TEST_PG_URL is not set");
  const schema = _testSchemaName();
  try {
    await fn(PG_TEST_URL, schema);
  } finally {
    await _dropSchema(PG_TEST_URL, schema);
  }
}

/** Opens a fresh database of the given backend for one test. */
export interface _BackendFixture {
  /** "sqlite" or "postgres". */
  kind: "sqlite" | "postgres";
  /** Opens (again) the same database. */
  open(): Promise<OmsDatabase>;
}

/**
 * Registers `Deno.test("<name> [sqlite]")` and `Deno.test("<name> [postgres]")`; the PG one is
 * ignored when `DAGTRADE_TEST_PG_URL` is unset. `fn` gets a fixture that opens the test's
 * own database (a temp SQLite file, or a fresh PG schema), removed afterwards.
 */
export function _testBothBackends(
  name: string,
  fn: (fixture: _BackendFixture) => Promise<void>,
): void {
  Deno.test(`${name} [sqlite]`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dagtrade_oms_db_" });
    try {
      const path = join(dir, "oms.sqlite");
      await fn({ kind: "sqlite", open: () => SqliteOmsDatabase.open(path) });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  Deno.test({
    name: `${name} [postgres]`,
    ignore: PG_TEST_URL === undefined,
    fn: () =>
      _withPgSchema((url, schema) =>
        fn({ kind: "postgres", open: () => PostgresOmsDatabase.open(url, { schema }) })
      ),
  });
}
