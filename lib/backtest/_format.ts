/** Private formatting helpers of lib/backtest. */
import { formatTime } from "../sim/mod.ts";

/** `(start, end]` as text, for messages. */
export function _formatRange(start: number, end: number): string {
  return `(${_formatBound(start)}, ${_formatBound(end)}]`;
}

/** A time or an unbounded end, for messages. */
export function _formatBound(ms: number): string {
  return Number.isFinite(ms) ? formatTime(ms) : String(ms);
}

/** The first line of any thrown value's message. */
export function _messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]?.trim() ?? text;
}
