/**
 * `Order` (DESIGN §8, REFERENCE "OMS"): what to trade, when, and how. An order asks to trade
 * `diffShares` (signed, buys positive) of one asset over the interval `[start, end)`, from a
 * position of `currentShares`, executed as `type`:
 * - a fill convention (`close`, `next_open`, `next_close`, `twap`, `vwap`, see `fill_prices.ts`)
 *   for the simulated broker, priced exactly as the forecast evaluator prices it;
 * - `market` / `limit` / `twap` for a live (ccxt) broker; `limit` needs `limitPrice`.
 *
 * Sized-at-fill orders. An order with a `targetWeight` is sized when it fills: the broker asks
 * its `AtFillSizer` (the Optimizer) for the shares once the fill prices are known, so that
 * target shares = weight × net wealth at the fill prices / fill price (the forecast
 * evaluator's `equity` sizing). Its `diffShares` is then only the estimate made at the
 * decision price (it may be 0); the fill says what traded.
 *
 * Validation: `creationTimestamp <= startTimestamp < endTimestamp` (integer epoch ms), finite
 * shares, `diffShares != 0` unless sized at fill. States change only through `transition()`
 * (the table of `order_state.ts`). Ids come from a per-run `IdCounter` (`Order.create`).
 *
 * The one-line string form (`toString()`, parsed back EXACTLY by `Order.fromString`, state
 * included):
 *
 *   Order: order_id=3 creation_timestamp=2025-01-06T00:05:10.000Z asset_id=1467591036
 *   type_=next_open start_timestamp=2025-01-06T00:05:10.000Z end_timestamp=2025-01-06T00:10:00.000Z
 *   curr_num_shares=0 diff_num_shares=0.12345 limit_price=None target_weight=None state=submitted
 *   extra_params={}
 *
 * (one line). Numbers print with `String(x)` (shortest round-trip form), times as ISO 8601 UTC
 * with milliseconds, absent values as `None`, extra parameters as JSON.
 */
import { DataError, UsageError } from "../errors/mod.ts";
import { FILL_CONVENTIONS, type FillConvention } from "./fill_prices.ts";
import type { IdCounter } from "./id_counter.ts";
import {
  checkOrderTransition,
  isOrderState,
  ORDER_STATES,
  type OrderState,
} from "./order_state.ts";
import {
  _checkJson,
  _checkTime,
  _formatNumber,
  _formatOptional,
  _formatTimestamp,
  _parseLine,
  _parseNumber,
  _parseOptional,
  _parseTimestamp,
} from "./_text_form.ts";

/** Order types for live brokers (besides the fill conventions of the simulated broker). */
export const LIVE_ORDER_TYPES = ["market", "limit", "twap"] as const;

/** Every order type: the fill conventions, then `market` and `limit` (`twap` is in both). */
export const ORDER_TYPES = [...FILL_CONVENTIONS, "market", "limit"] as const;

/** One order type (see the module documentation). */
export type OrderType = FillConvention | typeof LIVE_ORDER_TYPES[number];

/** Whether `text` names an order type. */
export function isOrderType(text: string): text is OrderType {
  return (ORDER_TYPES as readonly string[]).includes(text);
}

/** A JSON value of an order's extra parameters. */
export type OrderParamValue =
  | null
  | boolean
  | number
  | string
  | readonly OrderParamValue[]
  | { readonly [key: string]: OrderParamValue };

/** An order's extra parameters: plain JSON (finite numbers; no −0). */
export type OrderExtraParams = { readonly [key: string]: OrderParamValue };

/** The fields of an order (`Order`'s constructor). */
export interface OrderFields {
  /** Order id, unique within the run (from the run's `IdCounter`). */
  id: number;
  /** When the order was created, epoch ms. */
  creationTimestamp: number;
  /** Asset id. */
  assetId: number;
  /** Execution type (see the module documentation). */
  type: OrderType;
  /** Start of the execution interval `[start, end)`, epoch ms. */
  startTimestamp: number;
  /** End of the execution interval (exclusive), epoch ms. */
  endTimestamp: number;
  /** Position before the order, shares. */
  currentShares: number;
  /** Shares to trade (signed); for a sized-at-fill order, the estimate at the decision price. */
  diffShares: number;
  /** Limit price (required for `limit`). Default: none. */
  limitPrice?: number | undefined;
  /** Target weight of a sized-at-fill order (see the module documentation). Default: none. */
  targetWeight?: number | undefined;
  /** Extra parameters, plain JSON. Default: `{}`. */
  extraParams?: OrderExtraParams | undefined;
  /** Initial state. Default: `submitted`. */
  state?: OrderState | undefined;
}

const _KEYS = [
  "order_id",
  "creation_timestamp",
  "asset_id",
  "type_",
  "start_timestamp",
  "end_timestamp",
  "curr_num_shares",
  "diff_num_shares",
  "limit_price",
  "target_weight",
  "state",
  "extra_params",
] as const;

/** An order: immutable fields, a state that changes only through the transition table. */
export class Order {
  /** Order id, unique within the run. */
  readonly id: number;
  /** When the order was created, epoch ms. */
  readonly creationTimestamp: number;
  /** Asset id. */
  readonly assetId: number;
  /** Execution type. */
  readonly type: OrderType;
  /** Start of `[start, end)`, epoch ms. */
  readonly startTimestamp: number;
  /** End of `[start, end)`, epoch ms. */
  readonly endTimestamp: number;
  /** Position before the order, shares. */
  readonly currentShares: number;
  /** Shares to trade (signed); the decision-price estimate when sized at fill. */
  readonly diffShares: number;
  /** Limit price, or `undefined`. */
  readonly limitPrice: number | undefined;
  /** Target weight of a sized-at-fill order, or `undefined`. */
  readonly targetWeight: number | undefined;
  /** Extra parameters (frozen). */
  readonly extraParams: OrderExtraParams;
  #state: OrderState;

  /** Validates `fields` (see the module documentation); throws `UsageError`. */
  constructor(fields: OrderFields) {
    const what = `Order ${fields.id}`;
    if (!Number.isSafeInteger(fields.id) || fields.id < 0) {
      throw new UsageError(`Order id must be a non-negative integer, got ${fields.id}`);
    }
    if (!Number.isSafeInteger(fields.assetId)) {
      throw new UsageError(`${what}: asset id must be an integer, got ${fields.assetId}`);
    }
    if (!isOrderType(String(fields.type))) {
      throw new UsageError(
        `${what}: unknown type '${fields.type}': expected one of ${ORDER_TYPES.join(", ")}`,
      );
    }
    _checkTime(fields.creationTimestamp, `${what}: creation timestamp`);
    _checkTime(fields.startTimestamp, `${what}: start timestamp`);
    _checkTime(fields.endTimestamp, `${what}: end timestamp`);
    if (
      !(fields.creationTimestamp <= fields.startTimestamp &&
        fields.startTimestamp < fields.endTimestamp)
    ) {
      throw new UsageError(
        `${what}: times must satisfy creation <= start < end, got creation ${
          _formatTimestamp(fields.creationTimestamp)
        }, start ${_formatTimestamp(fields.startTimestamp)}, end ${
          _formatTimestamp(fields.endTimestamp)
        }`,
      );
    }
    if (!Number.isFinite(fields.currentShares)) {
      throw new UsageError(`${what}: current shares must be finite, got ${fields.currentShares}`);
    }
    const weight = fields.targetWeight;
    if (weight !== undefined && !Number.isFinite(weight)) {
      throw new UsageError(`${what}: target weight must be finite, got ${weight}`);
    }
    if (!Number.isFinite(fields.diffShares) || (fields.diffShares === 0 && weight === undefined)) {
      throw new UsageError(
        `${what}: diff shares must be finite and non-zero (an order must trade), got ${fields.diffShares}`,
      );
    }
    const limit = fields.limitPrice;
    if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
      throw new UsageError(`${what}: limit price must be a positive number, got ${limit}`);
    }
    if (fields.type === "limit" && limit === undefined) {
      throw new UsageError(`${what}: a limit order needs a limit price`);
    }
    const extra = fields.extraParams ?? {};
    _checkJson(extra, `${what}: extra params`);
    if (Array.isArray(extra)) throw new UsageError(`${what}: extra params must be an object`);
    const state = fields.state ?? "submitted";
    if (!isOrderState(String(state))) {
      throw new UsageError(
        `${what}: unknown state '${state}': expected one of ${ORDER_STATES.join(", ")}`,
      );
    }
    this.id = fields.id;
    this.creationTimestamp = fields.creationTimestamp;
    this.assetId = fields.assetId;
    this.type = fields.type;
    this.startTimestamp = fields.startTimestamp;
    this.endTimestamp = fields.endTimestamp;
    this.currentShares = fields.currentShares;
    this.diffShares = fields.diffShares;
    this.limitPrice = limit;
    this.targetWeight = weight;
    // No parameters (the common case): a frozen empty object, what the clone would give.
    this.extraParams = _isEmptyPlainObject(extra)
      ? Object.freeze({})
      : _deepFreeze(structuredClone(extra));
    this.#state = state;
  }

  /** Creates an order with the next id of `ids` (the run's order counter). */
  static create(ids: IdCounter, fields: Omit<OrderFields, "id">): Order {
    return new Order({ ...fields, id: ids.next() });
  }

  /** The current state. */
  get state(): OrderState {
    return this.#state;
  }

  /** Whether the order is sized when it fills (it has a target weight). */
  get sizedAtFill(): boolean {
    return this.targetWeight !== undefined;
  }

  /**
   * Moves the order to `to` through the transition table; throws `OrderStateError` naming
   * both states when the table does not allow it.
   */
  transition(to: OrderState): void {
    checkOrderTransition(this.#state, to, `order ${this.id}`);
    this.#state = to;
  }

  /** The order's fields (a copy). */
  toFields(): OrderFields {
    return {
      id: this.id,
      creationTimestamp: this.creationTimestamp,
      assetId: this.assetId,
      type: this.type,
      startTimestamp: this.startTimestamp,
      endTimestamp: this.endTimestamp,
      currentShares: this.currentShares,
      diffShares: this.diffShares,
      limitPrice: this.limitPrice,
      targetWeight: this.targetWeight,
      extraParams: structuredClone(this.extraParams) as OrderExtraParams,
      state: this.#state,
    };
  }

  /** The one-line string form (see the module documentation); `Order.fromString` reads it. */
  toString(): string {
    return `Order: order_id=${this.id} creation_timestamp=${
      _formatTimestamp(this.creationTimestamp)
    } asset_id=${this.assetId} type_=${this.type} start_timestamp=${
      _formatTimestamp(this.startTimestamp)
    } end_timestamp=${_formatTimestamp(this.endTimestamp)} curr_num_shares=${
      _formatNumber(this.currentShares)
    } diff_num_shares=${_formatNumber(this.diffShares)} limit_price=${
      _formatOptional(this.limitPrice)
    } target_weight=${_formatOptional(this.targetWeight)} state=${this.#state} extra_params=${
      JSON.stringify(this.extraParams)
    }`;
  }

  /**
   * Parses the one-line form of `toString()` back into an equal order (same fields, same
   * state). Throws `DataError` naming the first field that does not parse or validate.
   */
  static fromString(text: string): Order {
    const where = `Cannot parse order '${text.length > 200 ? text.slice(0, 200) + "…" : text}'`;
    const v = _parseLine(text.trim(), "Order:", _KEYS, "order");
    const get = (key: typeof _KEYS[number]) => v.get(key) as string;
    const int = (key: typeof _KEYS[number]) => {
      const text = get(key);
      if (!/^-?\d+$/.test(text)) throw new DataError(`${where}: ${key}=${text} is not an integer`);
      return Number(text);
    };
    let extraParams: unknown;
    try {
      extraParams = JSON.parse(get("extra_params"));
    } catch (error) {
      throw new DataError(`${where}: extra_params is not JSON`, { cause: error });
    }
    if (extraParams === null || typeof extraParams !== "object" || Array.isArray(extraParams)) {
      throw new DataError(`${where}: extra_params must be a JSON object`);
    }
    const type = get("type_");
    const state = get("state");
    try {
      return new Order({
        id: int("order_id"),
        creationTimestamp: _parseTimestamp(get("creation_timestamp"), where, "creation_timestamp"),
        assetId: int("asset_id"),
        type: type as OrderType,
        startTimestamp: _parseTimestamp(get("start_timestamp"), where, "start_timestamp"),
        endTimestamp: _parseTimestamp(get("end_timestamp"), where, "end_timestamp"),
        currentShares: _parseNumber(get("curr_num_shares"), where, "curr_num_shares"),
        diffShares: _parseNumber(get("diff_num_shares"), where, "diff_num_shares"),
        limitPrice: _parseOptional(get("limit_price"), where, "limit_price"),
        targetWeight: _parseOptional(get("target_weight"), where, "target_weight"),
        extraParams: extraParams as OrderExtraParams,
        state: state as OrderState,
      });
    } catch (error) {
      if (error instanceof UsageError) {
        throw new DataError(`${where}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}

function _isEmptyPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.getOwnPropertyNames(value).length === 0;
}

function _deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value as object)) _deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
