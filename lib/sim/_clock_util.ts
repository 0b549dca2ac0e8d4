/** Private helpers shared by the clocks and the scheduler: validation, abort errors, a heap. */
import { InterruptedError } from "../errors/mod.ts";
import { formatTime } from "./bar_schema.ts";
import { ClockError } from "./clock_error.ts";

/** Throws `ClockError` unless `t` is a finite number (an epoch-ms time). */
export function checkTime(t: number, where: string): void {
  if (typeof t !== "number" || !Number.isFinite(t)) {
    throw new ClockError(`${where}: time must be a finite epoch-ms number, got ${String(t)}`);
  }
}

/** A readable form of a time for messages: compact ISO, or the raw number when not finite. */
export function showTime(t: number): string {
  return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? formatTime(t) : String(t);
}

/** The `InterruptedError` of a sleep aborted by `signal`. */
export function interruptedSleep(t: number, signal: AbortSignal): InterruptedError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : String(reason);
  return new InterruptedError(`Sleep until ${showTime(t)} was interrupted (${why})`, {
    cause: reason,
  });
}

/** A binary min-heap ordered by `less`. */
export class ClockHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  /** Creates an empty heap ordered by `less(a, b)` (true when `a` comes first). */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item. */
  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(a[i] as T, a[parent] as T)) break;
      [a[i], a[parent]] = [a[parent] as T, a[i] as T];
      i = parent;
    }
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.#less(a[l] as T, a[m] as T)) m = l;
      if (r < a.length && this.#less(a[r] as T, a[m] as T)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m] as T, a[i] as T];
      i = m;
    }
    return top;
  }

  /** The items, in heap (not sorted) order; do not mutate. */
  values(): readonly T[] {
    return this.#items;
  }

  /** Removes and returns every item (in no particular order). */
  drain(): T[] {
    return this.#items.splice(0, this.#items.length);
  }
}

/** Ordering key of a timed entry: time, then rank (priority / phase), then sequence. */
export interface TimedKey {
  /** Time, epoch ms. */
  t: number;
  /** Tie-break rank at equal times (lower first). */
  rank: number;
  /** Registration order (lower first). */
  seq: number;
}

/** `(t, rank, seq)` lexicographic order. */
export function timedLess(a: TimedKey, b: TimedKey): boolean {
  if (a.t !== b.t) return a.t < b.t;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.seq < b.seq;
}
