/**
 * `readBrokerJournal`: what the `CcxtBroker` of earlier sessions of a run did, read back from
 * its logs under `<runDir>/broker/` — the run's write-ahead journal of orders.
 *
 * The broker writes a parent's `submitted` event (with the order's one-line form) before any
 * of its child orders is sent, and each child's `placing` event (with its client order id)
 * before the child is created on the exchange; each line is one synchronous append. So after
 * any crash — even between the submission of a bar's orders and the commit of that bar to the
 * OMS database — the journal names every parent that may have child orders on the exchange,
 * and every client order id those children may have. A restart looks them up on the exchange
 * (`recoverParentOrders`) instead of guessing.
 *
 * Unreadable lines (a truncated last line after a crash) are skipped.
 */
import { join } from "node:path";
import { CCXT_BROKER_LOG_FILES, Order } from "../oms/mod.ts";

/** One parent order found in the journal. */
export interface JournalParent {
  /** The order as submitted (state `submitted`). */
  order: Order;
  /** The last state the broker logged for it. */
  lastState: string;
  /** Whether the broker logged its final event (its children were all confirmed). */
  final: boolean;
  /** The client order ids of the children the broker placed or tried to place. */
  clientOrderIds: string[];
}

/** The journal of a run's broker. */
export interface BrokerJournal {
  /** Parents by order id, ascending. */
  parents: Map<number, JournalParent>;
  /** The largest parent order id, or `undefined` when there is none. */
  maxParentId: number | undefined;
  /** Lines that could not be read (skipped). */
  skippedLines: number;
}

/** Reads the journal in `brokerDir` (`<runDir>/broker`); an absent directory is an empty journal. */
export async function readBrokerJournal(brokerDir: string): Promise<BrokerJournal> {
  const parents = new Map<number, JournalParent>();
  let skipped = 0;
  const parentLines = await _lines(join(brokerDir, CCXT_BROKER_LOG_FILES.parent));
  for (const line of parentLines) {
    const r = _parse(line);
    if (r === undefined) {
      skipped++;
      continue;
    }
    const id = r.parent_id;
    if (typeof id !== "number") continue;
    let p = parents.get(id);
    if (r.event === "submitted" && p === undefined && typeof r.order === "string") {
      try {
        const order = Order.fromString(r.order);
        p = { order, lastState: order.state, final: false, clientOrderIds: [] };
        parents.set(id, p);
      } catch {
        skipped++;
      }
      continue;
    }
    if (p === undefined) continue;
    if (r.event === "state" && typeof r.state === "string") p.lastState = r.state;
    if (r.event === "final") p.final = true;
  }
  const childLines = await _lines(join(brokerDir, CCXT_BROKER_LOG_FILES.child));
  const seen = new Set<string>();
  for (const line of childLines) {
    const r = _parse(line);
    if (r === undefined) {
      skipped++;
      continue;
    }
    const cid = r.client_order_id;
    const p = typeof r.parent_id === "number" ? parents.get(r.parent_id) : undefined;
    if (p === undefined || typeof cid !== "string" || r.event === "skipped") continue;
    if (seen.has(cid)) continue;
    seen.add(cid);
    p.clientOrderIds.push(cid);
  }
  const sorted = new Map([...parents].sort(([a], [b]) => a - b));
  const ids = [...sorted.keys()];
  return {
    parents: sorted,
    maxParentId: ids.length === 0 ? undefined : ids[ids.length - 1],
    skippedLines: skipped,
  };
}

async function _lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l.trim() !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function _parse(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === "object" ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
