/**
 * Private test helpers of the node library's `ColumnFrame` paths: the column path against the
 * Polars path, and tail slices of a column frame against the whole frame (what tiled,
 * incremental and vectorized runs rely on).
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ColumnFrame, stringAt } from "../../frame/mod.ts";
import type { ColumnFrames, Node } from "../node.ts";
import { _assertFramesEqual } from "./_test_utils.ts";

/** A node with the column path (`predictColumns`), e.g. any `TransformNode`. */
type _ColumnNode = Node & { predictColumns(inputs: ColumnFrames): ColumnFrames };

function _out<T>(id: string, frames: Record<string, T>): T {
  const out = frames["df_out"];
  assert.ok(out !== undefined, `node ${id} returned no df_out`);
  return out;
}

/**
 * `predictColumns` on `df` read as a `ColumnFrame` equals `predict` on the Polars frame, bit
 * for bit, with the same columns, order and Polars types.
 */
export function _assertColumnsLikePolars(node: _ColumnNode, df: pl.DataFrame, what: string): void {
  const viaPolars = _out(node.id, node.predict({ df_in: df }));
  const viaColumns = _out(node.id, node.predictColumns({ df_in: ColumnFrame.fromPolars(df) }));
  const back = viaColumns.toPolars();
  assert.deepEqual(back.dtypes.map(String), viaPolars.dtypes.map(String), `${what}: types`);
  _assertFramesEqual(back, viaPolars, `${what}: predictColumns vs predict`);
}

/**
 * Tail slices: for several start rows (some inside a timestamp), `predictColumns` on
 * `frame.slice(start, …)` equals the whole frame's output, bit for bit in every column, on the
 * rows with complete history: at least `lookback` rows of their asset in the slice and, when
 * `options.crossSectional`, every row of their timestamp in the slice. Asserts that some rows
 * were compared and returns their number.
 */
export function _assertTailSlicesAgree(
  node: _ColumnNode,
  frame: ColumnFrame,
  lookback: number,
  what: string,
  options: { crossSectional?: boolean } = {},
): number {
  const full = _out(node.id, node.predictColumns({ df_in: frame }));
  const n = frame.height;
  const ts = frame.values("timestamp");
  const ids = frame.values("asset_id");
  let compared = 0;
  for (const start of [1, Math.floor(n / 5), Math.floor(n / 3) + 1, Math.floor(n / 2), n - 7]) {
    if (start <= 0 || start >= n) continue;
    const part = _out(node.id, node.predictColumns({ df_in: frame.slice(start, n - start) }));
    assert.deepEqual(part.columns, full.columns, `${what}: slice from ${start}: columns`);
    const partial = ts[start - 1] === ts[start]; // the slice cuts its first timestamp
    const seen = new Map<number, number>();
    for (let i = start; i < n; i++) {
      const id = ids[i] as number;
      const k = (seen.get(id) ?? 0) + 1;
      seen.set(id, k);
      if (k < lookback) continue;
      if (options.crossSectional && partial && ts[i] === ts[start]) continue;
      compared++;
      for (const name of full.columns) {
        const pc = part.column(name);
        const fc = full.column(name);
        const a = pc.kind === "str" ? stringAt(pc, i - start) : pc.values[i - start];
        const b = fc.kind === "str" ? stringAt(fc, i) : fc.values[i];
        if (!Object.is(a, b)) {
          assert.fail(`${what}: slice from row ${start}: column '${name}' row ${i}: ${a} !== ${b}`);
        }
      }
    }
  }
  assert.ok(compared > 0, `${what}: no row with complete history in any slice`);
  return compared;
}

/** `df` with every NaN of its Float64 columns as null (how a `ColumnFrame` reads it). */
export function _nanAsNull(df: pl.DataFrame): pl.DataFrame {
  return df.withColumns(
    ...df.columns.filter((c) => df.getColumn(c).dtype.equals(pl.Float64)).map((c) =>
      pl.col(c).fillNan(null)
    ),
  );
}
