import assert from "node:assert/strict";
import { join } from "node:path";
import { _withPgSchema, PG_TEST_URL } from "./_pg_test_helper.ts";
import { _runScenario } from "./_test_scenario.ts";
import { dumpTables } from "./dump_tables.ts";
import { PostgresOmsDatabase } from "./postgres_oms_database.ts";
import { SqliteOmsDatabase } from "./sqlite_oms_database.ts";

Deno.test("dumpTables() of an empty run", async () => {
  const db = await SqliteOmsDatabase.open(":memory:");
  try {
    assert.deepEqual(await dumpTables(db, "none"), {
      run: null,
      submittedOrders: [],
      acceptedOrders: [],
      orders: [],
      fills: [],
      positions: [],
      portfolioStatistics: [],
      portfolioAssets: [],
      portfolioState: null,
    });
  } finally {
    await db.close();
  }
});

Deno.test({
  name: "dumpTables() is identical on SQLite and PostgreSQL for the same operations",
  ignore: PG_TEST_URL === undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const lite = await SqliteOmsDatabase.open(join(dir, "oms.sqlite"));
      let liteDump;
      try {
        await _runScenario(lite, "other"); // a second run in the same database changes nothing
        await _runScenario(lite, "run1");
        liteDump = await dumpTables(lite, "run1");
      } finally {
        await lite.close();
      }
      await _withPgSchema(async (url, schema) => {
        const pg = await PostgresOmsDatabase.open(url, { schema });
        try {
          await _runScenario(pg, "run1");
          const pgDump = await dumpTables(pg, "run1");
          assert.ok(liteDump.orders.length > 0 && liteDump.fills.length > 0);
          assert.ok(liteDump.positions.length > 0 && liteDump.portfolioAssets.length > 0);
          assert.deepStrictEqual(pgDump, liteDump);
        } finally {
          await pg.close();
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
