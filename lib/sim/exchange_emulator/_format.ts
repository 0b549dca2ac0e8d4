/** Number formatting and parsing in Binance's style (decimal strings, 8 decimals). */
import { BinanceErrors } from "./binance_api_error.ts";

/**
 * A number as Binance prints it: 8 decimals (`"94235.12000000"`), or the shortest exact text when
 * 8 decimals would change the value (so bar values round-trip exactly).
 */
export function _fmt(x: number): string {
  const fixed = x.toFixed(8);
  return Number(fixed) === x ? fixed : String(x);
}

/** A computed amount rounded to 8 decimals (`-0` printed as `0`). */
export function _fmt8(x: number): string {
  const fixed = x.toFixed(8);
  return /^-0\.0+$/.test(fixed) ? fixed.slice(1) : fixed;
}

/** Parses a decimal parameter (`"0.001"`); throws -1100 for anything else. */
export function _decimalParam(name: string, value: string): number {
  if (!/^([0-9]{1,20})(\.[0-9]{1,20})?$/.test(value)) throw BinanceErrors.illegalChars(name);
  return Number(value);
}

/** Parses an integer parameter (`"1736121600000"`); throws -1100 for anything else. */
export function _intParam(name: string, value: string): number {
  if (!/^-?[0-9]{1,20}$/.test(value)) throw BinanceErrors.illegalChars(name);
  return Number(value);
}

/** `x` rounded down to a multiple of `step` (with a tolerance of 1e-9 steps for float noise). */
export function _floorTo(x: number, step: number): number {
  const n = Math.floor(x / step + 1e-9);
  return _clean(n * step, step);
}

/** `x` rounded up to a multiple of `step` (with a tolerance of 1e-9 steps for float noise). */
export function _ceilTo(x: number, step: number): number {
  const n = Math.ceil(x / step - 1e-9);
  return _clean(n * step, step);
}

/** Whether `x` is a multiple of `step` (up to float noise). */
export function _isMultiple(x: number, step: number): boolean {
  const r = x / step;
  return Math.abs(r - Math.round(r)) < 1e-7;
}

/** Removes float noise from a multiple of `step` (`0.30000000000000004` → `0.3`). */
function _clean(x: number, step: number): number {
  const decimals = Math.max(0, Math.min(16, Math.ceil(-Math.log10(step)) + 1));
  return Number(x.toFixed(decimals));
}
