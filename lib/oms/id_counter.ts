/**
 * `IdCounter`: the per-run source of ids (orders, fills). One object per run and per kind of
 * id, passed to whoever creates ids — never a class-level static counter (REFERENCE lists that
 * as a bug of the original system: two runs in one process shared ids).
 */
import { UsageError } from "../errors/mod.ts";

/** Hands out consecutive integer ids, starting at `start`. */
export class IdCounter {
  #next: number;

  /** Creates a counter whose first id is `start` (a non-negative integer; default 0). */
  constructor(start = 0) {
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new UsageError(`IdCounter: start must be a non-negative integer, got ${start}`);
    }
    this.#next = start;
  }

  /** Returns the next id and advances. */
  next(): number {
    return this.#next++;
  }

  /** The id `next()` will return, without advancing. */
  peek(): number {
    return this.#next;
  }
}
