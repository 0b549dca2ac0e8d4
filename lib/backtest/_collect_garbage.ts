/**
 * `_collectGarbage`: a full V8 garbage collection, to release the native (Polars) memory of
 * frames that are no longer referenced. nodejs-polars frees a frame's Rust memory only when V8
 * collects its JS wrapper, and V8 does not see that memory: a loop over tiles or months that
 * allocates little JS memory keeps every dropped frame's native memory until a collection
 * happens to run. The collector is exposed the way jest's leak detector does it
 * (`--expose-gc` set at run time, `gc` taken from a fresh context).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let _gc: (() => void) | null | undefined;

/** Runs a full garbage collection; false (and nothing done) where `gc` cannot be exposed. */
export function _collectGarbage(): boolean {
  if (_gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("gc");
      _gc = typeof gc === "function" ? gc as () => void : null;
    } catch {
      _gc = null;
    }
  }
  if (_gc === null) return false;
  _gc();
  return true;
}
