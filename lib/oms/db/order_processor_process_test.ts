import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { RealClock } from "../../sim/real_clock.ts";
import { IdCounter } from "../id_counter.ts";
import { Order } from "../order.ts";
import { _withPgSchema, PG_TEST_URL } from "./_pg_test_helper.ts";
import { _ASSETS, _BAR, _scenarioBars, _T0 } from "./_test_scenario.ts";
import { PostgresOmsDatabase } from "./postgres_oms_database.ts";
import { submitOrderBatch, waitForAcceptance } from "./submit_order_batch.ts";

const CHILD = fileURLToPath(new URL("./_order_processor_child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

Deno.test({
  name: "OrderProcessor in a separate process serves orders submitted through PostgreSQL",
  ignore: PG_TEST_URL === undefined,
  fn: () =>
    _withPgSchema(async (url, schema) => {
      const clock = new RealClock();
      const db = await PostgresOmsDatabase.open(url, { schema });
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CHILD, url, schema, "r", "90000"],
        cwd: REPO,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let exited = false;
      try {
        await db.putRun({
          id: "r",
          mode: "paper",
          strategy: "s",
          configHash: "h",
          start: _T0,
          end: null,
          status: "running",
          createdAt: clock.now(),
          updatedAt: clock.now(),
        });
        // Three batches of `close` orders on past bars (they fill at once), ending tomorrow.
        const ids = new IdCounter();
        const end = clock.now() + 86_400_000;
        for (let k = 1; k <= 3; k++) {
          const start = _T0 + k * _BAR;
          const orders = _ASSETS.map((assetId, i) =>
            Order.create(ids, {
              creationTimestamp: start,
              assetId,
              type: "close",
              startTimestamp: start,
              endTimestamp: end,
              currentShares: 0,
              diffShares: (i + 1) * (k % 2 === 0 ? -0.25 : 0.5),
            })
          );
          const filename = await submitOrderBatch(db, orders, {
            runId: "r",
            timestampDb: clock.now(),
          });
          const row = await waitForAcceptance(db, { runId: "r", filename }, {
            clock,
            pollMs: 50,
            timeoutMs: 60_000,
          });
          assert.equal(row.success, true, row.reason);
        }
        // Wait (bounded) until every order is final, then end the run: the child stops.
        const deadline = clock.now() + 60_000;
        while (
          (await db.listOrders("r", { states: ["accepted", "partially_filled"] })).length > 0
        ) {
          assert.ok(clock.now() < deadline, "the child did not fill the orders in 60 s");
          await clock.sleepUntil(clock.now() + 50);
        }
        await db.updateRun("r", { status: "succeeded", updatedAt: clock.now() });
        const output = await child.output();
        exited = true;
        const stderr = new TextDecoder().decode(output.stderr);
        assert.equal(output.code, 0, stderr);
        const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
        const summary = JSON.parse(lines[lines.length - 1] ?? "{}");
        assert.equal(summary.stoppedBy, "run_ended");
        assert.equal(summary.accepted, 3);
        assert.equal(summary.fillsRecorded, 6);

        const { rows } = _scenarioBars();
        const orders = await db.listOrders("r");
        const fills = await db.listFills("r");
        assert.equal(fills.length, 6);
        for (const o of orders) {
          assert.equal(o.state, "filled");
          const f = fills.find((x) => x.orderId === o.orderId)!;
          const bar = rows.find((r) => r.t === o.start && r.id === o.assetId)!;
          assert.deepEqual([f.shares, f.price, f.timestamp], [o.diffShares, bar.c, o.start]);
        }
        const positions = await db.listPositions("r");
        assert.deepEqual(
          positions.map((p) => [p.account, p.assetId, p.currentPosition]),
          [["child", _ASSETS[0], 0.5 - 0.25 + 0.5], ["child", _ASSETS[1], 1 - 0.5 + 1]],
        );
      } finally {
        if (!exited) {
          try {
            child.kill("SIGTERM");
          } catch {
            // already exited
          }
          await child.output().catch(() => {});
        }
        await db.close();
      }
    }),
});
