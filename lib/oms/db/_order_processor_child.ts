/**
 * Private test script: an `OrderProcessor` in a process of its own, against a PostgreSQL
 * schema, on the real clock, executing with a `SimulatedBroker` over the test scenario's bars
 * (all in the past, so `close` orders fill at once). It serves run `<runId>` until the run's
 * status is no longer `running`, or `<maxMs>` has passed, then prints its summary as JSON.
 *
 *   deno run -A lib/oms/db/_order_processor_child.ts <pg url> <schema> <runId> <maxMs>
 */
import { FrameMarketData } from "../../sim/frame_market_data.ts";
import { RealClock } from "../../sim/real_clock.ts";
import { SimulatedBroker } from "../simulated_broker.ts";
import { _BAR, _scenarioBars } from "./_test_scenario.ts";
import { OrderProcessor } from "./order_processor.ts";
import { PostgresOmsDatabase } from "./postgres_oms_database.ts";

const [url, schema, runId, maxMs] = Deno.args;
if (url === undefined || schema === undefined || runId === undefined || maxMs === undefined) {
  throw new Error("usage: _order_processor_child.ts <pg url> <schema> <runId> <maxMs>");
}
const db = await PostgresOmsDatabase.open(url, { schema });
try {
  const clock = new RealClock();
  const md = new FrameMarketData(_scenarioBars().frame, clock, { barMs: _BAR });
  const broker = new SimulatedBroker(md, { feeBps: 7 });
  const processor = new OrderProcessor(db, { clock, runId, broker, pollMs: 50, account: "child" });
  const summary = await processor.run({ whileRunning: true, until: clock.now() + Number(maxMs) });
  console.log(JSON.stringify(summary));
} finally {
  await db.close();
}
