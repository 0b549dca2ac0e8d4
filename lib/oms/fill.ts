/**
 * `Fill` (DESIGN §8): one execution of (part of) an order. A fill has its OWN id, from the
 * run's fill `IdCounter` — not the order's id (REFERENCE lists `fill_id == order_id` as a bug
 * of the original system) — and records the order id, asset, time, signed shares (buys
 * positive), price and fee (quote currency).
 *
 * One-line string form, parsed back exactly by `Fill.fromString`:
 *
 *   Fill: fill_id=0 order_id=3 asset_id=1467591036 timestamp=2025-01-06T00:10:00.000Z
 *   num_shares=0.12345 price=98765.4 fee=1.2
 *
 * (one line; numbers as `String(x)`, times ISO 8601 UTC with milliseconds).
 */
import { DataError, UsageError } from "../errors/mod.ts";
import type { IdCounter } from "./id_counter.ts";
import {
  _checkTime,
  _formatNumber,
  _formatTimestamp,
  _parseLine,
  _parseNumber,
  _parseTimestamp,
} from "./_text_form.ts";

/** The fields of a fill (`Fill`'s constructor). */
export interface FillFields {
  /** Fill id, unique within the run (from the run's fill `IdCounter`). */
  id: number;
  /** Id of the filled order. */
  orderId: number;
  /** Asset id. */
  assetId: number;
  /** When the fill happened, epoch ms. */
  timestamp: number;
  /** Shares traded (signed, buys positive; non-zero). */
  shares: number;
  /** Price per share (positive). */
  price: number;
  /** Fee paid, quote currency (finite; negative for a rebate). */
  fee: number;
}

const _KEYS = [
  "fill_id",
  "order_id",
  "asset_id",
  "timestamp",
  "num_shares",
  "price",
  "fee",
] as const;

/** An immutable fill. */
export class Fill {
  /** Fill id. */
  readonly id: number;
  /** Id of the filled order. */
  readonly orderId: number;
  /** Asset id. */
  readonly assetId: number;
  /** When the fill happened, epoch ms. */
  readonly timestamp: number;
  /** Shares traded (signed). */
  readonly shares: number;
  /** Price per share. */
  readonly price: number;
  /** Fee paid, quote currency. */
  readonly fee: number;

  /** Validates `fields`; throws `UsageError`. */
  constructor(fields: FillFields) {
    const what = `Fill ${fields.id}`;
    for (const key of ["id", "orderId"] as const) {
      if (!Number.isSafeInteger(fields[key]) || fields[key] < 0) {
        throw new UsageError(`${what}: ${key} must be a non-negative integer, got ${fields[key]}`);
      }
    }
    if (!Number.isSafeInteger(fields.assetId)) {
      throw new UsageError(`${what}: asset id must be an integer, got ${fields.assetId}`);
    }
    _checkTime(fields.timestamp, `${what}: timestamp`);
    if (!Number.isFinite(fields.shares) || fields.shares === 0) {
      throw new UsageError(`${what}: shares must be finite and non-zero, got ${fields.shares}`);
    }
    if (!(Number.isFinite(fields.price) && fields.price > 0)) {
      throw new UsageError(`${what}: price must be a positive number, got ${fields.price}`);
    }
    if (!Number.isFinite(fields.fee)) {
      throw new UsageError(`${what}: fee must be finite, got ${fields.fee}`);
    }
    this.id = fields.id;
    this.orderId = fields.orderId;
    this.assetId = fields.assetId;
    this.timestamp = fields.timestamp;
    this.shares = fields.shares;
    this.price = fields.price;
    this.fee = fields.fee;
  }

  /** Creates a fill with the next id of `ids` (the run's fill counter). */
  static create(ids: IdCounter, fields: Omit<FillFields, "id">): Fill {
    return new Fill({ ...fields, id: ids.next() });
  }

  /** The fill's fields (a copy). */
  toFields(): FillFields {
    return {
      id: this.id,
      orderId: this.orderId,
      assetId: this.assetId,
      timestamp: this.timestamp,
      shares: this.shares,
      price: this.price,
      fee: this.fee,
    };
  }

  /** The one-line string form; `Fill.fromString` reads it. */
  toString(): string {
    return `Fill: fill_id=${this.id} order_id=${this.orderId} asset_id=${this.assetId} ` +
      `timestamp=${_formatTimestamp(this.timestamp)} num_shares=${_formatNumber(this.shares)} ` +
      `price=${_formatNumber(this.price)} fee=${_formatNumber(this.fee)}`;
  }

  /** Parses the one-line form back into an equal fill; throws `DataError`. */
  static fromString(text: string): Fill {
    const where = `Cannot parse fill '${text.length > 200 ? text.slice(0, 200) + "…" : text}'`;
    const v = _parseLine(text.trim(), "Fill:", _KEYS, "fill");
    const get = (key: typeof _KEYS[number]) => v.get(key) as string;
    const int = (key: typeof _KEYS[number]) => {
      const text = get(key);
      if (!/^-?\d+$/.test(text)) throw new DataError(`${where}: ${key}=${text} is not an integer`);
      return Number(text);
    };
    try {
      return new Fill({
        id: int("fill_id"),
        orderId: int("order_id"),
        assetId: int("asset_id"),
        timestamp: _parseTimestamp(get("timestamp"), where, "timestamp"),
        shares: _parseNumber(get("num_shares"), where, "num_shares"),
        price: _parseNumber(get("price"), where, "price"),
        fee: _parseNumber(get("fee"), where, "fee"),
      });
    } catch (error) {
      if (error instanceof UsageError) {
        throw new DataError(`${where}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}
