import assert from "node:assert/strict";
import { _withPgSchema, PG_TEST_URL } from "./_pg_test_helper.ts";
import { _openPostgresConn } from "./_postgres_conn.ts";
import { OmsDatabaseError } from "./oms_database_error.ts";
import { parsePostgresTarget, PostgresOmsDatabase } from "./postgres_oms_database.ts";

const ignore = PG_TEST_URL === undefined;

Deno.test("parsePostgresTarget() takes out ?schema= and hides the password", () => {
  const t = parsePostgresTarget(
    "postgres://bob:secret@db.example:6543/oms?schema=s1&sslmode=require",
  );
  assert.equal(t.schema, "s1");
  assert.equal(t.url, "postgres://bob:secret@db.example:6543/oms?sslmode=require");
  assert.equal(t.location, "postgres://db.example:6543/oms?schema=s1");
  assert.equal(parsePostgresTarget("postgresql://h/db").schema, "dagtrade");
  assert.equal(parsePostgresTarget("postgres://h/db?schema=a", { schema: "b" }).schema, "b");
  assert.throws(
    () => parsePostgresTarget("postgres://h/db?schema=x;drop"),
    /Invalid PostgreSQL schema/,
  );
  assert.throws(() => parsePostgresTarget("mysql://h/db"), OmsDatabaseError);
  assert.throws(() => parsePostgresTarget("not a url"), OmsDatabaseError);
});

Deno.test({
  name: "PostgresOmsDatabase.open() creates its tables in its own schema only",
  ignore,
  fn: () =>
    _withPgSchema(async (url, schema) => {
      const db = await PostgresOmsDatabase.open(`${url}?schema=${schema}`);
      try {
        assert.equal(db.schema, schema);
        assert.match(db.location, new RegExp(`\\?schema=${schema}$`));
      } finally {
        await db.close();
      }
      const conn = _openPostgresConn(url, { schema: "public", max: 1 });
      try {
        const rows = await conn.all(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1
           ORDER BY table_name`,
          [schema],
        );
        assert.deepEqual(rows.map((r) => r["table_name"]), [
          "accepted_orders",
          "current_positions",
          "fills",
          "orders",
          "portfolio_assets",
          "portfolio_positions",
          "portfolio_state",
          "portfolio_statistics",
          "runs",
          "schema_migrations",
          "submitted_orders",
        ]);
      } finally {
        await conn.close();
      }
    }),
});

Deno.test({
  name: "PostgresOmsDatabase.open() from several connections at once migrates once",
  ignore,
  fn: () =>
    _withPgSchema(async (url, schema) => {
      const dbs = await Promise.all(
        [0, 1, 2, 3].map(() => PostgresOmsDatabase.open(url, { schema })),
      );
      try {
        for (const db of dbs) assert.deepEqual(await db.schemaVersions(), [1, 2]);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    }),
});

Deno.test({
  name: "PostgresOmsDatabase.open() refuses a schema newer than the code",
  ignore,
  fn: () =>
    _withPgSchema(async (url, schema) => {
      const db = await PostgresOmsDatabase.open(url, { schema });
      await db.close();
      const conn = _openPostgresConn(url, { schema, max: 1 });
      try {
        await conn.run("INSERT INTO schema_migrations VALUES (99, 'future')");
      } finally {
        await conn.close();
      }
      await assert.rejects(
        PostgresOmsDatabase.open(url, { schema }),
        (e: unknown) => e instanceof OmsDatabaseError && /schema version 99/.test(e.message),
      );
    }),
});

Deno.test({
  name: "PostgresOmsDatabase.open() names the server when it cannot connect",
  fn: async () => {
    await assert.rejects(
      PostgresOmsDatabase.open("postgres://nobody@127.0.0.1:1/none", { connectTimeoutS: 2 }),
      (e: unknown) =>
        e instanceof OmsDatabaseError &&
        e.message.startsWith("Cannot open the OMS database postgres://127.0.0.1:1/none"),
    );
  },
});
