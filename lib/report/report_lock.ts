/**
 * The report's lock against overlapping runs (a cron job started again while the previous one
 * still runs): `<out>/.report.lock`, created atomically with O_EXCL, holding the owner's pid,
 * host and start time as JSON, removed when the report ends.
 *
 * A lock is stale — and taken over — when its owner is on this host and no longer alive, or
 * when it is older than `staleAfterMs` (a report takes seconds; default one hour, which also
 * covers a lock left on a shared disk by another host). An empty or unreadable lock younger
 * than a minute is being written by its owner and counts as held. Two reports taking over the
 * same stale lock at the same instant could both run; they write the same files atomically, so
 * the outputs stay whole.
 */
import { hostname as _osHostname } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { DagtradeError } from "../errors/mod.ts";
import type { Clock } from "../sim/clock.ts";

/** The lock file's name inside the output directory. */
export const REPORT_LOCK_FILE = ".report.lock";

/** Who holds a lock. */
export interface ReportLockHolder {
  /** Process id. */
  pid: number;
  /** Host name. */
  hostname: string;
  /** When it took the lock, epoch ms (its clock). */
  started_ms: number;
  /** The same as ISO text. */
  started_at: string;
}

/** A held lock. */
export interface ReportLock {
  /** The lock file. */
  readonly path: string;
  /** What this process wrote into it. */
  readonly holder: ReportLockHolder;
  /** Removes the lock file (only if it is still this process's). */
  release(): Promise<void>;
}

/** The result of `acquireReportLock`. */
export type ReportLockResult =
  | { acquired: true; lock: ReportLock; tookOverFrom: ReportLockHolder | undefined }
  | { acquired: false; path: string; holder: ReportLockHolder | undefined };

/** Options of `acquireReportLock`. */
export interface AcquireReportLockOptions {
  /** The clock stamping the lock and judging its age. Required. */
  clock: Clock;
  /** Age after which any lock is stale, ms. Default: 3,600,000 (one hour). */
  staleAfterMs?: number | undefined;
  /** Whether a process id is alive on this host. Default: `kill(pid, 0)`. */
  isAlive?: ((pid: number) => boolean) | undefined;
  /** This process's id. Default: `Deno.pid`. */
  pid?: number | undefined;
  /** This host's name. Default: the OS host name. */
  hostname?: string | undefined;
}

/**
 * Takes the lock of the output directory `dir` (created if missing), taking over a stale one.
 * Returns the lock, or the holder of a live one.
 */
export async function acquireReportLock(
  dir: string,
  options: AcquireReportLockOptions,
): Promise<ReportLockResult> {
  const path = join(dir, REPORT_LOCK_FILE);
  const staleAfter = options.staleAfterMs ?? 3_600_000;
  const isAlive = options.isAlive ?? _isAlive;
  const host = options.hostname ?? _osHostname();
  const pid = options.pid ?? Deno.pid;
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new DagtradeError(`Cannot create the report directory ${dir}: ${_message(error)}`, {
      cause: error,
    });
  }
  let tookOverFrom: ReportLockHolder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const now = options.clock.now();
    const holder: ReportLockHolder = {
      pid,
      hostname: host,
      started_ms: now,
      started_at: new Date(now).toISOString(),
    };
    try {
      using file = await Deno.open(path, { createNew: true, write: true });
      const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      return { acquired: true, lock: _lock(path, holder), tookOverFrom };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new DagtradeError(`Cannot create the report lock ${path}: ${_message(error)}`, {
          cause: error,
        });
      }
    }
    const current = await _readHolder(path);
    if (current === "gone") continue; // released between our attempt and the read: try again
    let stale: boolean;
    if (current === undefined) {
      const age = await _ageMs(path, now);
      stale = age !== undefined && age > 60_000;
    } else {
      stale = (current.hostname === host && current.pid !== pid && !isAlive(current.pid)) ||
        now - current.started_ms > staleAfter;
    }
    if (!stale || attempt > 0) {
      return { acquired: false, path, holder: current };
    }
    tookOverFrom = current;
    await Deno.remove(path).catch(() => {});
  }
  return { acquired: false, path, holder: undefined };
}

function _lock(path: string, holder: ReportLockHolder): ReportLock {
  let released = false;
  return {
    path,
    holder,
    async release() {
      if (released) return;
      released = true;
      const current = await _readHolder(path);
      if (
        current !== "gone" && current !== undefined && current.pid === holder.pid &&
        current.started_ms === holder.started_ms && current.hostname === holder.hostname
      ) {
        await Deno.remove(path).catch(() => {});
      }
    },
  };
}

async function _readHolder(path: string): Promise<ReportLockHolder | undefined | "gone"> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "gone";
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<ReportLockHolder>;
    if (
      typeof v.pid === "number" && typeof v.hostname === "string" &&
      typeof v.started_ms === "number"
    ) {
      return {
        pid: v.pid,
        hostname: v.hostname,
        started_ms: v.started_ms,
        started_at: typeof v.started_at === "string" ? v.started_at : "",
      };
    }
  } catch {
    // being written, or garbage: judged by the file's age
  }
  return undefined;
}

async function _ageMs(path: string, now: number): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.mtime === null ? undefined : now - info.mtime.getTime();
  } catch {
    return undefined;
  }
}

function _isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
