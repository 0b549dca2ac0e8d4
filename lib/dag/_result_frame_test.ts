import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { _resultFrame } from "./_result_frame.ts";

function _frame(n: number, swap: number | undefined): pl.DataFrame {
  // Two assets per bar, sorted by (timestamp, asset_id) unless rows `swap` and `swap + 1` trade places.
  const t0 = Date.UTC(2025, 0, 1);
  const rows = Array.from({ length: n }, (_, i) => i);
  if (swap !== undefined) {
    [rows[swap], rows[swap + 1]] = [rows[swap + 1] as number, rows[swap] as number];
  }
  return pl.DataFrame([
    pl.Series("timestamp", Float64Array.from(rows, (i) => t0 + Math.floor(i / 2) * 300_000))
      .cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
    pl.Series("asset_id", Float64Array.from(rows, (i) => i % 2 === 0 ? 5 : 9)).cast(pl.Int64),
    pl.Series("x", Float64Array.from(rows)),
  ]);
}

Deno.test("_resultFrame() keeps sorted frames and sorts the others, small or large", () => {
  for (const n of [1_000, 100_000]) {
    const sorted = _frame(n, undefined);
    assert.equal(_resultFrame(sorted, "test"), sorted, `n=${n}: sorted frame returned as is`);
    for (const swap of [0, n - 2, Math.floor(n / 3) * 2, Math.floor(n / 3) * 2 + 1]) {
      const out = _resultFrame(_frame(n, swap), "test");
      assert.deepEqual(
        out.getColumn("x").toArray(),
        sorted.getColumn("x").toArray(),
        `n=${n} swap=${swap}`,
      );
    }
  }
});
