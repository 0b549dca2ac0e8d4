/**
 * `_releaseNativeMemory`: frees the native (Polars) memory of frames no longer referenced.
 * nodejs-polars frees a frame's Rust memory only when V8 collects its JS wrapper and the
 * wrapper's finalizer then runs on a later turn of the event loop; V8 does not see that
 * memory, so a loop that allocates little JS memory between Polars calls (the merge: +45 MB
 * per month of 14 pairs) keeps every dropped frame's native memory. This runs a full
 * collection (the collector is exposed the way jest's leak detector does it: `--expose-gc`
 * set at run time, `gc` taken from a fresh context) and yields one turn of the event loop
 * (`setImmediate`: a scheduling yield, not a timer) for the finalizers — only once the
 * process's resident memory exceeds a budget: a forced collection costs ≈ 0.1 s of CPU here
 * (background threads included, and the code it slows down after), so callers run it every
 * few units of work, not after each.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { setImmediate } from "node:timers/promises";

let _gc: (() => void) | null | undefined;

/** The resident memory above which `_releaseNativeMemory` collects by default: 256 MiB. */
export const _NATIVE_MEMORY_BUDGET = 256 * 2 ** 20;

/**
 * When the resident set exceeds `budgetBytes` (default `_NATIVE_MEMORY_BUDGET`; 0: always),
 * collects garbage and lets the finalizers run (only yields where `gc` cannot be exposed).
 */
export async function _releaseNativeMemory(budgetBytes = _NATIVE_MEMORY_BUDGET): Promise<void> {
  if (Deno.memoryUsage().rss <= budgetBytes) return;
  if (_gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("gc");
      _gc = typeof gc === "function" ? gc as () => void : null;
    } catch {
      _gc = null;
    }
  }
  _gc?.();
  await setImmediate();
}
