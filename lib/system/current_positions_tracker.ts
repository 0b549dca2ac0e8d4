/**
 * `CurrentPositionsTracker`: the `current_positions` rows of one run and account, kept up to
 * date incrementally, bar by bar, instead of being recomputed from every order and fill of the
 * run at each rewrite (`computeCurrentPositions` of `lib/oms/db`, which reads the whole run:
 * quadratic over a run that trades every bar).
 *
 * It gives exactly the rows `computeCurrentPositions(allOrders, allFills, {now})` gives (the
 * same sums in the same order, so the same bits), as long as
 * - orders come in ascending order id and fills in ascending fill id, each once;
 * - the passes (`update(now, …)`, or `record` then `rows`) do not go back in time, and a
 *   pass's fills are stamped at or before its `now` (a fill cannot be stamped in the future).
 * Under these rules the fills before a new trade date are exactly the fills of the earlier
 * passes, which is what makes the beginning-of-day figures incremental.
 *
 * Per asset, with `initial` = `currShares` of the asset's first order: current = initial + Σ
 * fill shares; target = the latest non-rejected order's curr + diff while open (curr + filled
 * once final); open quantity = Σ (diff − filled) of the open orders; net cost = Σ shares × price
 * of the fills of the trade date; bod position / price from the fills before it.
 */
import { UsageError } from "../errors/mod.ts";
import { OPEN_ORDER_STATES, type OrderRow, type PositionRow, tradeDateOf } from "../oms/db/mod.ts";

const _DAY_MS = 86_400_000;

/** Options of `CurrentPositionsTracker`. */
export interface CurrentPositionsTrackerOptions {
  /** Run id of the rows. Required. */
  runId: string;
  /** Strategy id of the rows. Required. */
  strategyId: string;
  /** Account of the rows. Default: "main" (the OrderProcessor's default). */
  account?: string | undefined;
}

/** What one pass of `CurrentPositionsTracker.update` records. */
export interface CurrentPositionsChanges {
  /** New orders (rows kept by reference), ascending order id. Default: none. */
  orders?: readonly OrderRow[] | undefined;
  /** New fills, ascending fill id. Default: none. */
  fills?: readonly TrackedFill[] | undefined;
}

/** A fill as the tracker needs it. */
export interface TrackedFill {
  /** Fill id (ascending across calls). */
  readonly fillId: number;
  /** Asset id. */
  readonly assetId: number;
  /** Fill time, epoch ms. */
  readonly timestamp: number;
  /** Signed shares. */
  readonly shares: number;
  /** Price. */
  readonly price: number;
}

interface _Asset {
  initial: number;
  current: number;
  /** initial + Σ shares of the fills before `day`, in fill-id order. */
  bod: number;
  /** Σ shares × price of the fills at or after `day`, in fill-id order. */
  netCost: number;
  bodPrice: number;
  bodPriceAt: number;
  /** Price / time of the latest fill of all (the bod price after the next day change). */
  lastPrice: number;
  lastPriceAt: number;
  /** Open orders (live rows, updated in place by the caller), ascending order id. */
  open: OrderRow[];
  /** The latest non-rejected order (a live row). */
  latest: OrderRow | undefined;
}

/** Keeps a run's `current_positions` rows (see the module documentation). */
export class CurrentPositionsTracker {
  /** Run id of the rows. */
  readonly runId: string;
  /** Strategy id of the rows. */
  readonly strategyId: string;
  /** Account of the rows. */
  readonly account: string;
  readonly #assets = new Map<number, _Asset>();
  #sorted: number[] = [];
  /** Start of the trade date the per-asset bod / net cost figures are for. */
  #day = -Infinity;
  #lastOrderId = -Infinity;
  #lastFillId = -Infinity;
  #lastNow = -Infinity;

  /** Creates an empty tracker. */
  constructor(options: CurrentPositionsTrackerOptions) {
    this.runId = options.runId;
    this.strategyId = options.strategyId;
    this.account = options.account ?? "main";
  }

  /**
   * Records the orders and fills of one pass at `now` and returns the rows at `now`
   * (ascending asset id), as `computeCurrentPositions` would compute them from every order and
   * fill recorded so far. Orders come in ascending order id and fills in ascending fill id,
   * after those of earlier passes; a fill is stamped at or before `now`. The order rows are
   * kept by reference: when the caller later changes a row's `state` or `filledShares` (it
   * filled or was cancelled), the next pass sees it. Throws `UsageError` when these rules are
   * broken.
   */
  update(now: number, changes: CurrentPositionsChanges = {}): PositionRow[] {
    this.record(now, changes);
    return this.rows();
  }

  /**
   * `update` without the rows: records the orders and fills of one pass at `now` (same rules).
   * `rows()` gives the rows of the last pass whenever they are needed — e.g. only the last of
   * many passes, when only it is written — as long as the order rows kept by reference have
   * not changed since that pass.
   */
  record(now: number, changes: CurrentPositionsChanges = {}): void {
    if (!(now >= this.#lastNow)) {
      throw new UsageError(
        `CurrentPositionsTracker: pass time ${now} is before the previous one ${this.#lastNow}`,
      );
    }
    this.#lastNow = now;
    const day = Math.floor(now / _DAY_MS) * _DAY_MS;
    if (day > this.#day) {
      // Every fill recorded by an earlier pass is stamped at or before that pass's time, so
      // before `day`: they are all beginning-of-day fills now.
      for (const a of this.#assets.values()) {
        a.bod = a.current;
        a.netCost = 0;
        a.bodPrice = a.lastPrice;
        a.bodPriceAt = a.lastPriceAt;
      }
      this.#day = day;
    }
    for (const o of changes.orders ?? []) this.#addOrder(o);
    for (const f of changes.fills ?? []) this.#addFill(f, now);
  }

  /** The rows at the last pass (ascending asset id; none before the first pass). */
  rows(): PositionRow[] {
    const now = this.#lastNow;
    if (now === -Infinity) return [];
    const tradeDate = tradeDateOf(now);
    const out: PositionRow[] = [];
    for (const assetId of this.#sorted) {
      const a = this.#assets.get(assetId) as _Asset;
      a.open = a.open.filter((o) => OPEN_ORDER_STATES.includes(o.state));
      let openQuantity = 0;
      for (const o of a.open) openQuantity += o.diffShares - o.filledShares;
      const latest = a.latest;
      const target = latest === undefined ? a.current : latest.currShares +
        (OPEN_ORDER_STATES.includes(latest.state) || latest.state === "submitted"
          ? latest.diffShares
          : latest.filledShares);
      out.push({
        runId: this.runId,
        strategyId: this.strategyId,
        account: this.account,
        assetId,
        tradeDate,
        timestampDb: now,
        targetPosition: target,
        currentPosition: a.current,
        openQuantity,
        netCost: a.netCost,
        bodPosition: a.bod,
        bodPrice: a.bodPrice,
      });
    }
    return out;
  }

  #addOrder(o: OrderRow): void {
    if (!(o.orderId > this.#lastOrderId)) {
      throw new UsageError(
        `CurrentPositionsTracker: order ${o.orderId} is not after order ${this.#lastOrderId}`,
      );
    }
    this.#lastOrderId = o.orderId;
    const a = this.#asset(o.assetId, o.currShares);
    if (OPEN_ORDER_STATES.includes(o.state)) a.open.push(o);
    if (o.state !== "rejected") a.latest = o;
  }

  #addFill(f: TrackedFill, now: number): void {
    if (!(f.fillId > this.#lastFillId)) {
      throw new UsageError(
        `CurrentPositionsTracker: fill ${f.fillId} is not after fill ${this.#lastFillId}`,
      );
    }
    if (f.timestamp > now) {
      throw new UsageError(
        `CurrentPositionsTracker: fill ${f.fillId} is stamped ${f.timestamp}, after the pass ` +
          `time ${now}`,
      );
    }
    this.#lastFillId = f.fillId;
    const a = this.#asset(f.assetId, 0);
    a.current += f.shares;
    if (f.timestamp < this.#day) {
      a.bod += f.shares;
      if (f.timestamp >= a.bodPriceAt) {
        a.bodPrice = f.price;
        a.bodPriceAt = f.timestamp;
      }
    } else {
      a.netCost += f.shares * f.price;
    }
    if (f.timestamp >= a.lastPriceAt) {
      a.lastPrice = f.price;
      a.lastPriceAt = f.timestamp;
    }
  }

  #asset(assetId: number, initial: number): _Asset {
    let a = this.#assets.get(assetId);
    if (a === undefined) {
      a = {
        initial,
        current: initial,
        bod: initial,
        netCost: 0,
        bodPrice: NaN,
        bodPriceAt: -Infinity,
        lastPrice: NaN,
        lastPriceAt: -Infinity,
        open: [],
        latest: undefined,
      };
      this.#assets.set(assetId, a);
      this.#sorted.push(assetId);
      this.#sorted.sort((x, y) => x - y);
    }
    return a;
  }
}
