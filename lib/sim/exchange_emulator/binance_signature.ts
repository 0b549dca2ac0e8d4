/**
 * Binance's request signing (HMAC-SHA256): the client sends `X-MBX-APIKEY` and a `signature`
 * parameter, the lowercase hex HMAC-SHA256 of the *total params* — the query string followed by
 * the request body, exactly as sent, without the `signature` parameter — keyed by the secret.
 * `timestamp` (ms) must be within `recvWindow` (default 5000, at most 60000) behind the server's
 * clock and at most 1000 ms ahead of it.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { BinanceErrors } from "./binance_api_error.ts";
import { _intParam } from "./_format.ts";

/** The hex HMAC-SHA256 of `payload` keyed by `secret` (what Binance expects as `signature`). */
export function binanceSignature(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload, "utf8").digest("hex");
}

/** A request as received, for `verifySignedRequest`. */
export interface SignedRequest {
  /** The `X-MBX-APIKEY` header (undefined when absent). */
  apiKey: string | undefined;
  /** The raw query string, without `?`. */
  query: string;
  /** The raw form body (empty for GET/DELETE). */
  body: string;
  /** Parsed parameters (query and body). */
  params: ReadonlyMap<string, string>;
}

/** Options of `verifySignedRequest`. */
export interface VerifySignedRequestOptions {
  /** The account's API key. */
  apiKey: string;
  /** The account's secret. */
  secret: string;
  /** The server's time (the emulator's clock), epoch ms. */
  now: number;
  /** Check `timestamp` against `now` and `recvWindow`. Default: true. */
  checkTimestamp?: boolean;
}

/**
 * Checks a signed request as Binance does and throws its error when it fails: missing or
 * malformed key -2014 (401), unknown key -2015 (401), missing `timestamp`/`signature` -1102,
 * `recvWindow` > 60000 -1131, wrong signature -1022, `timestamp` out of the window -1021.
 */
export function verifySignedRequest(req: SignedRequest, options: VerifySignedRequestOptions): void {
  if (req.apiKey === undefined || req.apiKey === "" || /\s/.test(req.apiKey)) {
    throw BinanceErrors.badApiKeyFormat();
  }
  if (!_equal(req.apiKey, options.apiKey)) throw BinanceErrors.invalidApiKey();
  const timestampText = req.params.get("timestamp");
  if (timestampText === undefined || timestampText === "") {
    throw BinanceErrors.mandatoryParam("timestamp");
  }
  const signature = req.params.get("signature");
  if (signature === undefined || signature === "") throw BinanceErrors.mandatoryParam("signature");
  const recvWindowText = req.params.get("recvWindow");
  const recvWindow = recvWindowText === undefined ? 5000 : _intParam("recvWindow", recvWindowText);
  if (recvWindow > 60_000) throw BinanceErrors.recvWindowTooLarge();
  const payload = _withoutSignature(req.query) + _withoutSignature(req.body);
  const expected = binanceSignature(options.secret, payload);
  if (!_equal(signature.toLowerCase(), expected)) throw BinanceErrors.badSignature();
  if (options.checkTimestamp ?? true) {
    const timestamp = _intParam("timestamp", timestampText);
    if (timestamp >= options.now + 1000) throw BinanceErrors.timestampOutsideWindow(true);
    if (options.now - timestamp > recvWindow) throw BinanceErrors.timestampOutsideWindow(false);
  }
}

/** `raw` without its `signature=` parameter(s). */
function _withoutSignature(raw: string): string {
  if (!raw.includes("signature=")) return raw;
  return raw.split("&").filter((p) => !p.startsWith("signature=")).join("&");
}

function _equal(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
