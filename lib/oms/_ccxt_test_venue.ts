/**
 * Private test helpers of the ccxt broker: an exchange emulator serving chosen bars on a
 * `ReplayedClock`, the real ccxt `binance` client pointed at it, and a `CcxtBroker` logging into
 * a temporary run directory. Markets have fixed filters (tick 0.01, step 0.001, min amount
 * 0.001, min notional 5), a 10 bps half-spread and 10 bps fees, so tests can compute prices.
 */
import ccxt from "ccxt";
import pl from "nodejs-polars";
import { assetIdOf, BAR_COLUMNS, ReplayedClock } from "../sim/mod.ts";
import {
  emulatorCcxtOptions,
  type EmulatorTrade,
  type ExchangeEmulator,
  type ExchangeEmulatorOptions,
  startExchangeEmulator,
} from "../sim/exchange_emulator/mod.ts";
import { CcxtBroker, type CcxtBrokerOptions } from "./ccxt_broker.ts";
import { IdCounter } from "./id_counter.ts";
import { Order } from "./order.ts";

/** 2025-01-03T10:00Z, a bar boundary. */
export const _T0 = Date.UTC(2025, 0, 3, 10, 0);
/** Five minutes. */
export const _M5 = 300_000;
/** The test symbols. */
export const _BTC = "binance::BTC_USDT";
/** The test symbols. */
export const _ETH = "binance::ETH_USDT";

/** One bar of a test frame. */
export interface _VenueBar {
  /** Full symbol. Default: `_BTC`. */
  symbol?: string;
  /** Bar end. */
  end: number;
  /** Prices. */
  o: number;
  h: number;
  l: number;
  c: number;
  /** Volume. Default: 100. */
  v?: number;
  /** knowledge − end, ms. Default: 0. */
  delay?: number;
}

/** A bars frame (bar contract) of `bars` (5-minute bars). */
export function _venueBars(bars: readonly _VenueBar[]): pl.DataFrame {
  const rows = bars.map((b) => ({ ...b, symbol: b.symbol ?? _BTC }))
    .sort((a, b) => a.end - b.end || assetIdOf(a.symbol) - assetIdOf(b.symbol));
  const f = (fn: (b: typeof rows[number]) => number) => Float64Array.from(rows.map(fn));
  const time = (name: string, values: Float64Array) =>
    pl.Series(name, values).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  return pl.DataFrame([
    time("timestamp", f((b) => b.end)),
    time("start_timestamp", f((b) => b.end - _M5)),
    pl.Series("asset_id", rows.map((b) => assetIdOf(b.symbol)), pl.Int64),
    pl.Series("full_symbol", rows.map((b) => b.symbol), pl.String),
    pl.Series("open", f((b) => b.o)),
    pl.Series("high", f((b) => b.h)),
    pl.Series("low", f((b) => b.l)),
    pl.Series("close", f((b) => b.c)),
    pl.Series("volume", f((b) => b.v ?? 100)),
    time("knowledge_timestamp", f((b) => b.end + (b.delay ?? 0))),
  ]).select(...BAR_COLUMNS);
}

/**
 * `n` bars per symbol ending at `_T0 − 5m·(k−1)`…: bars from `_T0 − 20m` on, close `price`,
 * low `price − 1`, high `price + 1`, volume `volume`.
 */
export function _flatVenueBars(
  n: number,
  options: { symbols?: string[]; price?: number; volume?: number; delay?: number } = {},
): _VenueBar[] {
  const { symbols = [_BTC, _ETH], price = 100, volume = 100, delay = 0 } = options;
  const out: _VenueBar[] = [];
  for (const symbol of symbols) {
    for (let k = 0; k < n; k++) {
      out.push({
        symbol,
        end: _T0 - 4 * _M5 + k * _M5,
        o: price,
        h: price + 1,
        l: price - 1,
        c: price,
        v: volume,
        delay,
      });
    }
  }
  return out;
}

/** What a venue test gets. */
export interface _Venue {
  clock: ReplayedClock;
  emulator: ExchangeEmulator;
  exchange: InstanceType<typeof ccxt.binance>;
  broker: CcxtBroker;
  runDir: string;
  orderIds: IdCounter;
}

/** Options of `_withVenue`. */
export interface _VenueOptions {
  /** The bars. Default: `_flatVenueBars(40)`. */
  bars?: _VenueBar[];
  /** Clock start. Default: `_T0 + 10 s`. */
  start?: number;
  /** Emulator options. */
  emulator?: Partial<ExchangeEmulatorOptions>;
  /** Broker options. */
  broker?: Partial<CcxtBrokerOptions>;
  /** ccxt request timeout, ms. Default: 10_000. */
  ccxtTimeoutMs?: number;
}

/** Runs `fn` against a fresh venue (see the module doc) and cleans up. */
export async function _withVenue(
  fn: (venue: _Venue) => Promise<void>,
  options: _VenueOptions = {},
): Promise<void> {
  const clock = new ReplayedClock(options.start ?? _T0 + 10_000);
  const filters = { tickSize: 0.01, stepSize: 0.001, minQty: 0.001, minNotional: 5 };
  const emulator = await startExchangeEmulator(_venueBars(options.bars ?? _flatVenueBars(40)), {
    clock,
    balances: { USDT: 1_000_000, BTC: 1_000, ETH: 1_000 },
    halfSpreadBps: 10,
    makerFeeBps: 10,
    takerFeeBps: 10,
    volumeShare: 0.1,
    filters: { BTCUSDT: filters, ETHUSDT: filters },
    ...options.emulator,
  });
  const runDir = await Deno.makeTempDir({ prefix: "dagtrade_ccxt_broker_" });
  try {
    const exchange = new ccxt.binance({
      ...emulatorCcxtOptions(emulator),
      timeout: options.ccxtTimeoutMs ?? 10_000,
    });
    const broker = await CcxtBroker.create(exchange, {
      clock,
      runId: "t1",
      symbols: [_BTC, _ETH],
      runDir,
      retry: { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 5_000 },
      ...options.broker,
    });
    try {
      await fn({ clock, emulator, exchange, broker, runDir, orderIds: new IdCounter() });
    } finally {
      broker.log.close();
    }
  } finally {
    await emulator.close();
    await Deno.remove(runDir, { recursive: true });
  }
}

/** A submitted parent order. */
export function _parent(
  ids: IdCounter,
  fields: {
    symbol?: string;
    shares: number;
    start: number;
    end: number;
    type?: "twap" | "market" | "limit" | "next_open";
    limit?: number;
  },
): Order {
  return Order.create(ids, {
    creationTimestamp: fields.start,
    assetId: assetIdOf(fields.symbol ?? _BTC),
    type: fields.type ?? "twap",
    startTimestamp: fields.start,
    endTimestamp: fields.end,
    currentShares: 0,
    diffShares: fields.shares,
    limitPrice: fields.limit,
  });
}

/** Every trade of the emulator on `symbol` (Binance symbol, e.g. `BTCUSDT`). */
export function _emulatorTrades(emulator: ExchangeEmulator, symbol = "BTCUSDT"): EmulatorTrade[] {
  return emulator.engine.trades(symbol, { limit: 1_000_000, fromId: 0 });
}

/** The fold of trades: Σ signed qty, Σ quote / Σ qty, Σ commission. */
export function _fold(
  trades: readonly EmulatorTrade[],
): { shares: number; price: number; fee: number } {
  let qty = 0;
  let quote = 0;
  let fee = 0;
  for (const t of trades) {
    qty += t.side === "BUY" ? t.qty : -t.qty;
    quote += t.quoteQty;
    fee += t.commission;
  }
  const abs = trades.reduce((s, t) => s + t.qty, 0);
  return { shares: qty, price: abs === 0 ? NaN : quote / abs, fee };
}

/** Orders the emulator knows, on `symbol`, by client order id. */
export function _emulatorOrders(emulator: ExchangeEmulator, symbol = "BTCUSDT") {
  return emulator.engine.orders(symbol, { limit: 1_000_000, orderId: 0 });
}

/** Reads a JSON-lines file of the broker log. */
export async function _readLog(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}
