import assert from "node:assert/strict";
import { join } from "node:path";
import { CCXT_BROKER_LOG_FILES, IdCounter, Order } from "../oms/mod.ts";
import { readBrokerJournal } from "./broker_journal.ts";

Deno.test("readBrokerJournal() reads the parents and their child ids, skipping a truncated line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual((await readBrokerJournal(join(dir, "none"))).parents.size, 0);
    const ids = new IdCounter(4);
    const order = (shares: number) =>
      Order.create(ids, {
        creationTimestamp: 0,
        assetId: 1,
        type: "twap",
        startTimestamp: 0,
        endTimestamp: 300_000,
        currentShares: 0,
        diffShares: shares,
      });
    const a = order(1);
    const b = order(-2);
    const line = (r: unknown) => JSON.stringify(r) + "\n";
    await Deno.writeTextFile(
      join(dir, CCXT_BROKER_LOG_FILES.parent),
      line({ event: "submitted", parent_id: 4, order: a.toString() }) +
        line({ event: "submitted", parent_id: 5, order: b.toString() }) +
        line({ event: "state", parent_id: 4, state: "accepted" }) +
        line({ event: "final", parent_id: 4 }) +
        '{"event": "state", "parent_',
    );
    await Deno.writeTextFile(
      join(dir, CCXT_BROKER_LOG_FILES.child),
      line({ event: "placing", parent_id: 4, client_order_id: "p-4-0" }) +
        line({ event: "created", parent_id: 4, client_order_id: "p-4-0" }) +
        line({ event: "skipped", parent_id: 5, client_order_id: "p-5-0" }) +
        line({ event: "placing", parent_id: 5, client_order_id: "p-5-1" }),
    );
    const journal = await readBrokerJournal(dir);
    assert.equal(journal.maxParentId, 5);
    assert.equal(journal.skippedLines, 1);
    assert.deepEqual(journal.parents.get(4)?.clientOrderIds, ["p-4-0"]);
    assert.equal(journal.parents.get(4)?.lastState, "accepted");
    assert.equal(journal.parents.get(4)?.final, true);
    assert.deepEqual(
      journal.parents.get(5)?.clientOrderIds,
      ["p-5-1"],
      "skipped waves placed nothing",
    );
    assert.equal(journal.parents.get(5)?.order.diffShares, -2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
