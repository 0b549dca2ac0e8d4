import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../errors/mod.ts";
import { _withPgSchema, PG_TEST_URL } from "./_pg_test_helper.ts";
import { openOmsDatabase, resolveOmsDatabaseSpec } from "./open_oms_database.ts";
import { PostgresOmsDatabase } from "./postgres_oms_database.ts";

Deno.test("resolveOmsDatabaseSpec() picks the backend by spec", () => {
  assert.deepEqual(resolveOmsDatabaseSpec(undefined, { runDir: "/r" }), {
    kind: "sqlite",
    path: join("/r", "oms.sqlite"),
  });
  assert.deepEqual(resolveOmsDatabaseSpec("sqlite:", { runDir: "/r" }), {
    kind: "sqlite",
    path: join("/r", "oms.sqlite"),
  });
  assert.deepEqual(resolveOmsDatabaseSpec("sqlite:/x/y.db"), { kind: "sqlite", path: "/x/y.db" });
  assert.deepEqual(resolveOmsDatabaseSpec("out/oms.db"), { kind: "sqlite", path: "out/oms.db" });
  assert.deepEqual(resolveOmsDatabaseSpec("sqlite::memory:"), {
    kind: "sqlite",
    path: ":memory:",
  });
  assert.deepEqual(resolveOmsDatabaseSpec("postgres://u@h:5432/db?schema=s"), {
    kind: "postgres",
    url: "postgres://u@h:5432/db?schema=s",
  });
  assert.equal(resolveOmsDatabaseSpec("postgresql://h/db").kind, "postgres");
  assert.throws(() => resolveOmsDatabaseSpec(undefined), UsageError);
  assert.throws(
    () => resolveOmsDatabaseSpec("mysql://u:pw@h/db"),
    (e: unknown) =>
      e instanceof UsageError && /Unsupported OMS database/.test(e.message) &&
      !e.message.includes("pw"),
  );
});

Deno.test("openOmsDatabase() opens the default SQLite file of a run directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = await openOmsDatabase(undefined, { runDir: dir });
    try {
      assert.equal(db.kind, "sqlite");
      assert.equal(db.location, join(dir, "oms.sqlite"));
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "openOmsDatabase() opens PostgreSQL for a postgres:// spec",
  ignore: PG_TEST_URL === undefined,
  fn: () =>
    _withPgSchema(async (url, schema) => {
      const db = await openOmsDatabase(`${url}?schema=${schema}`, { runDir: "/unused" });
      try {
        assert.ok(db instanceof PostgresOmsDatabase);
        assert.equal(db.schema, schema);
      } finally {
        await db.close();
      }
    }),
});
