/**
 * Conversion of received OHLCV candles (ccxt's `[openTimeMs, open, high, low, close, volume]`,
 * stamped with their OPEN time) into the bar contract (DESIGN §3): `timestamp` = open time +
 * timeframe (the bar END), `start_timestamp` = open time, `asset_id` and `full_symbol`, and
 * `knowledge_timestamp` = when the candle was received. A candle received before its bar
 * closed (END > receipt time) is still forming and is dropped; a candle received twice keeps
 * its first receipt. The result is sorted and validated.
 */
import pl from "nodejs-polars";
import { assetIdOf } from "./asset_id.ts";
import { validateBars } from "./validate_bars.ts";

/** A batch of candles received at one time (an `OhlcvPage` fits). */
export interface ReceivedCandles {
  /** Candles `[openTimeMs, open, high, low, close, volume]`. */
  candles: readonly (readonly number[])[];
  /** When they were received, epoch ms. */
  receivedAt: number;
}

/** Options of `ohlcvToBars`. */
export interface OhlcvToBarsOptions {
  /** The full symbol of every candle (`binance::BTC_USDT`). Required. */
  fullSymbol: string;
  /** The bar period, ms. Required. */
  barMs: number;
  /**
   * Model the knowledge time as `timestamp + knowledgeDelayMs` instead of the receipt time
   * (for replays of historical downloads, whose receipt time is the download's). Candles not
   * closed at receipt are dropped either way. Default: undefined (receipt time).
   */
  knowledgeDelayMs?: number | undefined;
  /** Names the source in validation errors. Default: `ccxt <fullSymbol>`. */
  source?: string;
}

/** What `ohlcvToBars` returns. */
export interface OhlcvBars {
  /** The bars, bar contract, sorted by timestamp, unique, validated. */
  bars: pl.DataFrame;
  /** Candles dropped because their bar had not closed when received. */
  unclosed: number;
  /** Candles dropped because the same bar was received before. */
  duplicates: number;
}

/**
 * Converts received candles of one symbol into bars (see the module doc). Invalid values
 * (e.g. `high < close`) throw `DataError` naming the source, the bar and the rule.
 */
export function ohlcvToBars(
  batches: readonly ReceivedCandles[],
  options: OhlcvToBarsOptions,
): OhlcvBars {
  const { barMs, fullSymbol } = options;
  const byOpen = new Map<number, { c: readonly number[]; at: number }>();
  let unclosed = 0;
  let duplicates = 0;
  for (const batch of batches) {
    for (const c of batch.candles) {
      const open = c[0] as number;
      if (open + barMs > batch.receivedAt) {
        unclosed++;
        continue;
      }
      const old = byOpen.get(open);
      if (old === undefined) byOpen.set(open, { c, at: batch.receivedAt });
      else {
        duplicates++;
        if (batch.receivedAt < old.at) byOpen.set(open, { c, at: batch.receivedAt });
      }
    }
  }
  const opens = [...byOpen.keys()].sort((a, b) => a - b);
  const n = opens.length;
  const cols = Array.from({ length: 8 }, () => new Float64Array(n));
  const [end, start, open, high, low, close, volume, known] = cols as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  for (let i = 0; i < n; i++) {
    const t = opens[i] as number;
    const { c, at } = byOpen.get(t) as { c: readonly number[]; at: number };
    start[i] = t;
    end[i] = t + barMs;
    open[i] = c[1] as number;
    high[i] = c[2] as number;
    low[i] = c[3] as number;
    close[i] = c[4] as number;
    volume[i] = c[5] as number;
    known[i] = options.knowledgeDelayMs === undefined ? at : t + barMs + options.knowledgeDelayMs;
  }
  const time = (name: string, a: Float64Array) =>
    pl.Series(name, a).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const bars = pl.DataFrame([
    time("timestamp", end),
    time("start_timestamp", start),
    pl.Series("asset_id", new Float64Array(n).fill(assetIdOf(fullSymbol))).cast(pl.Int64),
    pl.Series("full_symbol", new Array<string>(n).fill(fullSymbol)).cast(pl.String),
    pl.Series("open", open),
    pl.Series("high", high),
    pl.Series("low", low),
    pl.Series("close", close),
    pl.Series("volume", volume),
    time("knowledge_timestamp", known),
  ]);
  const source = options.source ?? `ccxt ${fullSymbol}`;
  validateBars(bars, { file: source, barMs, context: `Bad candles from ${source}` });
  return { bars, unclosed, duplicates };
}
