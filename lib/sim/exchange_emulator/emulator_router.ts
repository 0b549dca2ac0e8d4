/**
 * `EmulatorRouter`: dispatches an HTTP request of the emulated venue to the handler registered
 * for its method and path, checks signed routes first, and turns the handler's result into a
 * JSON answer (a thrown `BinanceApiError` into Binance's error body and status). Unknown paths
 * answer HTTP 404 with `{"code":-5000,"msg":"..."}`, which ccxt raises as a non-retryable
 * `ExchangeError` naming the path.
 */
import { BinanceApiError, BinanceErrors } from "./binance_api_error.ts";

/** A request as the handlers see it. */
export interface EmulatorRequest {
  /** HTTP method, uppercase. */
  method: string;
  /** Path without the query (`/api/v3/klines`). */
  path: string;
  /** Raw query string, without `?`. */
  query: string;
  /** Raw request body (form-encoded for Binance POSTs). */
  body: string;
  /** Parameters from the query and the form body (body wins on a repeat). */
  params: ReadonlyMap<string, string>;
  /** Request header lookup (case-insensitive name). */
  header(name: string): string | undefined;
}

/** An answer. */
export interface EmulatorResponse {
  /** HTTP status. */
  status: number;
  /** Body text (JSON). */
  body: string;
  /** Extra headers. */
  headers: Readonly<Record<string, string>>;
}

/** A route handler: returns a JSON-serializable value, or throws `BinanceApiError`. */
export type RouteHandler = (req: EmulatorRequest) => unknown;

/** Options of `EmulatorRouter.add`. */
export interface RouteOptions {
  /** The route needs an API key and a valid signature (Binance's SIGNED endpoints). Default: false. */
  signed?: boolean;
}

/** Options of `EmulatorRouter`. */
export interface EmulatorRouterOptions {
  /** Checks a signed request; throws `BinanceApiError` when it fails. Default: accept all. */
  authenticate?: (req: EmulatorRequest) => void;
}

interface _Route {
  handler: RouteHandler;
  signed: boolean;
}

/** Method-and-path dispatch with Binance error bodies. */
export class EmulatorRouter {
  readonly #routes = new Map<string, _Route>();
  readonly #authenticate: (req: EmulatorRequest) => void;

  /** Creates an empty router. */
  constructor(options: EmulatorRouterOptions = {}) {
    this.#authenticate = options.authenticate ?? (() => {});
  }

  /** Registers `handler` for `METHOD /path` (e.g. `GET /api/v3/klines`). */
  add(route: string, handler: RouteHandler, options: RouteOptions = {}): void {
    const [method, path] = route.split(" ");
    if (method === undefined || path === undefined || !path.startsWith("/")) {
      throw new RangeError(`EmulatorRouter.add: route must be 'METHOD /path', got '${route}'`);
    }
    this.#routes.set(`${method.toUpperCase()} ${path}`, {
      handler,
      signed: options.signed ?? false,
    });
  }

  /** Whether `METHOD /path` is served. */
  has(method: string, path: string): boolean {
    return this.#routes.has(`${method.toUpperCase()} ${path}`);
  }

  /** The registered routes (`METHOD /path`), in registration order. */
  routes(): string[] {
    return [...this.#routes.keys()];
  }

  /** Dispatches `req` and returns the answer; never throws. */
  async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
    const route = this.#routes.get(`${req.method} ${req.path}`);
    if (route === undefined) {
      return {
        status: 404,
        body: JSON.stringify({
          code: -5000,
          msg: `${req.method} ${req.path} is not served by the dagtrade exchange emulator`,
        }),
        headers: {},
      };
    }
    try {
      if (route.signed) this.#authenticate(req);
      const result = await route.handler(req);
      return { status: 200, body: JSON.stringify(result), headers: {} };
    } catch (error) {
      const e = error instanceof BinanceApiError
        ? error
        : BinanceErrors.unknown(error instanceof Error ? error.message : String(error));
      return { status: e.status, body: e.body(), headers: e.headers };
    }
  }
}

/** Parses the query string and a form body into one parameter map (body wins on a repeat). */
export function parseParams(query: string, body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(query)) out.set(k, v);
  if (body !== "") { for (const [k, v] of new URLSearchParams(body)) out.set(k, v); }
  return out;
}
