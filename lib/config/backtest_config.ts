/**
 * Backtest-config strings (DESIGN §4): `<universe>-<top N|all>.<trading period>.<start>_<end>`,
 * e.g. `binance_v1-top5.5T.2025-01-01_2025-03-31`: the 5 first symbols of universe
 * `binance_v1`, 5-minute bars, from 2025-01-01 through 2025-03-31 (end date inclusive).
 */
import { UsageError } from "../errors/mod.ts";
import { parseTimeframe } from "../sim/bar_schema.ts";
import { loadUniverse, type UniverseOptions } from "./universe.ts";

/** A parsed backtest config. */
export interface BacktestConfig {
  /** The text it was parsed from (trimmed). */
  text: string;
  /** The universe name, e.g. `binance_v1` (a file in the universe directory). */
  universe: string;
  /** How many symbols of the universe to take (the first N), or `"all"`. */
  top: number | "all";
  /** The trading period as written, e.g. `5T`. */
  period: string;
  /** The bar period in ms (`5T` → 300000). */
  barMs: number;
  /** The start date as written (`YYYY-MM-DD`). */
  startDate: string;
  /** The end date as written (`YYYY-MM-DD`, inclusive). */
  endDate: string;
  /** Epoch ms of the start date at 00:00 UTC: bars ending after it are in (exclusive bound). */
  start: number;
  /** Epoch ms of the day after the end date at 00:00 UTC: bars ending at or before it are in. */
  end: number;
}

const _DAY_MS = 86_400_000;
const _FORM =
  "expected <universe>-<top N|all>.<trading period>.<start>_<end>, e.g. binance_v1-top5.5T.2025-01-01_2025-03-31";

/**
 * Parses a backtest-config string. The dates are UTC days and the end date is inclusive: the
 * backtest covers the bars whose END timestamp lies in `(start, end]`, with `start` = start date
 * 00:00Z and `end` = the day after the end date, 00:00Z (so `2025-01-01_2025-01-01` is the one
 * day of 2025-01-01). Every error is a `UsageError` naming the wrong part and the expected form.
 */
export function parseBacktestConfig(text: string): BacktestConfig {
  const trimmed = text.trim();
  const fail = (what: string, cause?: unknown): never => {
    throw new UsageError(
      `Cannot parse backtest config '${text}': ${what}; ${_FORM}`,
      cause === undefined ? {} : { cause },
    );
  };
  const parts = trimmed.split(".");
  if (parts.length !== 3) {
    fail(
      parts.length < 3
        ? `missing part: got ${parts.length} of the 3 parts separated by '.'`
        : `got ${parts.length} parts separated by '.', expected 3`,
    );
  }
  const [selection, period, interval] = parts as [string, string, string];
  if (selection === "") fail("missing universe part");
  if (period === "") fail("missing trading period");
  if (interval === "") fail("missing interval <start>_<end>");

  const dash = selection.lastIndexOf("-");
  if (dash < 0) fail(`universe part '${selection}' has no '-top<N>' or '-all' selection`);
  const universe = selection.slice(0, dash);
  const topText = selection.slice(dash + 1);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(universe)) {
    fail(`universe name '${universe}' is not a name of letters, digits, '_' or '-'`);
  }
  let top: number | "all" = "all";
  if (topText !== "all") {
    const match = /^top(\d+)$/.exec(topText);
    if (!match) fail(`universe selection '${topText}' is neither 'top<N>' nor 'all'`);
    top = Number((match as RegExpExecArray)[1]);
    if (top < 1) fail(`universe selection '${topText}': N must be at least 1`);
  }

  let barMs = 0;
  try {
    barMs = parseTimeframe(period);
  } catch (error) {
    fail(
      `trading period '${period}' is not a bar period (a positive count and a unit: 5T, 5m, 1h, 1d)`,
      error,
    );
  }

  const dates = interval.split("_");
  if (dates.length !== 2) fail(`interval '${interval}' is not <start>_<end>`);
  const [startDate, endDate] = dates as [string, string];
  const startDay = _parseDay(startDate);
  if (startDay === undefined) fail(`start date '${startDate}' is not a valid YYYY-MM-DD date`);
  const endDay = _parseDay(endDate);
  if (endDay === undefined) fail(`end date '${endDate}' is not a valid YYYY-MM-DD date`);
  if ((startDay as number) > (endDay as number)) {
    fail(`start date ${startDate} is after end date ${endDate}`);
  }
  return {
    text: trimmed,
    universe,
    top,
    period,
    barMs,
    startDate,
    endDate,
    start: startDay as number,
    end: (endDay as number) + _DAY_MS,
  };
}

function _parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    return undefined;
  }
  return ms;
}

/**
 * The ordered symbols a backtest config selects: the first `top` symbols of its universe, or
 * all of them. An unknown universe is a `UsageError` listing the known ones; asking for more
 * symbols than the universe has is a `UsageError`.
 */
export async function resolveUniverse(
  config: Pick<BacktestConfig, "universe" | "top"> & { text?: string },
  options: UniverseOptions = {},
): Promise<string[]> {
  const universe = await loadUniverse(config.universe, options);
  if (config.top === "all") return [...universe.symbols];
  if (!Number.isInteger(config.top) || config.top < 1) {
    throw new UsageError(`Bad universe selection top${config.top}: N must be an integer >= 1`);
  }
  if (config.top > universe.symbols.length) {
    const what = config.text === undefined
      ? "The backtest config"
      : `Backtest config '${config.text}'`;
    throw new UsageError(
      `${what} asks for the top ${config.top} symbols but universe ${universe.name} has only ${universe.symbols.length}; use top${universe.symbols.length} or all`,
    );
  }
  return universe.symbols.slice(0, config.top);
}
