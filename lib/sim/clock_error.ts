/**
 * `ClockError`: misuse of a clock or of the scheduler (a programming error, exit 1), e.g. a
 * clock asked to move backwards or a `StaticClock` asked to sleep into the future.
 */
import { DagtradeError } from "../errors/mod.ts";

/** A clock or the scheduler was used in a way that can never work (exit 1). */
export class ClockError extends DagtradeError {}
