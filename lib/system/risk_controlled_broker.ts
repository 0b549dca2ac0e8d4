/**
 * `RiskControlledBroker`: a `Broker` in front of the run's broker that runs the
 * `RiskControls` on every batch before it is submitted (DESIGN §8 + run-prod's risk controls).
 *
 * Per batch: the prices are the last known closes (`MarketData.lastPrice` at the submission
 * time), the holdings and the net wealth the portfolio's; denied orders are moved to
 * `rejected` and never reach the broker; each trip is handed to `onTrip` (log.txt, run.json).
 * A trip that stops the run (kill switch, max loss with `cancel-and-stop`) cancels the broker's
 * open orders, denies every later batch, and calls `onStop` (the run aborts its loop, which
 * stops after the bar in flight).
 */
import type {
  Broker,
  CancelOrdersOptions,
  Fill,
  Order,
  Portfolio,
  SubmitOrdersOptions,
} from "../oms/mod.ts";
import type { MarketData } from "../sim/mod.ts";
import type { RiskControls, RiskTrip } from "./risk_controls.ts";

/** Options of `RiskControlledBroker`. */
export interface RiskControlledBrokerOptions {
  /** The checks. Required. */
  controls: RiskControls;
  /** The run's portfolio (holdings, net wealth). Required. */
  portfolio: Portfolio;
  /** The run's market data (prices). Required. */
  marketData: MarketData;
  /** Receives every trip. Default: none. */
  onTrip?: ((trip: RiskTrip) => void | Promise<void>) | undefined;
  /** Called once when a trip stops the run (after the open orders were cancelled). Default: none. */
  onStop?: ((trip: RiskTrip) => void) | undefined;
}

/** A broker whose submissions pass the risk controls first (see the module documentation). */
export class RiskControlledBroker implements Broker {
  /** The broker orders go to. */
  readonly inner: Broker;
  /** The checks. */
  readonly controls: RiskControls;
  readonly #o: RiskControlledBrokerOptions;
  #stopped: RiskTrip | undefined;

  /** Wraps `inner`. */
  constructor(inner: Broker, options: RiskControlledBrokerOptions) {
    this.inner = inner;
    this.controls = options.controls;
    this.#o = options;
  }

  /** The trip that stopped the run, or `undefined`. */
  get stopped(): RiskTrip | undefined {
    return this.#stopped;
  }

  /**
   * Checks the batch and submits the allowed orders to the inner broker; denied orders end
   * `rejected`. After a stopping trip every order is denied.
   */
  async submitOrders(orders: readonly Order[], options: SubmitOrdersOptions): Promise<void> {
    if (this.#stopped !== undefined) {
      for (const o of orders) o.transition("rejected");
      return;
    }
    const { portfolio, marketData } = this.#o;
    const time = options.wallTime;
    const ids = new Set(portfolio.assetIds());
    for (const o of orders) ids.add(o.assetId);
    const known = new Set(marketData.assetIds());
    const prices = marketData.lastPrice(time, {
      assetIds: [...ids].filter((id) => known.has(id)),
    });
    const decision = this.controls.check({
      time,
      orders,
      holdings: portfolio.holdingsMap(),
      prices,
      netWealth: portfolio.netWealthAt(prices),
    });
    for (const o of decision.denied) o.transition("rejected");
    for (const trip of decision.trips) await this.#o.onTrip?.(trip);
    if (decision.stop) {
      const trip = decision.trips[decision.trips.length - 1] as RiskTrip;
      this.#stopped = trip;
      const open = this.inner.openOrders().map((o) => o.id);
      if (open.length > 0) await this.inner.cancelOrders?.(open, { wallTime: time });
      this.#o.onStop?.(trip);
      return;
    }
    await this.inner.submitOrders(decision.allowed, options);
  }

  /** The inner broker's fills. */
  getFills(): Fill[] {
    return this.inner.getFills();
  }

  /** Cancels on the inner broker. */
  async cancelOrders(orderIds: readonly number[], options: CancelOrdersOptions): Promise<void> {
    await this.inner.cancelOrders?.(orderIds, options);
  }

  /** The inner broker's open orders. */
  openOrders(): Order[] {
    return this.inner.openOrders();
  }
}
