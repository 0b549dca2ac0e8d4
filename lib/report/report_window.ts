/**
 * Report windows (DESIGN §10): which bars a report covers.
 *
 * - `all`: every bar of the run.
 * - `since:<date>`: bars ending after `<date>` (UTC; `since:2025-01-10` starts with the bar
 *   ending at 00:05 on a 5-minute grid), up to the run's last bar.
 * - `last:<duration>` (`last:5m`, `last:24h`, `last:7d`): bars ending in
 *   `(last bar − duration, last bar]`.
 *
 * "Last" is measured from the run's LAST BAR, not from the wall clock: a report of the same
 * run is the same whenever it is made (idempotent, testable), and a historical backtest or
 * simulation has a meaningful "last 24 hours". For a live production run the last bar is at
 * most one bar (plus the data delay) behind the clock, so the two agree; when the run stalled,
 * the report still shows its last 24 hours and states the last bar's time.
 * Intervals are `(start, end]` on bar ends, like everywhere in dagtrade.
 */
import { UsageError } from "../errors/mod.ts";
import { parseDuration, parseTime } from "../sim/bar_schema.ts";

/** A parsed `--window`. */
export interface ReportWindow {
  /** Which kind of window. */
  readonly kind: "all" | "since" | "last";
  /** The window as written, normalized (`all`, `since:2025-01-10`, `last:24h`). */
  readonly text: string;
  /** A file-name-safe label (`all`, `since_2025-01-10`, `last_24h`), used in plot names. */
  readonly label: string;
  /** `since`: the exclusive lower bound, epoch ms. */
  readonly since?: number;
  /** `last`: the length, ms. */
  readonly durationMs?: number;
}

/** The bar ends a window keeps: `start < timestamp <= end` (epoch ms; `start` may be −∞). */
export interface WindowRange {
  /** Exclusive lower bound (−Infinity for `all`). */
  readonly start: number;
  /** Inclusive upper bound: the run's last bar. */
  readonly end: number;
}

/** Parses `all`, `since:<UTC date or time>` or `last:<duration>`; throws `UsageError`. */
export function parseReportWindow(text: string): ReportWindow {
  const t = text.trim();
  if (t === "all") return { kind: "all", text: "all", label: "all" };
  const colon = t.indexOf(":");
  const head = colon < 0 ? t : t.slice(0, colon);
  const tail = colon < 0 ? "" : t.slice(colon + 1).trim();
  if (head === "since" && tail !== "") {
    const since = parseTime(tail, `--window ${t}`);
    return { kind: "since", text: `since:${tail}`, label: `since_${_safe(tail)}`, since };
  }
  if (head === "last" && tail !== "") {
    const durationMs = parseDuration(tail, `--window ${t}`);
    if (!(durationMs > 0)) {
      throw new UsageError(`Invalid --window '${text}': the duration must be positive`);
    }
    return { kind: "last", text: `last:${tail}`, label: `last_${_safe(tail)}`, durationMs };
  }
  throw new UsageError(
    `Invalid --window '${text}': expected all, since:<UTC date> (since:2025-01-10) or ` +
      `last:<duration> (last:5m, last:24h, last:7d)`,
  );
}

/** The `(start, end]` range of `window` for a run whose last bar ends at `lastBar`. */
export function windowRange(window: ReportWindow, lastBar: number): WindowRange {
  switch (window.kind) {
    case "all":
      return { start: -Infinity, end: lastBar };
    case "since":
      return { start: window.since as number, end: lastBar };
    case "last":
      return { start: lastBar - (window.durationMs as number), end: lastBar };
  }
}

function _safe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}
