/**
 * Binance's error answers: an HTTP status and a `{"code": <negative int>, "msg": <text>}` body,
 * with the codes and messages Binance's spot API sends (ccxt's `binance` class maps them to its
 * error classes: -1121 → BadSymbol, -1022 → AuthenticationError, -2010 → InvalidOrder or
 * InsufficientFunds by message, -2011/-2013 → OrderNotFound, -1003/429 → RateLimitExceeded /
 * DDoSProtection).
 */

/** An error answer of the emulated Binance API: thrown by handlers, sent as JSON. */
export class BinanceApiError extends Error {
  /** HTTP status of the answer (400 for most request errors, 401 for key errors, 429, 5xx). */
  readonly status: number;
  /** Binance's error code (negative). */
  readonly code: number;
  /** Extra HTTP headers of the answer (e.g. `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;

  /** Creates the error; `msg` is Binance's message text. */
  constructor(
    status: number,
    code: number,
    msg: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(msg);
    this.name = "BinanceApiError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  /** The JSON body Binance sends: `{"code":-1121,"msg":"Invalid symbol."}`. */
  body(): string {
    return JSON.stringify({ code: this.code, msg: this.message });
  }
}

/** Factories of the Binance errors the emulator answers with (messages as Binance sends them). */
export const BinanceErrors = {
  /** -1000: an unexpected failure inside the emulator (HTTP 500). */
  unknown: (detail: string): BinanceApiError =>
    new BinanceApiError(
      500,
      -1000,
      `An unknown error occured while processing the request. (${detail})`,
    ),
  /** -1003 with HTTP 429 and `Retry-After: <s>`: too many requests. */
  tooManyRequests: (retryAfterS: number): BinanceApiError =>
    new BinanceApiError(
      429,
      -1003,
      "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. " +
        "Please use WebSocket Streams for live updates to avoid polling the API.",
      { "Retry-After": String(retryAfterS) },
    ),
  /** -1013: an order violates a symbol filter (`LOT_SIZE`, `PRICE_FILTER`, `NOTIONAL`, ...). */
  filterFailure: (filter: string): BinanceApiError =>
    new BinanceApiError(400, -1013, `Filter failure: ${filter}`),
  /** -1021: `timestamp` outside `recvWindow` or ahead of the server. */
  timestampOutsideWindow: (ahead: boolean): BinanceApiError =>
    new BinanceApiError(
      400,
      -1021,
      ahead
        ? "Timestamp for this request was 1000ms ahead of the server's time."
        : "Timestamp for this request is outside of the recvWindow.",
    ),
  /** -1022: the HMAC signature does not match. */
  badSignature: (): BinanceApiError =>
    new BinanceApiError(400, -1022, "Signature for this request is not valid."),
  /** -1100: a parameter has characters its format does not allow. */
  illegalChars: (param: string): BinanceApiError =>
    new BinanceApiError(
      400,
      -1100,
      `Illegal characters found in parameter '${param}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`,
    ),
  /** -1102: a mandatory parameter is missing. */
  mandatoryParam: (param: string): BinanceApiError =>
    new BinanceApiError(
      400,
      -1102,
      `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`,
    ),
  /** -1106: a parameter was sent that the order type does not take. */
  paramNotRequired: (param: string): BinanceApiError =>
    new BinanceApiError(400, -1106, `Parameter '${param}' sent when not required.`),
  /** -1116: unknown or unsupported order type. */
  invalidOrderType: (): BinanceApiError => new BinanceApiError(400, -1116, "Invalid orderType."),
  /** -1117: side is not BUY or SELL. */
  invalidSide: (): BinanceApiError => new BinanceApiError(400, -1117, "Invalid side."),
  /** -1115: unsupported time in force. */
  invalidTimeInForce: (): BinanceApiError =>
    new BinanceApiError(400, -1115, "Invalid timeInForce."),
  /** -1120: unknown or unserved kline interval. */
  invalidInterval: (): BinanceApiError => new BinanceApiError(400, -1120, "Invalid interval."),
  /** -1121: unknown symbol. */
  invalidSymbol: (): BinanceApiError => new BinanceApiError(400, -1121, "Invalid symbol."),
  /** -1130: a parameter value is out of its range. */
  invalidParam: (param: string): BinanceApiError =>
    new BinanceApiError(400, -1130, `Data sent for parameter '${param}' is not valid.`),
  /** -1131: recvWindow above 60000. */
  recvWindowTooLarge: (): BinanceApiError =>
    new BinanceApiError(400, -1131, "recvWindow must be less than 60000"),
  /** -2010: the new order was rejected (`reason` is Binance's message). */
  orderRejected: (reason: string): BinanceApiError => new BinanceApiError(400, -2010, reason),
  /** -2011: cancel of an order that is not open (or unknown). */
  unknownOrder: (): BinanceApiError => new BinanceApiError(400, -2011, "Unknown order sent."),
  /** -2013: query of an order that does not exist. */
  noSuchOrder: (): BinanceApiError => new BinanceApiError(400, -2013, "Order does not exist."),
  /** -2014: missing or malformed `X-MBX-APIKEY`. */
  badApiKeyFormat: (): BinanceApiError =>
    new BinanceApiError(401, -2014, "API-key format invalid."),
  /** -2015: unknown API key. */
  invalidApiKey: (): BinanceApiError =>
    new BinanceApiError(401, -2015, "Invalid API-key, IP, or permissions for action."),
} as const;

/** Binance's -2010 messages used by the emulator. */
export const REJECT_REASONS = {
  /** Not enough free balance for the order. */
  insufficientBalance: "Account has insufficient balance for requested action.",
  /** `newClientOrderId` of an order the emulator already knows. */
  duplicate: "Duplicate order sent.",
  /** No price is known yet for the symbol (no bar visible on the clock). */
  marketClosed: "Market is closed.",
} as const;
