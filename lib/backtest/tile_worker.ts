/**
 * `runTileWorker`: the child side of `runWorkerPool`. Reads tile ids from `input`, one per
 * line, runs each with the `TileRunner`, and answers each with one JSON line
 * (`{"tile", "rows", "elapsed_ms"}`) through `output`; returns when the input closes. An
 * aborted signal stops it before the next tile (`InterruptedError`).
 */
import { DagtradeError, InterruptedError } from "../errors/mod.ts";
import type { TileRunner } from "./tile_runner.ts";
import type { WorkerTileDone } from "./worker_pool.ts";

/** Options of `runTileWorker`. */
export interface TileWorkerOptions {
  /** Writes one answer line (without its newline). Required. */
  output: (line: string) => void;
  /** Stops the worker before its next tile. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called after each tile (logging). Default: none. */
  onTileDone?: ((done: WorkerTileDone) => void | Promise<void>) | undefined;
}

/** Serves tile ids from `input` until it closes; returns the number of tiles run. */
export async function runTileWorker(
  runner: TileRunner,
  input: ReadableStream<Uint8Array>,
  options: TileWorkerOptions,
): Promise<number> {
  const byId = new Map(runner.plan.tiles.map((t) => [t.id, t]));
  let count = 0;
  let buffer = "";
  const handle = async (line: string) => {
    const id = line.trim();
    if (id === "") return;
    if (options.signal?.aborted) throw new InterruptedError("Interrupted before tile " + id);
    const tile = byId.get(id);
    if (tile === undefined) {
      throw new DagtradeError(
        `Backtest worker: tile '${id}' is not in the plan of ${runner.dstDir}; the parent and the worker disagree`,
      );
    }
    const marker = await runner.run(tile);
    const done: WorkerTileDone = { tile: id, rows: marker.rows, elapsed_ms: marker.elapsedMs };
    count++;
    await options.onTileDone?.(done);
    options.output(JSON.stringify(done));
  };
  for await (const chunk of input.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      await handle(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf("\n");
    }
  }
  await handle(buffer);
  return count;
}
