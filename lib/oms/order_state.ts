/**
 * Order states and the ONE table of legal transitions (DESIGN §8). An order is created
 * `submitted`; a broker accepts or rejects it; an accepted order fills (possibly in parts) or is
 * cancelled. `filled`, `cancelled` and `rejected` are final.
 *
 * | from               | to                                      |
 * |--------------------|-----------------------------------------|
 * | `submitted`        | `accepted`, `rejected`, `cancelled`     |
 * | `accepted`         | `partially_filled`, `filled`, `cancelled` |
 * | `partially_filled` | `partially_filled`, `filled`, `cancelled` |
 * | `filled`, `cancelled`, `rejected` | (none)                   |
 */
import { DagtradeError, UsageError } from "../errors/mod.ts";

/** Every order state, in lifecycle order. */
export const ORDER_STATES = [
  "submitted",
  "accepted",
  "partially_filled",
  "filled",
  "cancelled",
  "rejected",
] as const;

/** One order state. */
export type OrderState = typeof ORDER_STATES[number];

/** The legal transitions: `ORDER_TRANSITIONS[from]` lists the states `from` may move to. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = Object
  .freeze({
    submitted: Object.freeze(["accepted", "rejected", "cancelled"] as const),
    accepted: Object.freeze(["partially_filled", "filled", "cancelled"] as const),
    partially_filled: Object.freeze(["partially_filled", "filled", "cancelled"] as const),
    filled: Object.freeze([] as const),
    cancelled: Object.freeze([] as const),
    rejected: Object.freeze([] as const),
  });

/** An illegal order state transition (a bug in the caller: exit 1). */
export class OrderStateError extends DagtradeError {}

/** Whether `state` is final (no transition leaves it). */
export function isFinalOrderState(state: OrderState): boolean {
  return ORDER_TRANSITIONS[state].length === 0;
}

/** Whether `text` names an order state. */
export function isOrderState(text: string): text is OrderState {
  return (ORDER_STATES as readonly string[]).includes(text);
}

/** Parses an order state; throws `UsageError` listing the known ones. */
export function parseOrderState(text: string): OrderState {
  if (isOrderState(text)) return text;
  throw new UsageError(`Unknown order state '${text}': expected one of ${ORDER_STATES.join(", ")}`);
}

/**
 * Checks the transition `from → to` against the table; throws `OrderStateError` naming both
 * states (and what `from` allows) when it is illegal. `what` names the order in the message.
 */
export function checkOrderTransition(from: OrderState, to: OrderState, what = "order"): void {
  const allowed = ORDER_TRANSITIONS[from];
  if (allowed.includes(to)) return;
  throw new OrderStateError(
    `Illegal state transition of ${what}: ${from} → ${to} (${from} allows ${
      allowed.length === 0 ? "nothing: it is final" : allowed.join(", ")
    })`,
  );
}
