/**
 * The exchange emulator (DESIGN §11): an HTTP server on loopback that speaks the subset of
 * Binance's spot REST API that ccxt's `binance` class uses, serving prices from a bars
 * snapshot on a `Clock`, matching orders against the bars, keeping balances, and injecting
 * faults on demand.
 *
 * Usage (tests: a `ReplayedClock` stepped with `advanceTo`; run-prod rehearsals: a paced
 * `ReplayedClock` or a `RealClock`):
 *
 * ```ts
 * import ccxt from "ccxt";
 * const bars = await readBars("fixtures/market_data/binance_spot_5m.parquet");
 * const clock = new ReplayedClock(Date.UTC(2025, 0, 10));
 * const emulator = await startExchangeEmulator(bars, { clock, balances: { USDT: 10_000 } });
 * const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
 * const candles = await exchange.fetchOHLCV("BTC/USDT", "5m", Date.UTC(2025, 0, 9), 1000);
 * await exchange.createOrder("BTC/USDT", "market", "buy", 0.01);
 * await clock.advanceTo(Date.UTC(2025, 0, 10, 1)); // resting limit orders fill on the new bars
 * await emulator.close();
 * ```
 *
 * `emulatorCcxtOptions` gives the ccxt constructor config: `urls.api` pointed at the emulator
 * (every API key of ccxt's binance, so nothing reaches the real venue), spot markets only
 * (`fetchMarkets: {types: ["spot"]}`), `fetchCurrencies: false` (else ccxt calls
 * `/sapi/v1/capital/config/getall`), the emulator's credentials, no client-side throttling, and
 * a `nonce` read from the emulator's clock (signed requests are checked against it; a client
 * in another process passes `{ url }` and gets `adjustForTimeDifference` instead). ccxt maps
 * Binance error codes by URL: against the emulator it uses its generic binance map (the same
 * classes as on api.binance.com for the codes served here).
 *
 * Knowledge: a bar is served once its `knowledge_timestamp <= clock.now()`; the forming kline is
 * never served. Time drives matching lazily and without timers: before every request the
 * emulator calls `tick()`, which replays every bar that became known since the last tick and
 * fills resting orders against it (results do not depend on when requests arrive). This works
 * with any clock — an event-driven `ReplayedClock` (inside `run()` or stepped by `advanceTo`),
 * a paced one, or a `RealClock`. Call `tick()` yourself to match without a request.
 *
 * Faults (`faults`, `setFaults`, `failNext(path, kind, {count})`): see `FaultInjector`. A
 * `latency` fault sleeps on `latencyClock` (default: the emulator's clock; on an event-driven
 * `ReplayedClock` stepped by `advanceTo`, the answer waits until the test advances the clock
 * past the delay; inside `run()`, the clock jumps there while the client awaits). Every answer
 * carries `Connection: close` unless `keepAlive` (a client resends a request whose reused
 * connection was dropped, which would hide `drop` faults).
 */
import http from "node:http";
import type pl from "nodejs-polars";
import { UsageError } from "../../errors/mod.ts";
import type { Clock } from "../clock.ts";
import { BinanceErrors, REJECT_REASONS } from "./binance_api_error.ts";
import { verifySignedRequest } from "./binance_signature.ts";
import { EmulatorAccount } from "./emulator_account.ts";
import { EmulatorMarket, type EmulatorMarketsOptions } from "./emulator_market.ts";
import {
  type EmulatorRequest,
  type EmulatorResponse,
  EmulatorRouter,
  parseParams,
} from "./emulator_router.ts";
import {
  type FailNextOptions,
  type FaultConfig,
  FaultInjector,
  type FaultKind,
} from "./fault_injector.ts";
import { MatchingEngine, type MatchingOptions } from "./matching_engine.ts";
import { registerSpotApi } from "./spot_api.ts";

/** Options of `startExchangeEmulator`. */
export interface ExchangeEmulatorOptions extends MatchingOptions, EmulatorMarketsOptions {
  /** The clock that decides which bars exist and stamps orders and fills. Required. */
  clock: Clock;
  /** TCP port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Interface to listen on. Default: `127.0.0.1`. */
  hostname?: string;
  /** The account's API key (`X-MBX-APIKEY`). Default: `dagtrade-emulator-key`. */
  apiKey?: string;
  /** The account's HMAC secret. Default: `dagtrade-emulator-secret`. */
  secret?: string;
  /** Initial free balances per asset. Default: `{ USDT: 100000 }`. */
  balances?: Readonly<Record<string, number>>;
  /** Random faults from the start. Default: none. */
  faults?: FaultConfig;
  /** Clock the `latency` faults sleep on. Default: `clock`. */
  latencyClock?: Clock;
  /** Check signed requests' `timestamp` against the clock and `recvWindow`. Default: true. */
  checkTimestamp?: boolean;
  /** How many requests `requests()` keeps (the oldest are dropped; counts stay exact). Default: 10000. */
  logLimit?: number;
  /**
   * Keep connections open between requests. Off by default: every answer carries
   * `Connection: close`, because an HTTP client resends a request whose *reused* connection was
   * dropped (Deno's fetch does), which would hide `drop`/`drop_after` faults. Default: false.
   */
  keepAlive?: boolean;
}

/** One request as the emulator logged it. */
export interface EmulatorRequestRecord {
  /** The clock's time when it arrived, epoch ms. */
  time: number;
  /** HTTP method. */
  method: string;
  /** Path (`/api/v3/klines`). */
  path: string;
  /** Parameters, without `signature`. */
  params: Record<string, string>;
  /** HTTP status answered, or `dropped` when the connection was closed instead. */
  status: number | "dropped";
  /** The injected fault, if any. */
  fault?: FaultKind;
}

/** The ccxt constructor config returned by `emulatorCcxtOptions`. */
export interface EmulatorCcxtConfig {
  /** The API key (omitted with `credentials: false`). */
  apiKey?: string;
  /** The secret (omitted with `credentials: false`). */
  secret?: string;
  /** False: the emulator does not need client-side throttling. */
  enableRateLimit: boolean;
  /** `{ api: emulator.ccxtUrls() }`. */
  urls: { api: Record<string, string> };
  /** Spot markets only; no currency or margin requests. */
  options: Record<string, unknown>;
  /** Request timestamps from the emulator's clock (when known and `syncNonce`). */
  nonce?: () => number;
}

/** Options of `emulatorCcxtOptions`. */
export interface EmulatorCcxtOptions {
  /** Include the emulator's API key and secret. Default: true. */
  credentials?: boolean;
  /**
   * Stamp signed requests with the emulator's clock (`nonce`) when it is given, needed when the
   * clock is not the wall clock; false: ccxt's `adjustForTimeDifference` instead. Default: true.
   */
  syncNonce?: boolean;
}

/** ccxt binance `urls.api` keys and the path each serves under the emulator. */
const _CCXT_API_PATHS: Readonly<Record<string, string>> = {
  public: "/api/v3",
  private: "/api/v3",
  v1: "/api/v1",
  sapi: "/sapi/v1",
  sapiV2: "/sapi/v2",
  sapiV3: "/sapi/v3",
  sapiV4: "/sapi/v4",
  dapiPublic: "/dapi/v1",
  dapiPrivate: "/dapi/v1",
  dapiPrivateV2: "/dapi/v2",
  dapiData: "/futures/data",
  eapiPublic: "/eapi/v1",
  eapiPrivate: "/eapi/v1",
  fapiPublic: "/fapi/v1",
  fapiPublicV2: "/fapi/v2",
  fapiPublicV3: "/fapi/v3",
  fapiPrivate: "/fapi/v1",
  fapiPrivateV2: "/fapi/v2",
  fapiPrivateV3: "/fapi/v3",
  fapiData: "/futures/data",
  papi: "/papi/v1",
  papiV2: "/papi/v2",
};

/** A running emulator (see the module doc); stop it with `close()`. */
export class ExchangeEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The clock of the served market. */
  readonly clock: Clock;
  /** The account's API key. */
  readonly apiKey: string;
  /** The account's secret. */
  readonly secret: string;
  /** Served markets by Binance symbol (`BTCUSDT`). */
  readonly markets: ReadonlyMap<string, EmulatorMarket>;
  /** The account's balances. */
  readonly account: EmulatorAccount;
  /** Orders, trades and matching. */
  readonly engine: MatchingEngine;
  /** Fault decisions. */
  readonly faults: FaultInjector;

  readonly #server: http.Server;
  readonly #router: EmulatorRouter;
  readonly #latencyClock: Clock;
  readonly #log: EmulatorRequestRecord[] = [];
  readonly #logLimit: number;
  readonly #keepAlive: boolean;
  readonly #counts = new Map<string, number>();
  readonly #closing = new AbortController();
  #total = 0;
  #closed: Promise<void> | undefined;

  /** Use `startExchangeEmulator`. */
  constructor(
    server: http.Server,
    url: string,
    parts: {
      clock: Clock;
      latencyClock: Clock;
      apiKey: string;
      secret: string;
      markets: ReadonlyMap<string, EmulatorMarket>;
      account: EmulatorAccount;
      engine: MatchingEngine;
      faults: FaultInjector;
      router: EmulatorRouter;
      logLimit: number;
      keepAlive: boolean;
    },
  ) {
    this.#server = server;
    this.url = url;
    this.clock = parts.clock;
    this.#latencyClock = parts.latencyClock;
    this.apiKey = parts.apiKey;
    this.secret = parts.secret;
    this.markets = parts.markets;
    this.account = parts.account;
    this.engine = parts.engine;
    this.faults = parts.faults;
    this.#router = parts.router;
    this.#logLimit = parts.logLimit;
    this.#keepAlive = parts.keepAlive;
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#serve(req, res).catch((error: unknown) => {
        if (res.headersSent) {
          req.socket.destroy();
          return;
        }
        const e = BinanceErrors.unknown(error instanceof Error ? error.message : String(error));
        res.writeHead(e.status, { "Content-Type": "application/json;charset=UTF-8" });
        res.end(e.body());
      });
    });
  }

  /**
   * The object to put into a ccxt binance instance's `urls.api` (constructor config
   * `{ urls: { api: emulator.ccxtUrls() } }`, or assign it to `exchange.urls.api`): every API
   * key of ccxt's binance class pointed at the emulator under the real path (`public` →
   * `<url>/api/v3`, `sapi` → `<url>/sapi/v1`, `fapiPublic` → `<url>/fapi/v1`, …). Endpoints the
   * emulator does not serve answer 404 with a message naming them.
   */
  ccxtUrls(): Record<string, string> {
    return emulatorCcxtUrls(this.url);
  }

  /** Number of requests received (to `path`, e.g. `/api/v3/klines`, when given), faults included. */
  requestCount(path?: string): number {
    return path === undefined ? this.#total : this.#counts.get(path) ?? 0;
  }

  /** The latest requests (up to `logLimit`), oldest first. */
  requests(): readonly EmulatorRequestRecord[] {
    return [...this.#log];
  }

  /** Replaces the random faults (undefined: none) and reseeds their PRNG. */
  setFaults(config: FaultConfig | undefined): void {
    this.faults.configure(config);
  }

  /** Makes the next `options.count` (default 1) requests to `path` fail with `kind`. */
  failNext(path: string, kind: FaultKind, options: FailNextOptions = {}): void {
    this.faults.failNext(path, kind, options);
  }

  /** Matches resting orders against every bar known at the clock's `now()`; returns the fills. */
  tick(): number {
    return this.engine.tick(this.clock.now());
  }

  /** Stops listening, closes open connections and aborts pending latency sleeps. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closing.abort();
      this.#closed = new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
    }
    return this.#closed;
  }

  /** Handles one HTTP request. */
  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await _readBody(req);
    const url = new URL(req.url ?? "/", this.url);
    const method = (req.method ?? "GET").toUpperCase();
    const query = url.search.startsWith("?") ? url.search.slice(1) : url.search;
    const params = parseParams(query, body);
    const request: EmulatorRequest = {
      method,
      path: url.pathname,
      query,
      body,
      params,
      header: (name) => {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
    };
    const record: EmulatorRequestRecord = {
      time: this.clock.now(),
      method,
      path: url.pathname,
      params: Object.fromEntries([...params].filter(([k]) => k !== "signature")),
      status: 200,
    };
    this.#record(record);
    const fault = this.faults.decide(
      method,
      url.pathname,
      { orderCreation: method === "POST" && url.pathname === "/api/v3/order" },
    );
    if (fault !== undefined) record.fault = fault.kind;
    const drop = (): void => {
      record.status = "dropped";
      req.socket.destroy();
    };
    try {
      if (fault?.kind === "latency") {
        await this.#latencyClock.sleepUntil(
          this.#latencyClock.now() + fault.latencyMs,
          this.#closing.signal,
        );
      }
    } catch {
      drop();
      return;
    }
    let answer: EmulatorResponse;
    switch (fault?.kind) {
      case "drop":
        drop();
        return;
      case "429": {
        const e = BinanceErrors.tooManyRequests(fault.retryAfterS);
        answer = { status: 429, body: e.body(), headers: e.headers };
        break;
      }
      case "5xx":
        answer = {
          status: fault.status,
          body: `<html><body><h1>${fault.status} ${
            http.STATUS_CODES[fault.status] ?? "Server Error"
          }</h1></body></html>`,
          headers: { "Content-Type": "text/html" },
        };
        break;
      case "reject": {
        const e = BinanceErrors.orderRejected(REJECT_REASONS.insufficientBalance);
        answer = { status: e.status, body: e.body(), headers: {} };
        break;
      }
      default:
        this.engine.tick(this.clock.now());
        answer = await this.#router.handle(request);
    }
    if (fault?.kind === "drop_after") {
      drop();
      return;
    }
    record.status = answer.status;
    res.writeHead(answer.status, {
      "Content-Type": "application/json;charset=UTF-8",
      ...(this.#keepAlive ? {} : { Connection: "close" }),
      ...answer.headers,
    });
    res.end(answer.body);
  }

  #record(record: EmulatorRequestRecord): void {
    this.#total++;
    this.#counts.set(record.path, (this.#counts.get(record.path) ?? 0) + 1);
    this.#log.push(record);
    if (this.#log.length > this.#logLimit) this.#log.splice(0, this.#log.length - this.#logLimit);
  }
}

/**
 * Starts an emulator serving `bars` (bar contract of DESIGN §3, e.g. from `readBars`) on
 * `options.clock` and resolves once it listens. Throws `DataError` for unusable bars and
 * `UsageError` for bad options or a port that cannot be bound.
 */
export async function startExchangeEmulator(
  bars: pl.DataFrame,
  options: ExchangeEmulatorOptions,
): Promise<ExchangeEmulator> {
  const {
    clock,
    port = 0,
    hostname = "127.0.0.1",
    apiKey = "dagtrade-emulator-key",
    secret = "dagtrade-emulator-secret",
    balances = { USDT: 100_000 },
    latencyClock = clock,
    checkTimestamp = true,
    logLimit = 10_000,
    keepAlive = false,
    volumeShare = 0.1,
  } = options;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new UsageError(`Exchange emulator port must be an integer in 0..65535, got ${port}`);
  }
  const marketOptions: EmulatorMarketsOptions = {};
  if (options.exchange !== undefined) marketOptions.exchange = options.exchange;
  if (options.filters !== undefined) marketOptions.filters = options.filters;
  const markets = EmulatorMarket.fromBars(bars, marketOptions);
  const account = new EmulatorAccount(balances);
  const engine = new MatchingEngine(markets, account, { ...options, volumeShare });
  const faults = new FaultInjector(options.faults);
  const router = new EmulatorRouter({
    authenticate: (req) =>
      verifySignedRequest({
        apiKey: req.header("x-mbx-apikey"),
        query: req.query,
        body: req.body,
        params: req.params,
      }, { apiKey, secret, now: clock.now(), checkTimestamp }),
  });
  registerSpotApi(router, { markets, engine, account, volumeShare, now: () => clock.now() });

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new UsageError(
          `Cannot start the exchange emulator on ${hostname}:${port}: ${
            error instanceof Error ? error.message : String(error)
          } (choose another --port, or 0 for a free one)`,
          { cause: error },
        ),
      ));
    server.listen(port, hostname, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address !== null ? address.port : port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return new ExchangeEmulator(server, `http://${host}:${boundPort}`, {
    clock,
    latencyClock,
    apiKey,
    secret,
    markets,
    account,
    engine,
    faults,
    router,
    logLimit,
    keepAlive,
  });
}

/**
 * The ccxt binance `urls.api` for an emulator at `url` (its base URL, e.g. printed by
 * `dagtrade exchange-emulator`): every API key of ccxt's binance class mapped to `url` + the real
 * path (`public` → `<url>/api/v3`, `sapi` → `<url>/sapi/v1`, `fapiPublic` → `<url>/fapi/v1`, …).
 */
export function emulatorCcxtUrls(url: string): Record<string, string> {
  const base = url.replace(/\/+$/, "");
  const out: Record<string, string> = {};
  for (const [key, path] of Object.entries(_CCXT_API_PATHS)) out[key] = base + path;
  return out;
}

/** Where an emulator listens and how to sign for it (an `ExchangeEmulator` is one). */
export interface EmulatorEndpoint {
  /** Base URL. */
  url: string;
  /** API key. Default: `dagtrade-emulator-key`. */
  apiKey?: string;
  /** Secret. Default: `dagtrade-emulator-secret`. */
  secret?: string;
  /** The emulator's clock, when in this process (timestamps are then read from it). */
  clock?: Clock;
}

/**
 * The ccxt `binance` constructor config that talks to an emulator:
 * `new ccxt.binance(emulatorCcxtOptions(emulator))`. It sets `urls.api` (`emulatorCcxtUrls`),
 * the options `defaultType: "spot"`, `fetchMarkets: { types: ["spot"] }` (only
 * `/api/v3/exchangeInfo`), `fetchCurrencies: false` (else ccxt calls
 * `/sapi/v1/capital/config/getall` when it has credentials), `fetchMargins: false`,
 * `enableRateLimit: false`, the API key and secret, and request timestamps: with the emulator's
 * `clock` (same process), `nonce` = `clock.now()`; without it, `adjustForTimeDifference: true`
 * (ccxt offsets its wall clock by `/api/v3/time` once, at `loadMarkets`).
 */
export function emulatorCcxtOptions(
  emulator: EmulatorEndpoint,
  options: EmulatorCcxtOptions = {},
): EmulatorCcxtConfig {
  const clock = (options.syncNonce ?? true) ? emulator.clock : undefined;
  const config: EmulatorCcxtConfig = {
    enableRateLimit: false,
    urls: { api: emulatorCcxtUrls(emulator.url) },
    options: {
      defaultType: "spot",
      fetchMarkets: { types: ["spot"] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: clock === undefined,
    },
  };
  if (options.credentials ?? true) {
    config.apiKey = emulator.apiKey ?? "dagtrade-emulator-key";
    config.secret = emulator.secret ?? "dagtrade-emulator-secret";
  }
  if (clock !== undefined) config.nonce = () => clock.now();
  return config;
}

async function _readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  if (chunks.length === 0) return "";
  return new TextDecoder().decode(
    chunks.length === 1 ? chunks[0] : _concat(chunks),
  );
}

function _concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let k = 0;
  for (const c of chunks) {
    out.set(c, k);
    k += c.length;
  }
  return out;
}
