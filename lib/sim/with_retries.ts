/**
 * Retries with capped exponential backoff, sleeping on a `Clock` (never on real timers): the
 * retry policy of every exchange call of dagtrade. A call is retried only when it throws a
 * retryable `BrokerError` (network errors, rate limits, 5xx); anything else is thrown at once.
 * A rate limit's `Retry-After` is honoured: the wait is at least what the exchange asked for.
 */
import { BrokerError, RateLimitBrokerError } from "../errors/mod.ts";
import type { Clock } from "./clock.ts";

/** How often and how long to retry. */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). Default: 8. */
  maxRetries?: number;
  /** Wait before the first retry, ms; doubled at each further retry. Default: 500. */
  baseDelayMs?: number;
  /** Cap of the backoff wait, ms (a longer `Retry-After` is still honoured). Default: 30_000. */
  maxDelayMs?: number;
}

/** One retry about to happen, for logs. */
export interface RetryEvent {
  /** What is being retried (the `what` of `withRetries`). */
  what: string;
  /** The retry number, 1 for the first retry. */
  retry: number;
  /** Retries allowed in all. */
  maxRetries: number;
  /** How long the caller will sleep before it, ms. */
  delayMs: number;
  /** The error that caused it. */
  error: BrokerError;
}

/** Options of `withRetries`. */
export interface WithRetriesOptions {
  /** The clock to sleep on. Required. */
  clock: Clock;
  /** What the call does, for the exhaustion message (`fetch binance BTC/USDT 5m candles`). Required. */
  what: string;
  /** The policy. Default: `{}` (8 retries, 500 ms doubling, 30 s cap). */
  policy?: RetryPolicy | undefined;
  /** Aborts a sleep between retries with `InterruptedError`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called before each retry's sleep. Default: none. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** The policy with its defaults filled in; throws `RangeError` on negative or non-finite values. */
export function resolveRetryPolicy(policy: RetryPolicy = {}): Required<RetryPolicy> {
  const out = {
    maxRetries: policy.maxRetries ?? 8,
    baseDelayMs: policy.baseDelayMs ?? 500,
    maxDelayMs: policy.maxDelayMs ?? 30_000,
  };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isFinite(v) || v < 0) {
      throw new RangeError(`RetryPolicy.${k} must be >= 0, got ${v}`);
    }
  }
  if (!Number.isInteger(out.maxRetries)) {
    throw new RangeError(`RetryPolicy.maxRetries must be an integer, got ${out.maxRetries}`);
  }
  return out;
}

/**
 * The backoff wait before retry number `retry` (1-based): `min(maxDelayMs, baseDelayMs ·
 * 2^(retry−1))`, raised to `retryAfterMs` when the exchange asked for longer.
 */
export function backoffDelayMs(
  retry: number,
  options: { policy?: RetryPolicy | undefined; retryAfterMs?: number | undefined } = {},
): number {
  const p = resolveRetryPolicy(options.policy);
  const backoff = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.max(backoff, options.retryAfterMs ?? 0);
}

/**
 * Runs `fn` until it succeeds, retrying a retryable `BrokerError` up to `policy.maxRetries`
 * times with `backoffDelayMs` waits on `clock`. A non-retryable error is thrown as is; when
 * the retries run out, throws a `BrokerError` (exit 1) saying what failed, how many attempts
 * were made and the last error (`cause`).
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  options: WithRetriesOptions,
): Promise<T> {
  const policy = resolveRetryPolicy(options.policy);
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!(error instanceof BrokerError) || !error.retryable) throw error;
      if (attempt > policy.maxRetries) {
        const prefix = `Cannot ${options.what}: `;
        const last = error.message.startsWith(prefix)
          ? error.message.slice(prefix.length)
          : error.message;
        throw new BrokerError(
          `${prefix}gave up after ${attempt} attempts ` +
            `(--max-retries ${policy.maxRetries}); last error: ${last}`,
          { cause: error },
        );
      }
      const retryAfterMs = error instanceof RateLimitBrokerError ? error.retryAfterMs : undefined;
      const delayMs = backoffDelayMs(attempt, { policy, retryAfterMs });
      options.onRetry?.({
        what: options.what,
        retry: attempt,
        maxRetries: policy.maxRetries,
        delayMs,
        error,
      });
      const { clock } = options;
      await clock.sleepUntil(clock.now() + delayMs, options.signal);
    }
  }
}
