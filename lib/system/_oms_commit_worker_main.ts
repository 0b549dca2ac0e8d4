/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The worker thread of `OmsCommitWorker`: opens its own connection to the OMS database and
 * writes the batches it is sent (`commitOmsBatch`), one at a time, in the order received,
 * answering each message with `{ id, ok: true }` or `{ id, ok: false, message }`.
 *
 * Messages: `{ kind: "open", id, spec, runDir }` (first), `{ kind: "commit", id, batch }`
 * (`batch` as `encodeOmsCommitBatch` encodes it), `{ kind: "close", id }` (last: closes the
 * connection).
 */
// Only what the thread needs (not `../oms/db/mod.ts`, whose graph loads Polars and ccxt).
import type { OmsDatabase } from "../oms/db/oms_database.ts";
import { openOmsDatabase } from "../oms/db/open_oms_database.ts";
import { commitOmsBatch } from "./oms_commit_batch.ts";
import { decodeOmsCommitBatch, type EncodedOmsCommitBatch } from "./oms_commit_codec.ts";

/** A request from `OmsCommitWorker`. */
type _Request =
  | { kind: "open"; id: number; spec: string | undefined; runDir: string | undefined }
  | { kind: "commit"; id: number; batch: EncodedOmsCommitBatch }
  | { kind: "close"; id: number };

let _db: OmsDatabase | undefined;
let _queue: Promise<void> = Promise.resolve();

async function _handle(request: _Request): Promise<void> {
  switch (request.kind) {
    case "open":
      _db = await openOmsDatabase(
        request.spec,
        request.runDir === undefined ? {} : { runDir: request.runDir },
      );
      return;
    case "commit":
      if (_db === undefined) throw new Error("the OMS commit worker has no open database");
      await commitOmsBatch(_db, decodeOmsCommitBatch(request.batch));
      return;
    case "close": {
      const db = _db;
      _db = undefined;
      await db?.close();
      return;
    }
  }
}

self.onmessage = (event: MessageEvent<_Request>) => {
  const request = event.data;
  _queue = _queue.then(async () => {
    try {
      await _handle(request);
      self.postMessage({ id: request.id, ok: true });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      self.postMessage({ id: request.id, ok: false, message });
    }
  });
};
