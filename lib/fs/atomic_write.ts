/**
 * Atomic file writes: write to a temporary file beside the target, then rename it over the
 * target, so a reader never sees a half-written file and a crash leaves no partial output.
 */
import { dirname, join } from "node:path";

let _seq = 0;

/** A unique temporary path in the same directory as `path` (same filesystem, so rename is atomic). */
export function tempPathFor(path: string): string {
  _seq += 1;
  const base = path.split("/").pop() ?? "file";
  return join(dirname(path), `.${base}.${Deno.pid}.${_seq}.tmp`);
}

/** Options of `atomicWrite`. */
export interface AtomicWriteOptions {
  /** Create missing parent directories. Default: true. */
  mkdirs?: boolean;
  /** File mode for the new file (e.g. 0o600). Default: the process umask's default. */
  mode?: number;
}

/** Writes `data` (bytes or text) to `path` atomically (temp file + rename). */
export async function atomicWrite(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  if (options.mkdirs ?? true) await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const writeOptions = options.mode === undefined ? {} : { mode: options.mode };
    if (typeof data === "string") await Deno.writeTextFile(tmp, data, writeOptions);
    else await Deno.writeFile(tmp, data, writeOptions);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/** Synchronous `atomicWrite`, for callers that must not yield (per-bar streams). */
export function atomicWriteSync(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): void {
  if (options.mkdirs ?? true) Deno.mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const writeOptions = options.mode === undefined ? {} : { mode: options.mode };
    if (typeof data === "string") Deno.writeTextFileSync(tmp, data, writeOptions);
    else Deno.writeFileSync(tmp, data, writeOptions);
    Deno.renameSync(tmp, path);
  } catch (error) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // the temp file was never created
    }
    throw error;
  }
}

/**
 * Runs `write(tmpPath)` (a writer that creates a file at the path it is given, e.g. Polars'
 * `writeParquet`), then renames the result over `path`.
 */
export async function atomicWriteWith(
  path: string,
  write: (tmpPath: string) => void | Promise<void>,
  options: Pick<AtomicWriteOptions, "mkdirs"> = {},
): Promise<void> {
  if (options.mkdirs ?? true) await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
