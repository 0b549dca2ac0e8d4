/**
 * `Optimizer` (DESIGN §8): per bar, from that bar's forecasts (asset id, prediction,
 * volatility, price), the current holdings and net wealth, the target positions — by THE SAME
 * `targetPositions` function as the forecast evaluator, with the same style / sizing /
 * decimals / fee / tolerance options — then the exchange limits, then the orders
 * (`start` = now, `end` = the next bar end) and the target-positions log rows.
 *
 * Assets: the forecasts' assets plus every asset still held (its prediction missing: target
 * 0), in ascending asset-id order (the evaluator's order, which makes the sums identical).
 *
 * Sized at fill (default under `equity` sizing with a fill-convention order type): the
 * evaluator sizes an equity trade AT THE FILL — target shares = w × (cash + Σ holdings × fill
 * price) / fill price, net of the trade's fees. So the Optimizer computes the style's weights
 * now (`targetWeights`) and emits one order per asset with a weight or a holding, carrying
 * `targetWeight = w` (its `diffShares` is the estimate at the decision price); the broker asks
 * `atFillSizer(account)` for the shares when the fill prices are known, which runs
 * `targetPositions` again — style `signal` on the weights (exactly the same weights), the same
 * sizing options, the account's holdings and its net wealth at the fill prices — and applies
 * the exchange limits at the fill price. Under `gmv` sizing the shares are known now (sized at
 * the forecasts' price, as the evaluator does) and only non-zero trades become orders.
 *
 * The target-positions rows show, per asset: holdings_shares, price, holdings_notional,
 * prediction, volatility, target_holdings_notional, target_trades_notional,
 * target_trades_shares, target_holdings_shares — after the exchange limits; for sized-at-fill
 * orders they are the decision-price estimates.
 */
import { DataError, UsageError } from "../errors/mod.ts";
import type { AtFillSizer } from "./broker.ts";
import { applyExchangeLimits, type ExchangeLimits } from "./exchange_limits.ts";
import { isFillConvention } from "./fill_prices.ts";
import type { IdCounter } from "./id_counter.ts";
import { isOrderType, Order, ORDER_TYPES, type OrderType } from "./order.ts";
import {
  parseSizing,
  parseTargetStyle,
  type Sizing,
  targetPositions,
  type TargetPositionsBar,
  type TargetPositionsOptions,
  type TargetStyle,
  targetWeights,
} from "./target_positions.ts";

/** What sizing at fill needs from the account: holdings and net wealth at given prices. */
export interface SizingAccount {
  /** Current holdings of an asset, shares (0 when not held). */
  holdings(assetId: number): number;
  /** cash + Σ holdings × price (an asset without a price at its last mark), ascending asset id. */
  netWealthAt(prices: ReadonlyMap<number, number>): number;
}

/** Options of `Optimizer`. */
export interface OptimizerOptions {
  /** How predictions become weights. Required. */
  style: TargetStyle;
  /** How weights become notionals. Required. */
  sizing: Sizing;
  /** Target gross market value for `gmv` sizing, quote currency. Required (> 0) for `gmv`. */
  targetGmv?: number | undefined;
  /** `longitudinal`: risk per name as a fraction of the sizing base. Default: 0.001. */
  riskPerName?: number | undefined;
  /** `longitudinal`: predictions with `|p|` under this give 0. Default: 0. */
  predictionAbsThreshold?: number | undefined;
  /** `longitudinal`: multiply by `|p|`. Default: false. */
  modulateByMagnitude?: boolean | undefined;
  /** Share precision in decimals (−2 = lots of 100). Default: none (no rounding). */
  decimals?: number | undefined;
  /** Fee in basis points (`equity` sizes net of it): set it to the broker's fee. Default: 0. */
  feeBps?: number | undefined;
  /** Relative distance under which a target equals the holdings. Default: 1e-9. */
  rebalanceTolerance?: number | undefined;
  /** Type of the orders: a fill convention (simulated) or a live type. Default: `next_open`. */
  orderType?: OrderType | undefined;
  /** Exchange limits per asset id. Default: none. */
  limits?: ReadonlyMap<number, ExchangeLimits> | undefined;
  /** Size orders at their fill. Default: `equity` sizing with a fill-convention order type. */
  sizeAtFill?: boolean | undefined;
}

/** One bar's inputs of `Optimizer.optimize`. */
export interface OptimizerBar {
  /** The decision bar's end, epoch ms (the target rows' timestamp). */
  timestamp: number;
  /** Now: the orders' creation and start, epoch ms. */
  startTimestamp: number;
  /** The orders' end (the next bar end), epoch ms. */
  endTimestamp: number;
  /** Asset ids of the forecast rows (unique). */
  assetIds: ArrayLike<number>;
  /** Predictions, one per row (NaN = none). */
  predictions: ArrayLike<number>;
  /** Volatilities, one per row (NaN = none). */
  volatilities: ArrayLike<number>;
  /** Decision prices, one per row (NaN = none). */
  prices: ArrayLike<number>;
  /** Current holdings by asset id (absent = 0). */
  holdings: ReadonlyMap<number, number>;
  /** Current net wealth (the base of `equity` sizing). */
  netWealth: number;
}

/** One asset's row of the target-positions log. */
export interface TargetPositionRow {
  /** Decision bar end, epoch ms. */
  timestamp: number;
  /** Asset id. */
  assetId: number;
  /** Current holdings, shares. */
  holdingsShares: number;
  /** Decision price. */
  price: number;
  /** holdings × price. */
  holdingsNotional: number;
  /** Prediction (NaN = none). */
  prediction: number;
  /** Volatility (NaN = none). */
  volatility: number;
  /** Target holdings × price. */
  targetHoldingsNotional: number;
  /** Target trade × price. */
  targetTradesNotional: number;
  /** Target trade, shares (after exchange limits). */
  targetTradesShares: number;
  /** Target holdings, shares (after exchange limits). */
  targetHoldingsShares: number;
}

/** Column names of the target-positions log, in order (snake_case of `TargetPositionRow`). */
export const TARGET_POSITION_COLUMNS = [
  "timestamp",
  "asset_id",
  "holdings_shares",
  "price",
  "holdings_notional",
  "prediction",
  "volatility",
  "target_holdings_notional",
  "target_trades_notional",
  "target_trades_shares",
  "target_holdings_shares",
] as const;

/** What `Optimizer.optimize` returns. */
export interface OptimizerResult {
  /** One row per asset, ascending asset id. */
  targets: TargetPositionRow[];
  /** The orders to submit, ascending asset id. */
  orders: Order[];
}

/** Targets, exchange limits and orders, bar by bar (see the module documentation). */
export class Optimizer {
  /** The order type of every order. */
  readonly orderType: OrderType;
  /** Whether orders are sized at their fill. */
  readonly sizeAtFill: boolean;
  /** Exchange limits per asset id. */
  readonly limits: ReadonlyMap<number, ExchangeLimits>;
  /** The options passed to `targetPositions`. */
  readonly targetOptions: Readonly<TargetPositionsOptions>;

  /** Validates `options`; throws `UsageError`. */
  constructor(options: OptimizerOptions) {
    const style = parseTargetStyle(String(options.style));
    const sizing = parseSizing(String(options.sizing));
    const feeBps = options.feeBps ?? 0;
    if (!Number.isFinite(feeBps) || feeBps < 0) {
      throw new UsageError(`Optimizer: invalid fee ${feeBps} bps: expected a finite number >= 0`);
    }
    const gmv = options.targetGmv;
    if (sizing === "gmv" && !(gmv !== undefined && gmv > 0 && Number.isFinite(gmv))) {
      throw new UsageError(`Optimizer: gmv sizing needs a positive targetGmv, got ${gmv}`);
    }
    const decimals = options.decimals;
    if (decimals !== undefined && !Number.isInteger(decimals)) {
      throw new UsageError(`Optimizer: invalid share decimals ${decimals}: expected an integer`);
    }
    const orderType = options.orderType ?? "next_open";
    if (!isOrderType(String(orderType))) {
      throw new UsageError(
        `Optimizer: unknown order type '${orderType}': expected one of ${ORDER_TYPES.join(", ")}`,
      );
    }
    this.orderType = orderType;
    this.sizeAtFill = options.sizeAtFill ?? (sizing === "equity" && isFillConvention(orderType));
    this.limits = options.limits ?? new Map();
    this.targetOptions = Object.freeze({
      style,
      sizing,
      targetGmv: gmv,
      riskPerName: options.riskPerName,
      predictionAbsThreshold: options.predictionAbsThreshold,
      modulateByMagnitude: options.modulateByMagnitude,
      decimals,
      feeBps,
      rebalanceTolerance: options.rebalanceTolerance,
    });
  }

  /**
   * One bar: targets for the forecast rows and held assets, exchange limits, orders (ids from
   * `orderIds`, the run's order counter) and the target-positions rows. Throws `DataError` on
   * mismatched row arrays or a repeated asset id.
   */
  optimize(bar: OptimizerBar, orderIds: IdCounter): OptimizerResult {
    const n = bar.assetIds.length;
    if (bar.predictions.length !== n || bar.volatilities.length !== n || bar.prices.length !== n) {
      throw new DataError(
        `Optimizer: the forecast rows have ${n} asset ids but ${bar.predictions.length} ` +
          `predictions, ${bar.volatilities.length} volatilities and ${bar.prices.length} prices`,
      );
    }
    const rowOf = new Map<number, number>();
    for (let r = 0; r < n; r++) {
      const id = bar.assetIds[r] as number;
      if (rowOf.has(id)) {
        throw new DataError(`Optimizer: asset id ${id} appears twice in the forecast rows`);
      }
      rowOf.set(id, r);
    }
    const ids = [...rowOf.keys()];
    for (const [id, shares] of bar.holdings) if (shares !== 0 && !rowOf.has(id)) ids.push(id);
    ids.sort((a, b) => a - b);
    const m = ids.length;
    const at = (values: ArrayLike<number>) =>
      Float64Array.from(ids, (id) => {
        const r = rowOf.get(id);
        return r === undefined ? NaN : values[r] as number;
      });
    const input: TargetPositionsBar = {
      predictions: at(bar.predictions),
      volatilities: at(bar.volatilities),
      prices: at(bar.prices),
      holdings: Float64Array.from(ids, (id) => bar.holdings.get(id) ?? 0),
      netWealth: bar.netWealth,
    };
    const weights = this.sizeAtFill ? targetWeights(input, this.targetOptions) : undefined;
    const target = targetPositions(input, this.targetOptions);
    const targets: TargetPositionRow[] = [];
    const orders: Order[] = [];
    for (let i = 0; i < m; i++) {
      const assetId = ids[i] as number;
      const price = input.prices[i] as number;
      const held = input.holdings[i] as number;
      const shares = target.shares[i] as number;
      const trade = shares - held;
      const limited = applyExchangeLimits(trade, price, this.limits.get(assetId));
      const targetShares = limited === trade ? shares : held + limited;
      targets.push({
        timestamp: bar.timestamp,
        assetId,
        holdingsShares: held,
        price,
        holdingsNotional: held === 0 ? 0 : held * price,
        prediction: input.predictions[i] as number,
        volatility: input.volatilities[i] as number,
        targetHoldingsNotional: limited === trade
          ? target.notional[i] as number
          : targetShares === 0
          ? 0
          : targetShares * price,
        targetTradesNotional: limited === 0 ? 0 : limited * price,
        targetTradesShares: limited,
        targetHoldingsShares: targetShares,
      });
      const weight = weights?.[i];
      if (weight !== undefined ? weight === 0 && held === 0 : limited === 0) continue;
      orders.push(
        Order.create(orderIds, {
          creationTimestamp: bar.startTimestamp,
          assetId,
          type: this.orderType,
          startTimestamp: bar.startTimestamp,
          endTimestamp: bar.endTimestamp,
          currentShares: held,
          diffShares: limited,
          targetWeight: weight,
        }),
      );
    }
    return { targets, orders };
  }

  /**
   * The sizer a broker uses for this optimizer's sized-at-fill orders, on `account` (the run's
   * `Portfolio`): for one batch, `targetPositions` with the orders' weights (style `signal`),
   * this optimizer's sizing options, the account's holdings and its net wealth at the fill
   * prices; trade = target − holdings, then the exchange limits at the fill price.
   */
  atFillSizer(account: SizingAccount): AtFillSizer {
    return { sizeAtFill: (orders, fillPrices) => this.#sizeAtFill(orders, fillPrices, account) };
  }

  #sizeAtFill(
    orders: readonly Order[],
    fillPrices: Float64Array,
    account: SizingAccount,
  ): Float64Array {
    const n = orders.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
      (orders[a] as Order).assetId - (orders[b] as Order).assetId
    );
    const prices = new Map<number, number>();
    const weights = new Float64Array(n);
    const px = new Float64Array(n);
    const holdings = new Float64Array(n);
    order.forEach((k, i) => {
      const o = orders[k] as Order;
      if (o.targetWeight === undefined) {
        throw new UsageError(`Optimizer.atFillSizer: order ${o.id} has no target weight`);
      }
      weights[i] = o.targetWeight;
      px[i] = fillPrices[k] as number;
      holdings[i] = account.holdings(o.assetId);
      prices.set(o.assetId, fillPrices[k] as number);
    });
    const bar: TargetPositionsBar = {
      predictions: weights,
      volatilities: new Float64Array(n).fill(NaN),
      prices: px,
      holdings,
      netWealth: account.netWealthAt(prices),
    };
    const result = targetPositions(bar, { ...this.targetOptions, style: "signal" });
    const out = new Float64Array(n);
    order.forEach((k, i) => {
      const o = orders[k] as Order;
      const trade = (result.shares[i] as number) - (holdings[i] as number);
      out[k] = applyExchangeLimits(trade, px[i] as number, this.limits.get(o.assetId));
    });
    return out;
  }
}
