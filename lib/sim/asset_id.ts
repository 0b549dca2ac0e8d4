/**
 * Asset identity (DESIGN §3): `full_symbol` = `<exchange>::<BASE>_<QUOTE>` and its stable
 * `asset_id` = the first 10 decimal digits of the MD5 of `full_symbol` read as an unsigned
 * integer (the DataFlow convention, so ids match the original system's).
 */
import { createHash } from "node:crypto";
import { DataError, UsageError } from "../errors/mod.ts";

const _FULL_SYMBOL = /^([a-z0-9][a-z0-9_.-]*)::([A-Za-z0-9.]+)_([A-Za-z0-9.]+(?::[A-Za-z0-9.]+)?)$/;
const _CCXT_SYMBOL = /^([A-Za-z0-9.]+)[/_]([A-Za-z0-9.]+(?::[A-Za-z0-9.]+)?)$/;
const _idCache = new Map<string, number>();

/**
 * The `asset_id` of a full symbol: the first 10 decimal digits of `int(md5(full_symbol))`.
 * `assetIdOf("binance::BTC_USDT")` is `1467591036`.
 */
export function assetIdOf(fullSymbol: string): number {
  const cached = _idCache.get(fullSymbol);
  if (cached !== undefined) return cached;
  const hex = createHash("md5").update(fullSymbol, "utf8").digest("hex");
  const id = Number(BigInt(`0x${hex}`).toString().slice(0, 10));
  _idCache.set(fullSymbol, id);
  return id;
}

/** Whether `text` is a well-formed full symbol (`binance::BTC_USDT`). */
export function isFullSymbol(text: string): boolean {
  return _FULL_SYMBOL.test(text);
}

/**
 * The full symbol of a ccxt market symbol on an exchange: `fullSymbolOf("binance", "BTC/USDT")`
 * is `binance::BTC_USDT` (also accepts `BTC_USDT`). Throws `UsageError` on a malformed symbol.
 */
export function fullSymbolOf(exchange: string, symbol: string): string {
  const match = _CCXT_SYMBOL.exec(symbol.trim());
  const ex = exchange.trim().toLowerCase();
  if (!match || !/^[a-z0-9][a-z0-9_.-]*$/.test(ex)) {
    throw new UsageError(
      `Cannot make a full symbol from exchange '${exchange}' and symbol '${symbol}': ` +
        `expected an exchange id like binance and a symbol like BTC/USDT`,
    );
  }
  return `${ex}::${match[1]}_${match[2]}`;
}

/** The exchange part of a full symbol (`binance::BTC_USDT` → `binance`). Throws `UsageError`. */
export function exchangeOf(fullSymbol: string): string {
  return _parse(fullSymbol)[0];
}

/** The ccxt market symbol of a full symbol (`binance::BTC_USDT` → `BTC/USDT`). Throws `UsageError`. */
export function ccxtSymbolOf(fullSymbol: string): string {
  const [, base, quote] = _parse(fullSymbol);
  return `${base}/${quote}`;
}

/** Options of `resolveFullSymbols`. */
export interface ResolveFullSymbolsOptions {
  /** Where the symbols come from, for the error message (e.g. `snapshot x.parquet`). Default: `the data`. */
  source?: string;
}

/**
 * Maps requested symbols to the full symbols of `known`. A request is a full symbol
 * (`binance::BTC_USDT`), or a pair (`BTC/USDT`, `BTC_USDT`, any case) matched against the
 * known symbols of any exchange. An unknown or ambiguous request throws `DataError` listing
 * the known symbols. The result keeps the request order, without repeats.
 */
export function resolveFullSymbols(
  requested: readonly string[],
  known: readonly string[],
  options: ResolveFullSymbolsOptions = {},
): string[] {
  const source = options.source ?? "the data";
  const knownSet = new Set(known);
  const out: string[] = [];
  for (const request of requested) {
    const text = request.trim();
    let matches: string[];
    if (text.includes("::")) {
      matches = knownSet.has(text) ? [text] : [];
    } else {
      const pair = text.toUpperCase().replace("/", "_");
      matches = known.filter((fs) => fs.slice(fs.indexOf("::") + 2).toUpperCase() === pair);
    }
    if (matches.length !== 1) {
      const list = [...knownSet].sort().join(", ") || "(none)";
      const what = matches.length === 0 ? "is not in" : "is ambiguous in";
      throw new DataError(
        `Symbol '${request}' ${what} ${source}; known symbols: ${list}` +
          (matches.length > 1 ? ` (give the full symbol, e.g. ${matches[0]})` : ""),
      );
    }
    const fs = matches[0] as string;
    if (!out.includes(fs)) out.push(fs);
  }
  return out;
}

function _parse(fullSymbol: string): [string, string, string] {
  const match = _FULL_SYMBOL.exec(fullSymbol);
  if (!match) {
    throw new UsageError(
      `Malformed full symbol '${fullSymbol}': expected <exchange>::<BASE>_<QUOTE>, e.g. binance::BTC_USDT`,
    );
  }
  return [match[1] as string, match[2] as string, match[3] as string];
}
