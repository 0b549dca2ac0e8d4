/**
 * `DecisionLatency`: how long a production run takes, per bar, from the moment the bar is known
 * (`MarketData.waitForLatestData` returns for it) to the moment every order of the bar has been
 * submitted (`Broker.submitOrders` returns: the first wave of child orders is on the exchange) —
 * the DAG, the optimizer, the risk checks and the submission.
 *
 * `wrapMarketData` and `wrapBroker` put the two probes in front of the run's market data and
 * broker; times come from a monotonic timer given by the caller (`performance.now` in `cmd/`),
 * never from the run's clock (on a replayed clock, no simulated time passes within a bar).
 */
import type { ColumnFrame } from "../frame/mod.ts";
import type pl from "nodejs-polars";
import type { Broker, CancelOrdersOptions, Fill, Order, SubmitOrdersOptions } from "../oms/mod.ts";
import type { Clock, MarketData, MarketDataQueryOptions, WaitForDataOptions } from "../sim/mod.ts";

/** Percentiles of the decision latency, ms. */
export interface DecisionLatencySummary {
  /** Bars measured. */
  bars: number;
  /** Median. */
  p50_ms: number;
  /** 99th percentile. */
  p99_ms: number;
  /** Largest. */
  max_ms: number;
}

/** Measures the decision latency of each bar (see the module documentation). */
export class DecisionLatency {
  readonly #timer: () => number;
  readonly #values: number[] = [];
  #known: number | undefined;

  /** A meter reading `timer` (ms, monotonic). */
  constructor(timer: () => number) {
    this.#timer = timer;
  }

  /** Every bar's latency so far, ms, in bar order. */
  values(): number[] {
    return [...this.#values];
  }

  /** p50 / p99 / max of the latencies so far, or `undefined` before the first bar. */
  summary(): DecisionLatencySummary | undefined {
    const n = this.#values.length;
    if (n === 0) return undefined;
    const sorted = [...this.#values].sort((a, b) => a - b);
    const q = (p: number) => {
      const x = p * (n - 1);
      const lo = Math.floor(x);
      const hi = Math.min(n - 1, lo + 1);
      return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (x - lo);
    };
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      bars: n,
      p50_ms: round(q(0.5)),
      p99_ms: round(q(0.99)),
      max_ms: round(sorted[n - 1] as number),
    };
  }

  /** Records that a bar became known now. */
  barKnown(): void {
    this.#known = this.#timer();
  }

  /** Records that the bar's orders were submitted now. */
  submitted(): void {
    if (this.#known === undefined) return;
    this.#values.push(this.#timer() - this.#known);
    this.#known = undefined;
  }

  /** `marketData` with the "bar known" probe. */
  wrapMarketData(marketData: MarketData): MarketData {
    return new _ProbedMarketData(marketData, this);
  }

  /** `broker` with the "orders submitted" probe. */
  wrapBroker(broker: Broker): Broker {
    return new _ProbedBroker(broker, this);
  }
}

class _ProbedMarketData implements MarketData {
  readonly clock: Clock;
  readonly barMs: number;
  /** The wrapped data's `getColumns`, when it has one (its users fall back on `getData`). */
  readonly getColumns?: (
    start: number,
    end: number,
    options?: MarketDataQueryOptions,
  ) => ColumnFrame;
  readonly #md: MarketData;
  readonly #meter: DecisionLatency;
  #lastKnown = Number.NEGATIVE_INFINITY;

  constructor(md: MarketData, meter: DecisionLatency) {
    this.#md = md;
    this.#meter = meter;
    this.clock = md.clock;
    this.barMs = md.barMs;
    if (md.getColumns !== undefined) this.getColumns = md.getColumns.bind(md);
  }

  assetIds(): readonly number[] {
    return this.#md.assetIds();
  }
  fullSymbols(): ReadonlyMap<number, string> {
    return this.#md.fullSymbols();
  }
  getData(start: number, end: number, options?: MarketDataQueryOptions): pl.DataFrame {
    return this.#md.getData(start, end, options);
  }
  getDataForLastBars(bars: number, options?: MarketDataQueryOptions): pl.DataFrame {
    return this.#md.getDataForLastBars(bars, options);
  }
  lastKnownBarEnd(): number | undefined {
    return this.#md.lastKnownBarEnd();
  }
  async waitForLatestData(barEnd: number, options?: WaitForDataOptions): Promise<void> {
    await this.#md.waitForLatestData(barEnd, options);
    if (barEnd > this.#lastKnown) {
      this.#lastKnown = barEnd;
      this.#meter.barKnown();
    }
  }
  lastPrice(end: number, options?: MarketDataQueryOptions): Map<number, number> {
    return this.#md.lastPrice(end, options);
  }
  twapPrice(start: number, end: number, options?: MarketDataQueryOptions): Map<number, number> {
    return this.#md.twapPrice(start, end, options);
  }
  vwapPrice(start: number, end: number, options?: MarketDataQueryOptions): Map<number, number> {
    return this.#md.vwapPrice(start, end, options);
  }
}

class _ProbedBroker implements Broker {
  readonly #broker: Broker;
  readonly #meter: DecisionLatency;

  constructor(broker: Broker, meter: DecisionLatency) {
    this.#broker = broker;
    this.#meter = meter;
  }

  async submitOrders(orders: readonly Order[], options: SubmitOrdersOptions): Promise<void> {
    await this.#broker.submitOrders(orders, options);
    this.#meter.submitted();
  }
  getFills(): Fill[] {
    return this.#broker.getFills();
  }
  async cancelOrders(orderIds: readonly number[], options: CancelOrdersOptions): Promise<void> {
    await this.#broker.cancelOrders?.(orderIds, options);
  }
  openOrders(): Order[] {
    return this.#broker.openOrders();
  }
}
