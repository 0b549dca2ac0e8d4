/**
 * `SimulatedBroker` (DESIGN §8): fills each order fully, once, at the price of its fill
 * convention (`fillPrice` of `fill_prices.ts`, the function the forecast evaluator uses), with
 * a fee of `|shares × price| × feeBps / 1e4`, as soon as that price is known through
 * `MarketData`:
 *
 * - `close`: the close of the decision bar — the bar ending in `(start − barMs, start]` —
 *   known at once when the order is submitted after that bar is known; the fill is stamped at
 *   the order's start.
 * - `next_open`, `next_close`, `twap`, `vwap`: over the bars ending in `(start, end]` (the bar
 *   after the decision bar, for an order with end = next bar end), once the bar ending at
 *   `end` is known (`lastKnownBarEnd() >= end`, the instant `waitForLatestData(end)` returns
 *   when every asset's bar is known at the same time, as in the snapshots); stamped at `end`.
 *
 * Fills are produced during `submitOrders` (for what is already known) and `getFills` (for what
 * became known since); `getFills` returns them. An order whose window has no bar (a gap) or
 * whose size resolves to 0 shares is cancelled. Sized-at-fill orders (with a `targetWeight`)
 * need an `AtFillSizer`: the orders of one `submitOrders` call are sized together, at their
 * fill prices, when they fill. Market and limit orders are not simulated (use a fill
 * convention). Deterministic: no clock reads besides `MarketData`'s knowledge gate.
 */
import { UsageError } from "../errors/mod.ts";
import { formatTime, type MarketData } from "../sim/mod.ts";
import pl from "nodejs-polars";
import type { ColumnFrame } from "../frame/mod.ts";
import type { AtFillSizer, Broker, CancelOrdersOptions, SubmitOrdersOptions } from "./broker.ts";
import { Fill } from "./fill.ts";
import { type FillConvention, fillPrice, isFillConvention } from "./fill_prices.ts";
import { IdCounter } from "./id_counter.ts";
import type { Order } from "./order.ts";

/** Options of `SimulatedBroker`. */
export interface SimulatedBrokerOptions {
  /** Fee in basis points of traded notional. Default: 0. */
  feeBps?: number | undefined;
  /** Sizes sized-at-fill orders (usually `optimizer.atFillSizer(portfolio)`). Default: none. */
  sizer?: AtFillSizer | undefined;
  /** The run's fill id counter. Default: a new counter from 0. */
  fillIds?: IdCounter | undefined;
}

interface _Batch {
  convention: FillConvention;
  start: number;
  end: number;
  orders: Order[];
  sized: boolean;
}

/** A broker that fills orders at the shared fill conventions' prices, gated by knowledge time. */
export class SimulatedBroker implements Broker {
  /** The market data whose knowledge gates and prices the fills. */
  readonly marketData: MarketData;
  /** Fee, basis points of traded notional. */
  readonly feeBps: number;
  readonly #sizer: AtFillSizer | undefined;
  readonly #fillIds: IdCounter;
  #pending: _Batch[] = [];
  #fills: Fill[] = [];

  /** Creates a broker over `marketData`; throws `UsageError` on a bad fee. */
  constructor(marketData: MarketData, options: SimulatedBrokerOptions = {}) {
    const feeBps = options.feeBps ?? 0;
    if (!Number.isFinite(feeBps) || feeBps < 0) {
      throw new UsageError(`SimulatedBroker: invalid fee ${feeBps} bps: expected a number >= 0`);
    }
    this.marketData = marketData;
    this.feeBps = feeBps;
    this.#sizer = options.sizer;
    this.#fillIds = options.fillIds ?? new IdCounter();
  }

  /**
   * Accepts `orders` (each must be `submitted`, of a fill-convention type) and fills what is
   * already known. An order whose end is not after `wallTime` is rejected (too late). Throws
   * `UsageError` — before changing any order — for a non-simulated type, a sized-at-fill order
   * without a sizer, or sized-at-fill orders that differ in type or interval or repeat an asset.
   */
  submitOrders(orders: readonly Order[], options: SubmitOrdersOptions): Promise<void> {
    try {
      this.#submit(orders, options);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #submit(orders: readonly Order[], options: SubmitOrdersOptions): void {
    const wallTime = options.wallTime;
    if (!Number.isFinite(wallTime)) {
      throw new UsageError(
        `SimulatedBroker.submitOrders: wallTime must be epoch ms, got ${wallTime}`,
      );
    }
    let sizedKey: string | undefined;
    const sizedAssets = new Set<number>();
    for (const order of orders) {
      if (!isFillConvention(order.type)) {
        throw new UsageError(
          `SimulatedBroker cannot execute order ${order.id} of type '${order.type}': it simulates ` +
            `the fill conventions only (close, next_open, next_close, twap, vwap)`,
        );
      }
      if (order.state !== "submitted") {
        throw new UsageError(
          `SimulatedBroker: order ${order.id} is ${order.state}; only submitted orders can be submitted`,
        );
      }
      if (!order.sizedAtFill) continue;
      if (this.#sizer === undefined) {
        throw new UsageError(
          `SimulatedBroker: order ${order.id} is sized at fill (target_weight=${order.targetWeight}) ` +
            `but the broker has no sizer; pass { sizer: optimizer.atFillSizer(portfolio) }`,
        );
      }
      const key = `${order.type} ${order.startTimestamp} ${order.endTimestamp}`;
      if (sizedKey !== undefined && key !== sizedKey) {
        throw new UsageError(
          `SimulatedBroker: the sized-at-fill orders of one submission must share type and ` +
            `interval; order ${order.id} has ${key}, others ${sizedKey}`,
        );
      }
      sizedKey = key;
      if (sizedAssets.has(order.assetId)) {
        throw new UsageError(
          `SimulatedBroker: two sized-at-fill orders for asset ${order.assetId} in one submission`,
        );
      }
      sizedAssets.add(order.assetId);
    }
    const batches = new Map<string, _Batch>();
    for (const order of orders) {
      if (order.endTimestamp <= wallTime) {
        order.transition("rejected");
        continue;
      }
      order.transition("accepted");
      const key =
        `${order.sizedAtFill} ${order.type} ${order.startTimestamp} ${order.endTimestamp}`;
      let batch = batches.get(key);
      if (batch === undefined) {
        batch = {
          convention: order.type as FillConvention,
          start: order.startTimestamp,
          end: order.endTimestamp,
          orders: [],
          sized: order.sizedAtFill,
        };
        batches.set(key, batch);
        this.#pending.push(batch);
      }
      batch.orders.push(order);
    }
    this.#fillDue();
  }

  /** The fills that became available since the last call (fills what became known first). */
  getFills(): Fill[] {
    this.#fillDue();
    const fills = this.#fills;
    this.#fills = [];
    return fills;
  }

  /** Cancels the open orders among `orderIds`. */
  cancelOrders(orderIds: readonly number[], _options: CancelOrdersOptions): Promise<void> {
    const ids = new Set(orderIds);
    for (const batch of this.#pending) {
      batch.orders = batch.orders.filter((order) => {
        if (!ids.has(order.id)) return true;
        order.transition("cancelled");
        return false;
      });
    }
    this.#pending = this.#pending.filter((batch) => batch.orders.length > 0);
    return Promise.resolve();
  }

  /** The accepted orders not filled or cancelled yet, in submission order. */
  openOrders(): Order[] {
    return this.#pending.flatMap((batch) => batch.orders);
  }

  /** Fills every pending batch whose prices are known now, in submission order. */
  #fillDue(): void {
    if (this.#pending.length === 0) return;
    const known = this.marketData.lastKnownBarEnd();
    if (known === undefined) return;
    const barMs = this.marketData.barMs;
    const remaining: _Batch[] = [];
    for (const batch of this.#pending) {
      const lastBar = batch.convention === "close" ? batch.start : batch.end;
      if (known > lastBar - barMs) this.#fillBatch(batch);
      else remaining.push(batch);
    }
    this.#pending = remaining;
  }

  #fillBatch(batch: _Batch): void {
    const prices = this.#prices(batch);
    const orders = batch.orders;
    const shares = batch.sized
      ? (this.#sizer as AtFillSizer).sizeAtFill(orders, prices)
      : Float64Array.from(orders, (order) => order.diffShares);
    const timestamp = batch.convention === "close" ? batch.start : batch.end;
    for (let i = 0; i < orders.length; i++) {
      const order = orders[i] as Order;
      const price = prices[i] as number;
      const size = shares[i] as number;
      if (!(price > 0 && Number.isFinite(price)) || size === 0 || !Number.isFinite(size)) {
        order.transition("cancelled");
        continue;
      }
      const fee = Math.abs(size * price) * this.feeBps / 1e4;
      this.#fills.push(
        Fill.create(this.#fillIds, {
          orderId: order.id,
          assetId: order.assetId,
          timestamp,
          shares: size,
          price,
          fee,
        }),
      );
      order.transition("filled");
    }
  }

  /** The fill price of each order of `batch` (NaN when its window has no known bar). */
  #prices(batch: _Batch): Float64Array {
    const md = this.marketData;
    const close = batch.convention === "close";
    // close: the decision bar, the one bar ending in (start − barMs, start];
    // the others: the bars ending in (start, end].
    const lo = close ? batch.start - md.barMs : batch.start;
    const hi = Math.min(close ? batch.start : batch.end, md.clock.now());
    const wanted = new Set(batch.orders.map((order) => order.assetId));
    const windows = new Map<number, _Window>();
    if (hi > lo) {
      // Every asset's rows of the window, then only the batch's assets: a query for a subset
      // of the assets filters the frame in Polars (≈ 0.3 ms), the whole window is a slice.
      // Market data that serves JS columns (`getColumns`) answers without a Polars call.
      const frame = md.getColumns?.(lo, hi);
      const columns = frame === undefined
        ? _priceColumns(md.getData(lo, hi))
        : _framePriceColumns(frame);
      const ids = columns.assetId;
      const rows = new Map<number, number[]>();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as number;
        if (!wanted.has(id)) continue;
        let list = rows.get(id);
        if (list === undefined) rows.set(id, list = []);
        list.push(i);
      }
      for (const [id, list] of rows) {
        const pick = (a: ArrayLike<number>) => {
          const out = new Float64Array(list.length);
          for (let k = 0; k < list.length; k++) out[k] = a[list[k] as number] as number;
          return out;
        };
        const window = {
          open: pick(columns.open),
          high: pick(columns.high),
          low: pick(columns.low),
          close: pick(columns.close),
          volume: pick(columns.volume),
          decisionClose: NaN,
        };
        if (close) window.decisionClose = window.close[window.close.length - 1] as number;
        windows.set(id, window);
      }
    }
    return Float64Array.from(batch.orders, (order) => {
      const window = windows.get(order.assetId);
      return window === undefined ? NaN : fillPrice(window, batch.convention);
    });
  }

  /** A short description for messages. */
  toString(): string {
    const open = this.openOrders().length;
    const last = this.marketData.lastKnownBarEnd();
    return `SimulatedBroker(fee ${this.feeBps} bps, ${open} open orders, data known to ${
      last === undefined ? "nothing" : formatTime(last)
    })`;
  }
}

/** A bars frame's asset ids and OHLCV as doubles, in row order. */
interface _PriceColumns {
  assetId: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume: ArrayLike<number>;
}

const _PRICE_COLUMNS = ["asset_id", "open", "high", "low", "close", "volume"] as const;

/**
 * The price columns of `frame` (a `MarketData.getData` answer: a few rows per fill). One
 * `rows()` call converts them all — each `getColumn`/`cast`/`toTypedArray` crosses into Polars
 * on its own (≈ 20–40 µs each); `rows()` gives every Float64 / Int64 cell as the same double
 * the Float64 cast gives. Any other cell (a null, a non-numeric type) takes the Polars cast
 * path, which converts or fails exactly as before.
 */
function _priceColumns(frame: pl.DataFrame): _PriceColumns {
  const rows = frame.select(..._PRICE_COLUMNS).rows() as unknown[][];
  const n = rows.length;
  const cols = _PRICE_COLUMNS.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const row = rows[i] as unknown[];
    for (let c = 0; c < cols.length; c++) {
      const v = row[c];
      if (typeof v !== "number") return _castPriceColumns(frame);
      (cols[c] as Float64Array)[i] = v;
    }
  }
  return _pricesBy((name) => cols[_PRICE_COLUMNS.indexOf(name)] as Float64Array);
}

/** `_priceColumns` of a `MarketData.getColumns` answer (numbers as they are; NaN = null). */
function _framePriceColumns(frame: ColumnFrame): _PriceColumns {
  return _pricesBy((name) => frame.values(name));
}

/** `_priceColumns` through a Polars Float64 cast per column (the general path). */
function _castPriceColumns(frame: pl.DataFrame): _PriceColumns {
  return _pricesBy((name) => frame.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array);
}

/** The price columns, each read by `column`. */
function _pricesBy(
  column: (name: (typeof _PRICE_COLUMNS)[number]) => ArrayLike<number>,
): _PriceColumns {
  return {
    assetId: column("asset_id"),
    open: column("open"),
    high: column("high"),
    low: column("low"),
    close: column("close"),
    volume: column("volume"),
  };
}

interface _Window {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  decisionClose: number;
}
