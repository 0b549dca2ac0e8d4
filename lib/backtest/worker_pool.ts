/**
 * `runWorkerPool`: local parallelism over tiles (`--workers N`) with N child processes — safer
 * than Web Workers with the native Polars addon, and each child's memory is its own. The
 * parent hands out tile ids one at a time over each child's stdin (one id per line, so a slow
 * tile never holds back the others) and closes it when no tile is left; a child answers each
 * finished tile with one JSON line on stdout (`runTileWorker`). Children's stderr lines are
 * passed on. A failed child stops the hand-out; the pool then fails with its exit code.
 */
import { DagtradeError, InterruptedError } from "../errors/mod.ts";

/** The command line of worker `index` (0-based). */
export interface WorkerCommand {
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
}

/** What a worker reports for a finished tile. */
export interface WorkerTileDone {
  /** The tile id. */
  tile: string;
  /** Rows written. */
  rows: number;
  /** Time the tile took, ms. */
  elapsed_ms: number;
}

/** Options of `runWorkerPool`. */
export interface WorkerPoolOptions {
  /** Number of child processes (at most one per tile). Required. */
  workers: number;
  /** The command line of worker `index`. Required. */
  command: (index: number) => WorkerCommand;
  /** Called for every finished tile. Default: none. */
  onTileDone?: ((done: WorkerTileDone, worker: number) => void) | undefined;
  /** Called with every stderr line of a worker. Default: dropped. */
  onStderr?: ((line: string, worker: number) => void) | undefined;
  /** Aborting it stops the hand-out and sends SIGTERM to the children. Default: none. */
  signal?: AbortSignal | undefined;
}

/** A worker process failed; the exit code is the worker's. */
export class WorkerFailedError extends DagtradeError {
  /** The worker's exit code (2 for bad input, 1 for a failure, ...). */
  override readonly exitCode: number;
  /** Creates the error with the failed worker's exit code. */
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

const _encoder = new TextEncoder();

/** Runs `tileIds` in a pool of worker processes; resolves when all are done. */
export async function runWorkerPool(
  tileIds: readonly string[],
  options: WorkerPoolOptions,
): Promise<void> {
  const queue = [...tileIds];
  const n = Math.max(1, Math.min(options.workers, queue.length));
  const failures: { worker: number; code: number; lastLines: string[] }[] = [];
  let stopped = false;
  const children: Deno.ChildProcess[] = [];
  const writers: WritableStreamDefaultWriter<Uint8Array>[] = [];

  const closeInput = async (w: number) => {
    await (writers[w] as WritableStreamDefaultWriter<Uint8Array>).close().catch(() => {});
  };
  const feed = async (w: number) => {
    const next = stopped ? undefined : queue.shift();
    if (next === undefined) await closeInput(w);
    else {
      await (writers[w] as WritableStreamDefaultWriter<Uint8Array>).write(
        _encoder.encode(next + "\n"),
      )
        .catch(() => {});
    }
  };
  const onAbort = () => {
    stopped = true;
    for (let w = 0; w < children.length; w++) {
      void closeInput(w);
      try {
        (children[w] as Deno.ChildProcess).kill("SIGTERM");
      } catch {
        // already exited
      }
    }
  };

  for (let w = 0; w < n; w++) {
    const { command, args } = options.command(w);
    const child = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.push(child);
    writers.push(child.stdin.getWriter());
  }
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const runs = children.map(async (child, w) => {
      const lastLines: string[] = [];
      const stderr = _lines(child.stderr, (line) => {
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
        options.onStderr?.(line, w);
      });
      await feed(w);
      const stdout = _lines(child.stdout, async (line) => {
        let done: WorkerTileDone;
        try {
          done = JSON.parse(line) as WorkerTileDone;
        } catch {
          options.onStderr?.(line, w);
          return;
        }
        options.onTileDone?.(done, w);
        await feed(w);
      });
      const status = await child.status;
      await Promise.all([stdout, stderr]);
      await closeInput(w);
      if (!status.success) {
        failures.push({ worker: w, code: status.code, lastLines });
        // Stop handing out tiles; the others finish the tile in flight and exit.
        stopped = true;
        for (let o = 0; o < children.length; o++) if (o !== w) void closeInput(o);
      }
    });
    await Promise.all(runs);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  if (options.signal?.aborted) {
    throw new InterruptedError(`Interrupted: the workers stopped after their tiles in flight`);
  }
  if (failures.length > 0) {
    const first = failures.sort((a, b) => a.worker - b.worker)[0] as (typeof failures)[number];
    const error = first.lastLines.filter((l) => l.startsWith("error:")).pop() ??
      first.lastLines[first.lastLines.length - 1] ?? "(no output)";
    throw new WorkerFailedError(
      `Backtest worker ${first.worker + 1}/${n} failed (exit ${first.code}): ${
        error.replace(/^error: /, "")
      }`,
      first.code === 0 ? 1 : first.code,
    );
  }
}

async function _lines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== "") await onLine(line);
      nl = buffer.indexOf("\n");
    }
  }
  if (buffer.trim() !== "") await onLine(buffer);
}
