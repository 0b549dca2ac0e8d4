/**
 * `FaultInjector`: decides, request by request, whether the emulator misbehaves — at a rate
 * drawn from a seeded PRNG (deterministic: the same seed and the same request sequence give
 * the same faults) and through one-shot faults queued by tests (`failNext`).
 *
 * Kinds: `429` (HTTP 429, `Retry-After`, Binance -1003), `5xx` (HTTP 502 or 503 with a gateway
 * text body), `drop` (the connection is closed without an answer, before the request is
 * handled), `drop_after` (the request IS handled — e.g. the order is created — and then the
 * connection is closed without an answer), `latency` (the answer is delayed by `latencyMs` on
 * the emulator's latency clock), `reject` (order creation only: Binance -2010 "Account has
 * insufficient balance for requested action.").
 */
import { UsageError } from "../../errors/mod.ts";

/** A kind of injected fault (see the module doc). */
export type FaultKind = "429" | "5xx" | "drop" | "drop_after" | "latency" | "reject";

/** Every fault kind. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "429",
  "5xx",
  "drop",
  "drop_after",
  "latency",
  "reject",
];

/** Random faults: each matching request fails with probability `rate`. */
export interface FaultConfig {
  /** Probability in [0, 1] that a matching request gets a fault. */
  rate: number;
  /** The kinds drawn from (uniformly, among those that apply to the request). */
  kinds: readonly FaultKind[];
  /**
   * Endpoints the faults apply to: a path (`/api/v3/klines`) or a method and a path
   * (`POST /api/v3/order`). Default: every endpoint.
   */
  endpoints?: readonly string[];
  /** PRNG seed. Default: 1. */
  seed?: number;
  /** Delay of a `latency` fault, ms. Default: 1000. */
  latencyMs?: number;
  /** `Retry-After` of a `429` fault, seconds. Default: 1. */
  retryAfterS?: number;
}

/** Options of `FaultInjector.failNext`. */
export interface FailNextOptions {
  /** How many of the next matching requests fail. Default: 1. */
  count?: number;
  /** Only requests with this HTTP method (`POST`). Default: any method. */
  method?: string;
  /** Delay of a `latency` fault, ms. Default: 1000. */
  latencyMs?: number;
  /** `Retry-After` of a `429` fault, seconds. Default: 1. */
  retryAfterS?: number;
  /** HTTP status of a `5xx` fault (500..599). Default: 503. */
  status?: number;
}

/** Options of `FaultInjector.decide`. */
export interface DecideOptions {
  /** The request creates an order (`POST /api/v3/order`): `reject` applies. Default: false. */
  orderCreation?: boolean;
}

/** The fault to apply to one request. */
export interface FaultDecision {
  /** The kind of fault. */
  kind: FaultKind;
  /** HTTP status for `429` and `5xx`. */
  status: number;
  /** Delay for `latency`, ms. */
  latencyMs: number;
  /** `Retry-After` for `429`, seconds. */
  retryAfterS: number;
}

interface _OneShot extends FaultDecision {
  path: string;
  method: string | undefined;
  remaining: number;
}

/** Seeded, deterministic fault decisions (random rate plus queued one-shot faults). */
export class FaultInjector {
  #config: FaultConfig | undefined;
  #state = 1;
  readonly #oneShots: _OneShot[] = [];

  /** Creates an injector with random faults per `config` (none when undefined). */
  constructor(config?: FaultConfig) {
    this.configure(config);
  }

  /** The random-fault configuration in force (undefined: none). */
  get config(): FaultConfig | undefined {
    return this.#config;
  }

  /**
   * Replaces the random-fault configuration (undefined turns random faults off) and reseeds the
   * PRNG. Throws `UsageError` for a rate outside [0, 1] or an unknown kind.
   */
  configure(config: FaultConfig | undefined): void {
    if (config !== undefined) {
      if (!(config.rate >= 0 && config.rate <= 1)) {
        throw new UsageError(`Fault rate must be in [0, 1], got ${config.rate}`);
      }
      for (const k of config.kinds) _checkKind(k);
      if (config.kinds.length === 0) {
        throw new UsageError(
          `Fault kinds must not be empty (choose from ${FAULT_KINDS.join(", ")})`,
        );
      }
    }
    this.#config = config;
    this.#state = (config?.seed ?? 1) >>> 0;
  }

  /**
   * Queues `kind` for the next `count` requests to `path` (and `method`, when given); one-shot
   * faults come before random ones and are consumed in the order queued.
   */
  failNext(path: string, kind: FaultKind, options: FailNextOptions = {}): void {
    _checkKind(kind);
    const count = options.count ?? 1;
    if (!(Number.isInteger(count) && count >= 1)) {
      throw new UsageError(`failNext count must be a positive integer, got ${count}`);
    }
    const status = kind === "429" ? 429 : kind === "5xx" ? options.status ?? 503 : 0;
    if (kind === "5xx" && !(status >= 500 && status <= 599)) {
      throw new UsageError(`failNext status of a 5xx fault must be in 500..599, got ${status}`);
    }
    this.#oneShots.push({
      path,
      method: options.method?.toUpperCase(),
      remaining: count,
      kind,
      status,
      latencyMs: options.latencyMs ?? 1000,
      retryAfterS: options.retryAfterS ?? 1,
    });
  }

  /** Drops every queued one-shot fault. */
  clearOneShots(): void {
    this.#oneShots.length = 0;
  }

  /**
   * The fault for a request (undefined: answer normally); `reject` applies only with
   * `options.orderCreation`. Each request matching the random configuration draws from the PRNG
   * exactly once (twice when it gets a fault), so decisions depend only on the seed and the
   * request sequence.
   */
  decide(method: string, path: string, options: DecideOptions = {}): FaultDecision | undefined {
    const isOrderCreation = options.orderCreation ?? false;
    const m = method.toUpperCase();
    const k = this.#oneShots.findIndex((o) =>
      o.path === path && (o.method === undefined || o.method === m) &&
      (o.kind !== "reject" || isOrderCreation)
    );
    if (k >= 0) {
      const shot = this.#oneShots[k] as _OneShot;
      shot.remaining--;
      if (shot.remaining <= 0) this.#oneShots.splice(k, 1);
      const { kind, status, latencyMs, retryAfterS } = shot;
      return { kind, status, latencyMs, retryAfterS };
    }
    const c = this.#config;
    if (c === undefined || c.rate <= 0) return undefined;
    if (c.endpoints !== undefined && !c.endpoints.some((e) => e === path || e === `${m} ${path}`)) {
      return undefined;
    }
    const u = this.#next();
    if (u >= c.rate) return undefined;
    const kinds = c.kinds.filter((kind) => kind !== "reject" || isOrderCreation);
    const v = this.#next();
    if (kinds.length === 0) return undefined;
    const kind = kinds[Math.min(kinds.length - 1, Math.floor(v * kinds.length))] as FaultKind;
    const status = kind === "429"
      ? 429
      : kind === "5xx"
      ? (v * kinds.length % 1 < 0.5 ? 502 : 503)
      : 0;
    return { kind, status, latencyMs: c.latencyMs ?? 1000, retryAfterS: c.retryAfterS ?? 1 };
  }

  /** mulberry32: a uniform number in [0, 1). */
  #next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function _checkKind(kind: string): void {
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`Unknown fault kind '${kind}': expected one of ${FAULT_KINDS.join(", ")}`);
  }
}
