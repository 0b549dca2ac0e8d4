/**
 * `createCcxtExchange`: a ccxt exchange instance for dagtrade's downloads, with ccxt's rate
 * limiter on, a request timeout, and optionally every API URL pointed at another base URL
 * (the exchange emulator, a proxy). ccxt is imported lazily here (~0.4 s), so only commands
 * that talk to an exchange pay for it.
 */
import { UsageError } from "../errors/mod.ts";
import type { OhlcvExchange } from "./ccxt_ohlcv_fetcher.ts";

/** Options of `createCcxtExchange`. */
export interface CreateCcxtExchangeOptions {
  /**
   * Base URL (`http://127.0.0.1:8080`) replacing the scheme and host of every entry of the
   * exchange's `urls.api` (paths kept: binance's `public` becomes `<base>/api/v3`). Default:
   * none (the exchange's own URLs).
   */
  baseUrl?: string | undefined;
  /** ccxt's request timeout, ms. Default: 10_000. */
  timeoutMs?: number | undefined;
  /** Extra ccxt constructor options, merged last (e.g. the emulator's). Default: none. */
  ccxtOptions?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Creates the ccxt exchange `id` (`binance`) with `enableRateLimit: true`. For binance only
 * spot markets are loaded (`options.fetchMarkets.types = ["spot"]`: one request instead of
 * three, and no futures hosts). An unknown id is a `UsageError` naming similar ones; a
 * malformed base URL too.
 */
export async function createCcxtExchange(
  id: string,
  options: CreateCcxtExchangeOptions = {},
): Promise<OhlcvExchange> {
  const { default: ccxt } = await import("ccxt");
  const classes = ccxt as unknown as Record<string, unknown>;
  const ids = (ccxt as unknown as { exchanges: string[] }).exchanges;
  const Ctor = ids.includes(id) ? classes[id] : undefined;
  if (typeof Ctor !== "function") {
    const similar = ids.filter((e) => e.includes(id.slice(0, 4)) || id.includes(e)).slice(0, 8);
    throw new UsageError(
      `Unknown ccxt exchange '${id}'` +
        (similar.length > 0 ? `; similar: ${similar.join(", ")}` : "") +
        ` (${ids.length} exchanges; e.g. binance, kraken, coinbase)`,
    );
  }
  const config: Record<string, unknown> = {
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 10_000,
    ...(id === "binance" ? { options: { fetchMarkets: { types: ["spot"] } } } : {}),
    ...(options.ccxtOptions ?? {}),
  };
  const exchange = new (Ctor as new (config: Record<string, unknown>) => OhlcvExchange & {
    urls: Record<string, unknown>;
  })(config);
  if (options.baseUrl !== undefined) {
    const base = _checkBaseUrl(options.baseUrl);
    exchange.urls.api = overrideApiUrls(exchange.urls.api, base);
  }
  return exchange;
}

/**
 * `api` (a ccxt `urls.api`: a URL string or a tree of them) with the scheme and host of every
 * URL replaced by `base` (no trailing slash), paths kept.
 */
export function overrideApiUrls(api: unknown, base: string): unknown {
  if (typeof api === "string") return api.replace(/^[a-z]+:\/\/[^/]+/i, base.replace(/\/+$/, ""));
  if (api !== null && typeof api === "object" && !Array.isArray(api)) {
    return Object.fromEntries(
      Object.entries(api as Record<string, unknown>).map(([k, v]) => [k, overrideApiUrls(v, base)]),
    );
  }
  return api;
}

function _checkBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new UsageError(
      `Invalid --exchange-url '${text}': expected a base URL like http://127.0.0.1:8080`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`Invalid --exchange-url '${text}': expected an http:// or https:// URL`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}
