/**
 * `acquireRunLock`: one process per production run. Two processes trading the same run would
 * share its client order ids and order ids, so a run directory is locked while a session runs:
 * `<runDir>/.run.lock`, created atomically (O_EXCL), holding the owner's pid, host and start.
 *
 * A lock left by a process that died (a `kill -9`, a crash) is taken over when its owner was on
 * this host and is no longer alive; a lock held by a live process, or by another host, is
 * refused with its holder (remove the file by hand when that host is known to be down).
 */
import { hostname as _osHostname } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { UsageError } from "../errors/mod.ts";

/** The lock file's name inside the run directory. */
export const RUN_LOCK_FILE = ".run.lock";

/** Who holds a run's lock. */
export interface RunLockHolder {
  /** Process id. */
  pid: number;
  /** Host name. */
  hostname: string;
  /** When it took the lock (ISO). */
  started_at: string;
}

/** A held lock. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** The holder a stale lock was taken over from, if any. */
  readonly tookOverFrom: RunLockHolder | undefined;
  /** Removes the lock file (only while it is still this process's). */
  release(): Promise<void>;
}

/** Options of `acquireRunLock`. */
export interface AcquireRunLockOptions {
  /** The start time written into the lock, epoch ms. Required. */
  now: number;
  /** Whether a pid is alive on this host. Default: `kill(pid, 0)`. */
  isAlive?: ((pid: number) => boolean) | undefined;
  /** This process's id. Default: `Deno.pid`. */
  pid?: number | undefined;
  /** This host. Default: the OS host name. */
  hostname?: string | undefined;
}

/**
 * Takes the lock of run directory `dir` (which must exist), taking over a dead local owner's.
 * Throws `UsageError` (exit 2) when a live process or another host holds it.
 */
export async function acquireRunLock(
  dir: string,
  options: AcquireRunLockOptions,
): Promise<RunLock> {
  const path = join(dir, RUN_LOCK_FILE);
  const holder: RunLockHolder = {
    pid: options.pid ?? Deno.pid,
    hostname: options.hostname ?? _osHostname(),
    started_at: new Date(options.now).toISOString(),
  };
  const isAlive = options.isAlive ?? _isAlive;
  let tookOverFrom: RunLockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(holder) + "\n", { createNew: true });
      const text = JSON.stringify(holder) + "\n";
      return {
        path,
        tookOverFrom,
        release: async () => {
          const now = await Deno.readTextFile(path).catch(() => "");
          if (now === text) await Deno.remove(path).catch(() => {});
        },
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new UsageError(`Cannot lock the run directory ${dir}: ${_message(error)}`, {
          cause: error,
        });
      }
    }
    const other = await _read(path);
    if (other !== undefined) {
      const local = other.hostname === holder.hostname;
      if (!local || isAlive(other.pid)) {
        throw new UsageError(
          `The run in ${dir} is being run by pid ${other.pid} on ${other.hostname} (since ` +
            `${other.started_at}); one process per run. If that process is gone, remove ${path}`,
        );
      }
      tookOverFrom = other;
    }
    await Deno.remove(path).catch(() => {});
  }
  throw new UsageError(`Cannot lock the run directory ${dir}: another process keeps taking it`);
}

async function _read(path: string): Promise<RunLockHolder | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path)) as Partial<RunLockHolder>;
    if (typeof v.pid === "number" && typeof v.hostname === "string") {
      return { pid: v.pid, hostname: v.hostname, started_at: String(v.started_at) };
    }
  } catch {
    // Unreadable: a lock written by a process killed mid-write.
  }
  return undefined;
}

function _isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
