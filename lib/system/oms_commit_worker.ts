/**
 * `OmsCommitWorker`: writes `OmsRecorder` commits (`OmsCommitBatch`) on a worker thread with
 * its own connection to the OMS database (the spec `openOmsDatabase` takes: SQLite or
 * PostgreSQL), so that the statements of a commit — most of the cost of recording a bar —
 * run on another core while the system loop goes on with the next bars.
 *
 * Commits run one at a time in the order `commit` is called (each in one transaction, by
 * `commitOmsBatch`, as an inline commit); `commit` copies the batch at once, in the compact
 * form of `encodeOmsCommitBatch` (the caller may change its objects afterwards), and resolves
 * when the transaction is committed. A failed commit rejects with an `OmsDatabaseError`
 * carrying the worker's message; when the thread itself fails, every pending and later commit
 * rejects. `close()` closes the connection and ends the thread. (`deno compile` must embed the
 * thread's module: `--include lib/system/_oms_commit_worker_main.ts`.)
 */
import { OmsDatabaseError, type OmsDatabaseSpecOptions } from "../oms/db/mod.ts";
import type { OmsCommitBatch } from "./oms_commit_batch.ts";
import { type EncodedOmsCommitBatch, encodeOmsCommitBatch } from "./oms_commit_codec.ts";

/** A reply of the worker thread (`_oms_commit_worker_main.ts`). */
interface _Reply {
  id: number;
  ok: boolean;
  message?: string;
}

interface _Waiting {
  what: string;
  resolve(): void;
  reject(error: Error): void;
}

/** A worker thread that commits `OmsCommitBatch`es (see the module documentation). */
export class OmsCommitWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, _Waiting>();
  #nextId = 0;
  #failure: Error | undefined;
  #closed = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<_Reply>) => this.#reply(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new OmsDatabaseError(`OMS commit worker failed: ${event.message}`));
    };
    worker.onmessageerror = () => {
      this.#fail(new OmsDatabaseError("OMS commit worker: a message could not be read"));
    };
  }

  /**
   * Starts the thread and opens the database `spec` names there (`openOmsDatabase(spec,
   * options)`); throws `OmsDatabaseError` (and ends the thread) when it cannot be opened.
   */
  static async open(
    spec: string | undefined,
    options: OmsDatabaseSpecOptions = {},
  ): Promise<OmsCommitWorker> {
    const worker = new Worker(new URL("./_oms_commit_worker_main.ts", import.meta.url).href, {
      type: "module",
    });
    const self = new OmsCommitWorker(worker);
    try {
      await self.#send("open the OMS database", { kind: "open", spec, runDir: options.runDir });
    } catch (error) {
      self.#closed = true;
      worker.terminate();
      throw error;
    }
    return self;
  }

  /**
   * Commits `batch` (or a batch an `OmsCommitEncoder` encoded, which is handed over: do not
   * use it again) on the thread, after the commits sent before; see the module documentation.
   */
  commit(batch: OmsCommitBatch | EncodedOmsCommitBatch): Promise<void> {
    if (this.#closed) return Promise.reject(new OmsDatabaseError("OMS commit worker is closed"));
    const encoded = "numbers" in batch ? batch : encodeOmsCommitBatch(batch);
    return this.#send("commit", { kind: "commit", batch: encoded }, [encoded.numbers.buffer]);
  }

  /** Waits for the pending commits, closes the thread's connection and ends it (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#failure === undefined) {
        await this.#send("close the OMS database", { kind: "close" });
      }
    } finally {
      this.#worker.terminate();
      this.#fail(new OmsDatabaseError("OMS commit worker is closed"));
    }
  }

  #send(
    what: string,
    message: Record<string, unknown>,
    transfer: Transferable[] = [],
  ): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { what, resolve, reject });
      try {
        this.#worker.postMessage({ ...message, id }, transfer);
      } catch (error) {
        this.#waiting.delete(id);
        reject(
          new OmsDatabaseError(`OMS commit worker: cannot send the ${what} request: ${error}`, {
            cause: error,
          }),
        );
      }
    });
  }

  #reply(reply: _Reply): void {
    const waiting = this.#waiting.get(reply.id);
    if (waiting === undefined) return;
    this.#waiting.delete(reply.id);
    if (reply.ok) {
      waiting.resolve();
      return;
    }
    waiting.reject(
      new OmsDatabaseError(reply.message ?? `OMS commit worker: ${waiting.what} failed`),
    );
  }

  /** Rejects every pending request and every later one with `error`. */
  #fail(error: Error): void {
    this.#failure ??= error;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(this.#failure);
  }
}
