/**
 * The error classes every area of dagtrade throws, and the one mapping from an error to a
 * process exit code (DESIGN §12: 0 success, 1 failure while running, 2 usage/config/input,
 * 130 interrupted). Library errors from Polars, ccxt or the OS are wrapped at the boundary
 * with `cause` set.
 */

/** Options accepted by every dagtrade error. */
export interface DagtradeErrorOptions {
  /** The underlying error, kept for `--verbose` stack traces. Default: none. */
  cause?: unknown;
}

/** Base class of all dagtrade errors; `exitCode` is what `main.ts` exits with. */
export class DagtradeError extends Error {
  /** The process exit code this error maps to. */
  readonly exitCode: number = 1;
  /** Creates the error; `options.cause` keeps the underlying error. */
  constructor(message: string, options: DagtradeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A wrong command line: unknown command or option, bad option value (exit 2). */
export class UsageError extends DagtradeError {
  override readonly exitCode = 2;
}

/** A bad configuration: unfilled DUMMY, unknown key, wrong type (exit 2). */
export class ConfigError extends DagtradeError {
  override readonly exitCode = 2;
}

/** Bad input data: malformed snapshot, missing file, failed validation (exit 2). */
export class DataError extends DagtradeError {
  override readonly exitCode = 2;
}

/** Code asked for data past the clock's `now()` (a causality bug; exit 1). */
export class FuturePeekingError extends DagtradeError {}

/** A wait on the clock ran out (data late, exchange silent; exit 1). */
export class TimeoutError extends DagtradeError {}

/** The run was stopped by SIGINT/SIGTERM or an abort signal (exit 130). */
export class InterruptedError extends DagtradeError {
  override readonly exitCode = 130;
}

/** An exchange or broker failure that will not change on retry (exit 1). */
export class BrokerError extends DagtradeError {
  /** Whether retrying the same request may succeed. */
  readonly retryable: boolean = false;
}

/** A network failure talking to the exchange: retryable. */
export class NetworkBrokerError extends BrokerError {
  override readonly retryable = true;
}

/** The exchange rate-limited us (HTTP 429/418): retryable after `retryAfterMs`. */
export class RateLimitBrokerError extends BrokerError {
  override readonly retryable = true;
  /** How long the exchange asked us to wait, in ms, when it said (Retry-After). */
  readonly retryAfterMs: number | undefined;
  /** Creates the error; `retryAfterMs` is the exchange's Retry-After, when given. */
  constructor(
    message: string,
    options: DagtradeErrorOptions & { retryAfterMs?: number } = {},
  ) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The exchange is down or answered 5xx: retryable. */
export class ExchangeUnavailableBrokerError extends BrokerError {
  override readonly retryable = true;
}

/** Maps any thrown value to the process exit code of DESIGN §12. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof DagtradeError) return error.exitCode;
  return 1;
}

/** A one-line message for any thrown value (its stack only when `verbose`). */
export function describeError(error: unknown, options: { verbose?: boolean } = {}): string {
  if (!(error instanceof Error)) return String(error);
  if (!options.verbose) return error.message;
  let text = error.stack ?? `${error.name}: ${error.message}`;
  let cause: unknown = error.cause;
  while (cause !== undefined) {
    text += `\nCaused by: ${
      cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
    }`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}
