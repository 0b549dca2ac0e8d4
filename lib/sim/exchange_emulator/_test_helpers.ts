/** Private test helpers of the exchange emulator: small bar frames with chosen prices. */
import pl from "nodejs-polars";
import { assetIdOf } from "../asset_id.ts";
import { BAR_COLUMNS } from "../bar_schema.ts";
import { EmulatorMarket } from "./emulator_market.ts";

/** One bar of a test frame. */
export interface _Bar {
  /** Full symbol. Default: `binance::BTC_USDT`. */
  symbol?: string;
  /** Bar end, epoch ms. */
  end: number;
  /** Open, high, low, close. */
  o: number;
  h: number;
  l: number;
  c: number;
  /** Volume. Default: 100. */
  v?: number;
  /** knowledge_timestamp − end, ms. Default: 10 s. */
  delay?: number;
}

/** 2025-01-03T10:00Z. */
export const _T0 = Date.UTC(2025, 0, 3, 10, 0);
/** Five minutes. */
export const _M5 = 300_000;

/** A bars frame (bar contract) of the given bars, 5-minute bars, sorted. */
export function _barsFrame(bars: readonly _Bar[], barMs = _M5): pl.DataFrame {
  const rows = [...bars].map((b) => ({ ...b, symbol: b.symbol ?? "binance::BTC_USDT" }))
    .sort((a, b) => a.end - b.end || assetIdOf(a.symbol) - assetIdOf(b.symbol));
  const f = (fn: (b: typeof rows[number]) => number) => Float64Array.from(rows.map(fn));
  const time = (name: string, values: Float64Array) =>
    pl.Series(name, values).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  return pl.DataFrame([
    time("timestamp", f((b) => b.end)),
    time("start_timestamp", f((b) => b.end - barMs)),
    pl.Series("asset_id", rows.map((b) => assetIdOf(b.symbol)), pl.Int64),
    pl.Series("full_symbol", rows.map((b) => b.symbol), pl.String),
    pl.Series("open", f((b) => b.o)),
    pl.Series("high", f((b) => b.h)),
    pl.Series("low", f((b) => b.l)),
    pl.Series("close", f((b) => b.c)),
    pl.Series("volume", f((b) => b.v ?? 100)),
    time("knowledge_timestamp", f((b) => b.end + (b.delay ?? 10_000))),
  ]).select(...BAR_COLUMNS);
}

/** `n` flat BTC bars (price `p`, high p+10, low p−10) ending at `_T0 + 5m`, `_T0 + 10m`, … */
export function _flatBars(n: number, p = 100_000): _Bar[] {
  return Array.from({ length: n }, (_, i) => ({
    end: _T0 + (i + 1) * _M5,
    o: p,
    h: p + 10,
    l: p - 10,
    c: p,
  }));
}

/** The markets of a test frame. */
export function _markets(bars: readonly _Bar[]): Map<string, EmulatorMarket> {
  return EmulatorMarket.fromBars(_barsFrame(bars));
}

/** Sends a request signed like ccxt does (timestamp from `now`, params in the query or body). */
export async function _signedFetch(
  target: { url: string; apiKey: string; secret: string },
  request: { method: string; path: string; params: Record<string, string>; now: number },
): Promise<Response> {
  const { binanceSignature } = await import("./binance_signature.ts");
  const query = new URLSearchParams({ ...request.params, timestamp: String(request.now) })
    .toString();
  const signed = `${query}&signature=${binanceSignature(target.secret, query)}`;
  const inBody = request.method === "POST";
  return await fetch(`${target.url}${request.path}${inBody ? "" : `?${signed}`}`, {
    method: request.method,
    headers: {
      "X-MBX-APIKEY": target.apiKey,
      ...(inBody ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
    },
    ...(inBody ? { body: signed } : {}),
  });
}
