import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { OmsDatabaseError } from "./oms_database_error.ts";
import { SqliteOmsDatabase } from "./sqlite_oms_database.ts";

Deno.test("SqliteOmsDatabase.open() creates the file and its directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "run", "oms.sqlite");
    const db = await SqliteOmsDatabase.open(path);
    try {
      assert.equal(db.kind, "sqlite");
      assert.equal(db.location, path);
      assert.deepEqual(await db.schemaVersions(), [1, 2]);
    } finally {
      await db.close();
    }
    assert.ok((await Deno.stat(path)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteOmsDatabase.open() refuses a file that is not SQLite", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "oms.sqlite");
    await Deno.writeTextFile(path, "this is not a database, just some text ".repeat(40));
    await assert.rejects(
      SqliteOmsDatabase.open(path),
      (e: unknown) => e instanceof OmsDatabaseError && e.message.includes(path),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteOmsDatabase.open() refuses a schema newer than the code", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "oms.sqlite");
    await (await SqliteOmsDatabase.open(path)).close();
    const raw = new DatabaseSync(path);
    raw.exec("INSERT INTO schema_migrations VALUES (99, 'future')");
    raw.close();
    await assert.rejects(SqliteOmsDatabase.open(path), /schema version 99, newer than/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteOmsDatabase.open(':memory:') is a private database", async () => {
  const a = await SqliteOmsDatabase.open(":memory:");
  const b = await SqliteOmsDatabase.open(":memory:");
  try {
    await a.putRun({
      id: "r",
      mode: "m",
      strategy: "s",
      configHash: "h",
      start: 0,
      end: null,
      status: "running",
      createdAt: 0,
      updatedAt: 0,
    });
    assert.equal((await a.listRuns()).length, 1);
    assert.equal((await b.listRuns()).length, 0);
  } finally {
    await a.close();
    await b.close();
  }
});
