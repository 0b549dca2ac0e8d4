/**
 * `EmulatorMarket`: one symbol of the emulated venue — its bars as typed arrays, its filters,
 * and the knowledge-gated queries the API serves (last known bar, klines, rolling windows).
 *
 * A bar is *known* at `now` iff `knowledge_timestamp <= now`. Klines of the snapshot's bar
 * length are the known bars; klines of a longer interval (a whole multiple, epoch-aligned) are
 * aggregated from the bars whose open time falls in the kline (open of the first, max high,
 * min low, close of the last, summed volume) and served once the kline's period has ended and
 * all its bars are known. The currently forming kline is never served (Binance serves it with
 * the trades so far; the emulator has no intra-bar data).
 */
import pl from "nodejs-polars";
import { DataError } from "../../errors/mod.ts";
import { upperBound } from "../../frame/mod.ts";
import { ccxtSymbolOf, exchangeOf } from "../asset_id.ts";
import { formatTime } from "../bar_schema.ts";
import { inferMarketFilters, type MarketFilters } from "./market_filters.ts";
import { _fmt, _fmt8 } from "./_format.ts";

/** Options of `EmulatorMarket.fromBars`. */
export interface EmulatorMarketsOptions {
  /**
   * The exchange of the full symbols to serve (`binance`). Default: the one exchange of the
   * bars (a `DataError` when they hold several).
   */
  exchange?: string;
  /** Filters per Binance symbol (`BTCUSDT`) replacing the derived ones, field by field. Default: none. */
  filters?: Readonly<Record<string, Partial<MarketFilters>>>;
}

/** Which klines to return (Binance's `startTime`, `endTime`, `limit`). */
export interface KlineQuery {
  /** Smallest kline open time, epoch ms. Default: none (the latest `limit` klines). */
  startTime?: number | undefined;
  /** Largest kline open time, epoch ms. Default: none. */
  endTime?: number | undefined;
  /** Number of klines, 1..1000. */
  limit: number;
  /** The clock's time: only klines known then are returned. */
  now: number;
}

/** A Binance kline row: `[openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, "0"]`. */
export type BinanceKline = [
  number,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  number,
  string,
  string,
  string,
];

/** One symbol's bars and filters, with knowledge-gated queries. */
export class EmulatorMarket {
  /** Binance symbol id (`BTCUSDT`). */
  readonly symbol: string;
  /** ccxt symbol (`BTC/USDT`). */
  readonly ccxtSymbol: string;
  /** dagtrade full symbol (`binance::BTC_USDT`). */
  readonly fullSymbol: string;
  /** Base asset (`BTC`). */
  readonly base: string;
  /** Quote asset (`USDT`). */
  readonly quote: string;
  /** Bar length, ms. */
  readonly barMs: number;
  /** Trading filters. */
  readonly filters: MarketFilters;
  /** Bar end times (the bar covers `(end − barMs, end]`), ascending. */
  readonly end: Float64Array;
  /** Open prices. */
  readonly open: Float64Array;
  /** High prices. */
  readonly high: Float64Array;
  /** Low prices. */
  readonly low: Float64Array;
  /** Close prices. */
  readonly close: Float64Array;
  /** Volumes, base units. */
  readonly volume: Float64Array;
  /** Knowledge times: bar `i` is known iff `knownAt[i] <= now`. */
  readonly knownAt: Float64Array;

  /** Creates a market from its sorted columns (use `EmulatorMarket.fromBars`). */
  constructor(
    fullSymbol: string,
    columns: {
      barMs: number;
      end: Float64Array;
      open: Float64Array;
      high: Float64Array;
      low: Float64Array;
      close: Float64Array;
      volume: Float64Array;
      knownAt: Float64Array;
    },
    filters?: Partial<MarketFilters>,
  ) {
    const pair = ccxtSymbolOf(fullSymbol);
    const [base, quote] = pair.split("/") as [string, string];
    this.fullSymbol = fullSymbol;
    this.ccxtSymbol = pair;
    this.base = base.toUpperCase();
    this.quote = quote.toUpperCase();
    this.symbol = this.base + this.quote;
    this.barMs = columns.barMs;
    this.end = columns.end;
    this.open = columns.open;
    this.high = columns.high;
    this.low = columns.low;
    this.close = columns.close;
    this.volume = columns.volume;
    this.knownAt = columns.knownAt;
    const inferred = inferMarketFilters({
      prices: [this.open, this.high, this.low, this.close],
      volumes: this.volume,
    }, this.quote);
    this.filters = { ...inferred, ...filters };
  }

  /**
   * Splits a bars frame (bar contract, DESIGN §3) into markets keyed by Binance symbol, in
   * full-symbol order. Throws `DataError` for missing columns, several exchanges (without
   * `options.exchange`), bars of different lengths, or two full symbols with one Binance id.
   */
  static fromBars(
    bars: pl.DataFrame,
    options: EmulatorMarketsOptions = {},
  ): Map<string, EmulatorMarket> {
    const need = [
      "timestamp",
      "start_timestamp",
      "full_symbol",
      "open",
      "high",
      "low",
      "close",
      "volume",
      "knowledge_timestamp",
    ];
    const missing = need.filter((c) => !bars.columns.includes(c));
    if (missing.length > 0) {
      throw new DataError(
        `Cannot serve bars on the exchange emulator: missing column(s) ${missing.join(", ")} ` +
          `(expected the bar contract of DESIGN §3; load them with readBars)`,
      );
    }
    const symbols =
      (bars.height === 0 ? [] : bars.getColumn("full_symbol").unique().toArray() as string[])
        .sort();
    const exchanges = [...new Set(symbols.map(exchangeOf))];
    const exchange = options.exchange ?? exchanges[0];
    if (options.exchange === undefined && exchanges.length > 1) {
      throw new DataError(
        `Cannot serve bars of several exchanges (${exchanges.join(", ")}) on one exchange ` +
          "emulator: pass the exchange to serve",
      );
    }
    const out = new Map<string, EmulatorMarket>();
    for (const fullSymbol of symbols) {
      if (exchangeOf(fullSymbol) !== exchange) continue;
      const rows = bars.filter(pl.col("full_symbol").eq(pl.lit(fullSymbol))).sort("timestamp");
      const f = (name: string) =>
        rows.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array;
      const end = Float64Array.from(f("timestamp"));
      const start = f("start_timestamp");
      const barMs = (end[0] ?? 0) - (start[0] ?? 0);
      for (let i = 0; i < end.length; i++) {
        if ((end[i] as number) - (start[i] as number) !== barMs || !(barMs > 0)) {
          throw new DataError(
            `Cannot serve ${fullSymbol} on the exchange emulator: row ${
              formatTime(end[i] as number)
            } ` +
              `has a bar length different from the first row's ${barMs} ms (one bar length per snapshot)`,
          );
        }
      }
      const market = new EmulatorMarket(fullSymbol, {
        barMs,
        end,
        open: Float64Array.from(f("open")),
        high: Float64Array.from(f("high")),
        low: Float64Array.from(f("low")),
        close: Float64Array.from(f("close")),
        volume: Float64Array.from(f("volume")),
        knownAt: Float64Array.from(f("knowledge_timestamp")),
      }, options.filters?.[_binanceId(fullSymbol)]);
      const other = out.get(market.symbol);
      if (other !== undefined) {
        throw new DataError(
          `Cannot serve both ${other.fullSymbol} and ${fullSymbol} on the exchange emulator: ` +
            `both are Binance symbol ${market.symbol}`,
        );
      }
      const first = out.values().next().value as EmulatorMarket | undefined;
      if (first !== undefined && first.barMs !== market.barMs) {
        throw new DataError(
          `Cannot serve ${first.fullSymbol} (${first.barMs} ms bars) and ${fullSymbol} ` +
            `(${market.barMs} ms bars) on one exchange emulator: one bar length per snapshot`,
        );
      }
      out.set(market.symbol, market);
    }
    return out;
  }

  /** Number of bars. */
  get length(): number {
    return this.end.length;
  }

  /** Index of the first bar with `end > t` (`length` when none). */
  indexAfter(t: number): number {
    return upperBound(this.end, t);
  }

  /** Index of the latest bar known at `now` (−1 when none is). */
  lastKnownIndex(now: number): number {
    let i = this.indexAfter(now) - 1;
    while (i >= 0 && (this.knownAt[i] as number) > now) i--;
    return i;
  }

  /**
   * The klines of `intervalMs` (a multiple of `barMs`) known at `now`, in Binance's layout and
   * order (ascending open time): with `startTime`, the first `limit` from it; without, the last
   * `limit` up to `endTime`. Quote volume is approximated as Σ volume × (high + low + close) / 3
   * (the snapshot has no quote volume); trade counts and taker volumes are 0.
   */
  klines(intervalMs: number, query: KlineQuery): BinanceKline[] {
    const groups: [number, number][] = [];
    const { startTime, endTime, limit, now } = query;
    if (startTime !== undefined) {
      const firstOpen = Math.ceil(startTime / intervalMs) * intervalMs;
      let i = this.indexAfter(firstOpen + this.barMs - 1);
      while (i < this.end.length && groups.length < limit) {
        const g = this.#groupOf(i, intervalMs);
        if (endTime !== undefined && g > endTime) break;
        let j = i + 1;
        while (j < this.end.length && this.#groupOf(j, intervalMs) === g) j++;
        if (!this.#servable(i, j, g, intervalMs, now)) break;
        groups.push([i, j]);
        i = j;
      }
    } else {
      const top = endTime === undefined
        ? now
        : Math.min(now, Math.floor(endTime / intervalMs) * intervalMs + intervalMs);
      let j = this.indexAfter(top);
      while (j > 0 && groups.length < limit) {
        const g = this.#groupOf(j - 1, intervalMs);
        let i = j - 1;
        while (i > 0 && this.#groupOf(i - 1, intervalMs) === g) i--;
        if ((endTime === undefined || g <= endTime) && this.#servable(i, j, g, intervalMs, now)) {
          groups.push([i, j]);
        }
        j = i;
      }
      groups.reverse();
    }
    return groups.map(([i, j]) => this.#kline(i, j, intervalMs));
  }

  #groupOf(i: number, intervalMs: number): number {
    return Math.floor(((this.end[i] as number) - this.barMs) / intervalMs) * intervalMs;
  }

  #servable(i: number, j: number, g: number, intervalMs: number, now: number): boolean {
    if (g + intervalMs > now) return false;
    for (let k = i; k < j; k++) if ((this.knownAt[k] as number) > now) return false;
    return true;
  }

  #kline(i: number, j: number, intervalMs: number): BinanceKline {
    const g = this.#groupOf(i, intervalMs);
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    let quoteVolume = 0;
    for (let k = i; k < j; k++) {
      const h = this.high[k] as number;
      const l = this.low[k] as number;
      const v = this.volume[k] as number;
      if (h > high) high = h;
      if (l < low) low = l;
      volume += v;
      quoteVolume += v * (h + l + (this.close[k] as number)) / 3;
    }
    return [
      g,
      _fmt(this.open[i] as number),
      _fmt(high),
      _fmt(low),
      _fmt(this.close[j - 1] as number),
      j - i === 1 ? _fmt(volume) : _fmt8(volume),
      g + intervalMs - 1,
      quoteVolume.toFixed(8),
      0,
      "0.00000000",
      "0.00000000",
      "0",
    ];
  }
}

function _binanceId(fullSymbol: string): string {
  return ccxtSymbolOf(fullSymbol).replace("/", "").toUpperCase();
}
