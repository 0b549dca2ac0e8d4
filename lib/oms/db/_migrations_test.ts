import assert from "node:assert/strict";
import { _migrate, _MIGRATIONS, OMS_SCHEMA_VERSION } from "./_migrations.ts";
import { _SqliteConn } from "./_sqlite_conn.ts";

Deno.test("_migrate() applies the missing versions only, in order", async () => {
  const conn = new _SqliteConn(":memory:");
  try {
    assert.deepEqual(await _migrate(conn, { migrations: _MIGRATIONS.slice(0, 1) }), [1]);
    await conn.run(
      "INSERT INTO runs VALUES ('r', 'm', 's', 'h', 0, NULL, 'running', 0, 0)",
    );
    // An older database is upgraded in place, keeping its rows.
    assert.deepEqual(await _migrate(conn), [2]);
    assert.deepEqual(await _migrate(conn), []);
    assert.equal(OMS_SCHEMA_VERSION, _MIGRATIONS.length);
    const versions = await conn.all("SELECT version, name FROM schema_migrations ORDER BY version");
    assert.deepEqual(versions.map((v) => v["version"]), [1, 2]);
    assert.equal((await conn.all("SELECT id FROM runs"))[0]?.["id"], "r");
  } finally {
    await conn.close();
  }
});

Deno.test("_migrate() rolls a failing migration back entirely", async () => {
  const conn = new _SqliteConn(":memory:");
  try {
    const bad = [
      ..._MIGRATIONS,
      {
        version: 3,
        name: "broken",
        statements: () => ["CREATE TABLE t3 (a INTEGER)", "THIS IS NOT SQL"],
      },
    ];
    await assert.rejects(_migrate(conn, { migrations: bad }));
    // Nothing stays: not even schema_migrations or the tables of versions 1 and 2.
    assert.deepEqual(await conn.all("SELECT name FROM sqlite_master"), []);
    assert.deepEqual(await _migrate(conn), [1, 2]);
    const t3 = await conn.all("SELECT name FROM sqlite_master WHERE name = 't3'");
    assert.deepEqual(t3, []);
  } finally {
    await conn.close();
  }
});
