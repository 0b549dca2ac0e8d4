/**
 * Translation of ccxt's errors into dagtrade's (DESIGN §12), at the ccxt boundary. ccxt's error
 * classes are recognised by their class names along the prototype chain, so this module does
 * not load ccxt (its import costs ~0.4 s, which every command importing `lib/sim` would pay).
 *
 * Mapping:
 * - `RateLimitExceeded`, `DDoSProtection` (HTTP 429/418) → `RateLimitBrokerError` (retryable,
 *   with the response's `Retry-After` when there is one);
 * - `ExchangeNotAvailable` (HTTP 5xx, maintenance) → `ExchangeUnavailableBrokerError` (retryable);
 * - any other `NetworkError` (`RequestTimeout`, refused or dropped connections) and the raw
 *   transport errors ccxt lets through (`TypeError` from `fetch`, `Deno.errors.Connection*`)
 *   → `NetworkBrokerError` (retryable);
 * - `BadSymbol` → `DataError`; `BadRequest`, `NotSupported`, `ArgumentsRequired` → `UsageError`;
 *   `AuthenticationError` → `ConfigError` (all exit 2: retrying will not change them);
 * - any other ccxt error → `BrokerError` (not retryable, exit 1).
 * dagtrade errors (e.g. `InterruptedError`) pass through unchanged.
 */
import {
  BrokerError,
  ConfigError,
  DagtradeError,
  DataError,
  ExchangeUnavailableBrokerError,
  NetworkBrokerError,
  RateLimitBrokerError,
  UsageError,
} from "../errors/mod.ts";

/** Options of `translateCcxtError`. */
export interface TranslateCcxtErrorOptions {
  /** What was being done, the message's prefix (`Cannot fetch binance BTC/USDT 5m candles`). Required. */
  what: string;
  /**
   * The headers of the response that caused the error (ccxt keeps them on
   * `exchange.last_response_headers`), read for `Retry-After` on rate limits. Default: none.
   */
  responseHeaders?: Readonly<Record<string, unknown>> | undefined;
  /** Current time, epoch ms, to turn an HTTP-date `Retry-After` into a delay. Default: none (dates ignored). */
  now?: number | undefined;
}

/**
 * The ccxt error class names of `error`, most specific first (`["RateLimitExceeded",
 * "NetworkError", "OperationFailed", "BaseError"]`); empty for anything that is not a ccxt error.
 */
export function ccxtErrorClasses(error: unknown): string[] {
  if (!(error instanceof Error)) return [];
  const names: string[] = [];
  let proto: unknown = Object.getPrototypeOf(error);
  while (proto !== null && proto !== Error.prototype && typeof proto === "object") {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
    if (ctor !== undefined && typeof ctor.name === "string") names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names.includes("BaseError") ? names : [];
}

/**
 * A `Retry-After` header value as a delay in ms: delta-seconds (`"2"`, `"0.5"`) or an HTTP
 * date (needs `now`). Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: unknown, now?: number): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (now === undefined) return undefined;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * The dagtrade error for an error thrown by a ccxt call (see the module doc for the mapping).
 * The message is `<what>: <kind>: <ccxt's message>`; `cause` is the original error.
 */
export function translateCcxtError(
  error: unknown,
  options: TranslateCcxtErrorOptions,
): DagtradeError {
  if (error instanceof DagtradeError) return error;
  const { what } = options;
  const classes = ccxtErrorClasses(error);
  const detail = _detail(error);
  const has = (name: string) => classes.includes(name);
  if (has("RateLimitExceeded") || has("DDoSProtection")) {
    const retryAfterMs = parseRetryAfter(
      _header(options.responseHeaders, "retry-after"),
      options.now,
    );
    const after = retryAfterMs === undefined ? "" : ` (Retry-After ${retryAfterMs / 1000}s)`;
    return new RateLimitBrokerError(`${what}: rate limited by the exchange${after}: ${detail}`, {
      cause: error,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (has("ExchangeNotAvailable")) {
    return new ExchangeUnavailableBrokerError(`${what}: exchange unavailable: ${detail}`, {
      cause: error,
    });
  }
  if (has("RequestTimeout")) {
    return new NetworkBrokerError(`${what}: request timed out: ${detail}`, { cause: error });
  }
  if (has("NetworkError")) {
    return new NetworkBrokerError(`${what}: network error: ${detail}`, { cause: error });
  }
  if (has("BadSymbol")) {
    return new DataError(`${what}: unknown symbol: ${detail}`, { cause: error });
  }
  if (has("NotSupported")) {
    return new UsageError(`${what}: not supported by the exchange: ${detail}`, { cause: error });
  }
  if (has("BadRequest") || has("ArgumentsRequired")) {
    return new UsageError(`${what}: the exchange rejected the request: ${detail}`, {
      cause: error,
    });
  }
  if (has("AuthenticationError")) {
    return new ConfigError(`${what}: authentication failed; check the API keys: ${detail}`, {
      cause: error,
    });
  }
  if (classes.length > 0) {
    return new BrokerError(`${what}: exchange error: ${detail}`, { cause: error });
  }
  if (_isTransportError(error)) {
    return new NetworkBrokerError(`${what}: network error: ${detail}`, { cause: error });
  }
  return new BrokerError(`${what}: ${detail}`, { cause: error });
}

/** Raw transport failures that ccxt does not wrap (e.g. a connection dropped mid-body). */
function _isTransportError(error: unknown): boolean {
  if (error instanceof TypeError) return true;
  const e = Deno.errors;
  return [
    e.ConnectionRefused,
    e.ConnectionReset,
    e.ConnectionAborted,
    e.BrokenPipe,
    e.UnexpectedEof,
    e.TimedOut,
    e.NotConnected,
  ].some((cls) => error instanceof cls);
}

function _header(
  headers: Readonly<Record<string, unknown>> | undefined,
  name: string,
): unknown {
  if (headers === undefined) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/** ccxt's message on one line, shortened (ccxt appends whole response bodies). */
function _detail(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ")
    .trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
