import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError } from "../../errors/mod.ts";
import { type Column, ColumnFrame } from "../../frame/mod.ts";
import { _layout } from "./_columns.ts";
import { _laggedRows } from "./_frame.ts";
import { _ASSETS, _bars, _col, _FIVE_MIN, _T0 } from "./_test_utils.ts";

function _naiveOrder(df: pl.DataFrame): number[] {
  const ids = _col(df, "asset_id") as number[];
  const firstSeen = [...new Set(ids)];
  return firstSeen.flatMap((id) => ids.flatMap((a, i) => a === id ? [i] : []));
}

Deno.test("_layout() finds regular frames and groups rows like the general path; _laggedRows() lags and leads", () => {
  const regular = _bars(30, 7, { regular: true });
  const irregular = _bars(30);
  const r = _layout("n", ColumnFrame.fromPolars(regular));
  const g = _layout("n", ColumnFrame.fromPolars(irregular));
  assert.equal(r.stride, _ASSETS.length);
  assert.equal(g.stride, 0);
  for (const [df, layout] of [[regular, r], [irregular, g]] as const) {
    assert.deepEqual([...layout.order], _naiveOrder(df));
    assert.equal(layout.offsets[layout.offsets.length - 1], df.height);
    const prev = _laggedRows(layout, 1);
    const next = _laggedRows(layout, -1);
    const ids = _col(df, "asset_id");
    for (let i = 0; i < df.height; i++) {
      const j = prev[i] as number;
      const expected = ids.slice(0, i).lastIndexOf(ids[i] as number);
      assert.equal(j, expected, `row ${i}`);
      const after = ids.indexOf(ids[i] as number, i + 1);
      assert.equal(next[i], after, `row ${i}: next`);
    }
  }
  // A frame that starts mid-cycle and ends mid-cycle is regular too.
  const tail = ColumnFrame.fromPolars(regular.slice(2, 40));
  assert.equal(_layout("n", tail).stride, _ASSETS.length);
  // The layout is cached in the key cache and shared by frames derived with new columns.
  const derived = tail.with([["x", { kind: "f64", values: new Float64Array(tail.height) }]]);
  assert.equal(_layout("n", derived), _layout("n", tail));
});

Deno.test("_layout() checks large frames too and names the row out of order", () => {
  const n = 70_000;
  const ts = Float64Array.from({ length: n }, (_, i) => _T0 + (Math.floor(i / 2) + 1) * _FIVE_MIN);
  const ids = Float64Array.from({ length: n }, (_, i) => i % 2 === 0 ? 7 : 3);
  const frame = (t: Float64Array) =>
    pl.DataFrame([
      pl.Series("timestamp", t).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
      pl.Series("asset_id", ids).cast(pl.Int64),
    ]);
  const layout = _layout("n", ColumnFrame.fromPolars(frame(ts)));
  assert.equal(layout.stride, 2);
  assert.deepEqual([...layout.offsets], [0, n / 2, n]);
  const bad = ts.slice();
  bad[60_001] = bad[59_999] as number; // asset 3 repeats a timestamp
  assert.throws(() => _layout("n", ColumnFrame.fromPolars(frame(bad))), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /Node n: input frame row 60001 .* not after the asset's previous row/);
    return true;
  });
});

Deno.test("_layout() rejects a null key in the first cycle, later in a regular frame, and in a general one", () => {
  const regular = ColumnFrame.fromPolars(_bars(30, 7, { regular: true }));
  const irregular = ColumnFrame.fromPolars(_bars(30));
  const cases: [string, ColumnFrame, "timestamp" | "asset_id", number][] = [
    ["one timestamp (a single cycle)", regular.slice(0, 3), "timestamp", 1],
    ["regular, first cycle", regular, "asset_id", 1],
    ["regular, later row", regular, "timestamp", 50],
    ["regular, last row", regular, "asset_id", regular.height - 1],
    ["general", irregular, "timestamp", 40],
  ];
  for (const [what, frame, col, row] of cases) {
    const values = frame.values(col).slice();
    values[row] = Number.NaN;
    const holed = frame.with([[col, { kind: frame.column(col).kind, values } as Column]]);
    assert.throws(() => _layout("n", holed), (e: unknown) => {
      assert.ok(e instanceof DataError, what);
      assert.match(e.message, /Node n: null timestamp or asset_id in its input frame/, what);
      return true;
    });
  }
});
