/** Binance kline intervals (`1m` … `1M`) and their lengths. */
import { BinanceErrors } from "./binance_api_error.ts";

const _MIN = 60_000;
const _HOUR = 60 * _MIN;
const _DAY = 24 * _HOUR;

/** Every interval Binance's `/api/v3/klines` accepts, with its length in ms (`1M`: 30 days, nominal). */
export const BINANCE_INTERVALS: Readonly<Record<string, number>> = {
  "1s": 1_000,
  "1m": _MIN,
  "3m": 3 * _MIN,
  "5m": 5 * _MIN,
  "15m": 15 * _MIN,
  "30m": 30 * _MIN,
  "1h": _HOUR,
  "2h": 2 * _HOUR,
  "4h": 4 * _HOUR,
  "6h": 6 * _HOUR,
  "8h": 8 * _HOUR,
  "12h": 12 * _HOUR,
  "1d": _DAY,
  "3d": 3 * _DAY,
  "1w": 7 * _DAY,
  "1M": 30 * _DAY,
};

/**
 * The length in ms of a kline interval the emulator can serve from bars of `barMs`: a Binance
 * interval that is a whole multiple of `barMs` and epoch-aligned like Binance's (`1s` … `3d`;
 * `1w` and `1M` are calendar-aligned on Binance and not served). Anything else throws Binance's
 * -1120 "Invalid interval.".
 */
export function parseBinanceInterval(interval: string | undefined, barMs: number): number {
  if (interval === undefined || interval === "") throw BinanceErrors.mandatoryParam("interval");
  const ms = BINANCE_INTERVALS[interval];
  if (ms === undefined || interval === "1w" || interval === "1M" || ms % barMs !== 0) {
    throw BinanceErrors.invalidInterval();
  }
  return ms;
}
