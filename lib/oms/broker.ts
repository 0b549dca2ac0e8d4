/**
 * The `Broker` interface (DESIGN §8): where orders go and fills come from. Implementations:
 * `SimulatedBroker` (fills at the fill conventions' prices, knowledge-time gated) and later the
 * ccxt broker. Orders change state only through `Order.transition` (the one transition table).
 */
import type { Fill } from "./fill.ts";
import type { Order } from "./order.ts";

/** Options of `Broker.submitOrders`. */
export interface SubmitOrdersOptions {
  /** The submitter's clock time, epoch ms (orders whose end is not after it are rejected). Required. */
  wallTime: number;
}

/** Options of `Broker.cancelOrders`. */
export interface CancelOrdersOptions {
  /** The caller's clock time, epoch ms. Required. */
  wallTime: number;
}

/** A broker: takes orders, reports fills. */
export interface Broker {
  /**
   * Submits `orders` (in state `submitted`): each is accepted (and may fill at once) or
   * rejected. Orders submitted in one call form one batch (sized-at-fill orders are sized
   * together).
   */
  submitOrders(orders: readonly Order[], options: SubmitOrdersOptions): Promise<void>;
  /** The fills that became available since the last call, in execution order. */
  getFills(): Fill[];
  /** Cancels the still-open orders among `orderIds` (others are ignored). Optional. */
  cancelOrders?(orderIds: readonly number[], options: CancelOrdersOptions): Promise<void>;
  /** The accepted orders not yet filled, cancelled or rejected, in submission order. */
  openOrders(): Order[];
}

/**
 * Resolves the shares of sized-at-fill orders (orders with a `targetWeight`) once their fill
 * prices are known. The Optimizer implements it (`Optimizer.atFillSizer`) with the same target
 * function as the forecast evaluator.
 */
export interface AtFillSizer {
  /**
   * The shares to trade (signed) for each of `orders` — one batch, submitted together — given
   * each order's fill price (`fillPrices[i]` for `orders[i]`; NaN = no price). 0 = no trade.
   */
  sizeAtFill(orders: readonly Order[], fillPrices: Float64Array): Float64Array;
}
