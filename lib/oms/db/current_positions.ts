/**
 * `computeCurrentPositions`: the `current_positions` rows of a run and account, recomputed from
 * its orders and fills (the OrderProcessor's "rewrite current positions"). Pure and
 * deterministic: orders in order-id order, fills in fill-id order, one row per asset in
 * ascending asset id.
 *
 * Per asset, with `initial` = `currShares` of the asset's first order (0 when it has none):
 * - `currentPosition` = initial + Σ fill shares;
 * - `targetPosition` = the latest non-rejected order's `currShares` + its `diffShares` while it
 *   is open, + its filled shares once final (what it really traded); `currentPosition` when
 *   there is no such order;
 * - `openQuantity` = Σ (diff − filled) over the open orders (`accepted`, `partially_filled`);
 * - the trade date is the UTC date of `now`: `netCost` = Σ shares × price of the fills on or
 *   after its 00:00 UTC, `bodPosition` = initial + Σ shares of the fills before it, `bodPrice` =
 *   the price of the last fill before it (NaN when none).
 */
import type { FillRow, OrderRow, PositionRow } from "./oms_rows.ts";

const _DAY_MS = 86_400_000;

/** The open order states (an order in them may still fill). */
export const OPEN_ORDER_STATES: readonly string[] = Object.freeze(["accepted", "partially_filled"]);

/** Options of `computeCurrentPositions`. */
export interface CurrentPositionsOptions {
  /** Run id of the rows. Required. */
  runId: string;
  /** Strategy id of the rows. Required. */
  strategyId: string;
  /** Account of the rows. Required. */
  account: string;
  /** The time of the rewrite (trade date, `timestamp_db`), epoch ms. Required. */
  now: number;
}

/** The UTC trade date of `t`, `YYYY-MM-DD`. */
export function tradeDateOf(t: number): string {
  return new Date(Math.floor(t / _DAY_MS) * _DAY_MS).toISOString().slice(0, 10);
}

/** The position rows of the run's `orders` and `fills` (see the module documentation). */
export function computeCurrentPositions(
  orders: readonly OrderRow[],
  fills: readonly FillRow[],
  options: CurrentPositionsOptions,
): PositionRow[] {
  const dayStart = Math.floor(options.now / _DAY_MS) * _DAY_MS;
  const byAsset = new Map<number, { orders: OrderRow[]; fills: FillRow[] }>();
  const entry = (assetId: number) => {
    let e = byAsset.get(assetId);
    if (e === undefined) byAsset.set(assetId, e = { orders: [], fills: [] });
    return e;
  };
  for (const o of [...orders].sort((a, b) => a.orderId - b.orderId)) {
    entry(o.assetId).orders.push(o);
  }
  for (const f of [...fills].sort((a, b) => a.fillId - b.fillId)) entry(f.assetId).fills.push(f);
  const rows: PositionRow[] = [];
  for (const assetId of [...byAsset.keys()].sort((a, b) => a - b)) {
    const e = byAsset.get(assetId) as { orders: OrderRow[]; fills: FillRow[] };
    const initial = e.orders[0]?.currShares ?? 0;
    let current = initial;
    let bodPosition = initial;
    let netCost = 0;
    let bodPrice = NaN;
    let bodPriceAt = -Infinity;
    for (const f of e.fills) {
      current += f.shares;
      if (f.timestamp < dayStart) {
        bodPosition += f.shares;
        if (f.timestamp >= bodPriceAt) {
          bodPrice = f.price;
          bodPriceAt = f.timestamp;
        }
      } else {
        netCost += f.shares * f.price;
      }
    }
    let openQuantity = 0;
    let latest: OrderRow | undefined;
    for (const o of e.orders) {
      const open = OPEN_ORDER_STATES.includes(o.state);
      if (open) openQuantity += o.diffShares - o.filledShares;
      if (o.state !== "rejected") latest = o;
    }
    const target = latest === undefined ? current : latest.currShares +
      (OPEN_ORDER_STATES.includes(latest.state) || latest.state === "submitted"
        ? latest.diffShares
        : latest.filledShares);
    rows.push({
      runId: options.runId,
      strategyId: options.strategyId,
      account: options.account,
      assetId,
      tradeDate: tradeDateOf(options.now),
      timestampDb: options.now,
      targetPosition: target,
      currentPosition: current,
      openQuantity,
      netCost,
      bodPosition,
      bodPrice,
    });
  }
  return rows;
}
