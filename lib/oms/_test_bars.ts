/**
 * Private test helper of the OMS tests: a small bars frame (bar contract, DESIGN §3) from
 * explicit rows, with `knowledge_timestamp = timestamp + delayMs`.
 */
import pl from "nodejs-polars";

/** One bar of `_bars`. */
export interface _BarRow {
  /** Bar end, epoch ms. */
  t: number;
  /** Asset id. */
  id: number;
  /** Open. */
  o: number;
  /** High. */
  h: number;
  /** Low. */
  l: number;
  /** Close. */
  c: number;
  /** Volume. Default: 1. */
  v?: number;
}

/** A bars frame of `rows` (sorted here), bar period `barMs`, knowledge `delayMs` after the end. */
export function _bars(
  rows: readonly _BarRow[],
  options: { barMs: number; delayMs?: number },
): pl.DataFrame {
  const sorted = [...rows].sort((a, b) => a.t - b.t || a.id - b.id);
  const time = (name: string, values: number[]) =>
    pl.Series(name, values).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
  const delay = options.delayMs ?? 0;
  return pl.DataFrame([
    time("timestamp", sorted.map((r) => r.t)),
    time("start_timestamp", sorted.map((r) => r.t - options.barMs)),
    pl.Series("asset_id", sorted.map((r) => r.id), pl.Int64),
    pl.Series("full_symbol", sorted.map((r) => `test::A${r.id}`), pl.String),
    pl.Series("open", sorted.map((r) => r.o), pl.Float64),
    pl.Series("high", sorted.map((r) => r.h), pl.Float64),
    pl.Series("low", sorted.map((r) => r.l), pl.Float64),
    pl.Series("close", sorted.map((r) => r.c), pl.Float64),
    pl.Series("volume", sorted.map((r) => r.v ?? 1), pl.Float64),
    time("knowledge_timestamp", sorted.map((r) => r.t + delay)),
  ]);
}

/** A deterministic pseudo-random generator (mulberry32) returning floats in [0, 1). */
export function _random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
