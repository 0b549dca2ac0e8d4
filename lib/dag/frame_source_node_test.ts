import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError, UsageError } from "../errors/mod.ts";
import { _timestamps } from "./_frame_time.ts";
import { _BAR_MS, _makeBars, _T0 } from "./_test_helpers.ts";
import { FrameSourceNode } from "./frame_source_node.ts";
import { ColumnFrame } from "../frame/mod.ts";

const bar = (k: number) => _T0 + k * _BAR_MS;
const stamps = (df: pl.DataFrame | undefined) => [...new Set(_timestamps(df as pl.DataFrame))];

Deno.test("FrameSourceNode.predict() serves bar ends in (a, b] of each interval", () => {
  const node = new FrameSourceNode("src", { data: _makeBars({ bars: 10 }) });
  node.setPredictIntervals([[bar(2), bar(4)]]);
  assert.deepEqual(stamps(node.predict({})["df_out"]), [bar(3), bar(4)]);
  assert.equal(node.predict({})["df_out"]?.height, 6);
  // Unions, unsorted and overlapping intervals: every bar once, in order.
  node.setPredictIntervals([[bar(7), bar(9)], [bar(0), bar(1)], [bar(8), bar(10)]]);
  assert.deepEqual(stamps(node.predict({})["df_out"]), [bar(1), bar(8), bar(9), bar(10)]);
  // Unbounded and empty intervals.
  node.setPredictIntervals([[-Infinity, bar(1)]]);
  assert.deepEqual(stamps(node.predict({})["df_out"]), [bar(1)]);
  node.setPredictIntervals([[bar(10), Infinity]]);
  assert.equal(node.predict({})["df_out"]?.height, 0);
  assert.deepEqual(node.predict({})["df_out"]?.columns, node.getData().columns);
  node.setPredictIntervals(null);
  assert.equal(node.predict({})["df_out"]?.height, 30);
});

Deno.test("FrameSourceNode.fit() and predict() use their own intervals", () => {
  const node = new FrameSourceNode("src", { data: _makeBars({ bars: 10 }) });
  node.setFitIntervals([[bar(0), bar(5)]]);
  node.setPredictIntervals([[bar(5), bar(6)]]);
  assert.deepEqual(stamps(node.fit({})["df_out"]), [1, 2, 3, 4, 5].map(bar));
  assert.deepEqual(stamps(node.predict({})["df_out"]), [bar(6)]);
  assert.equal(node.getFitState(), null);
});

Deno.test("FrameSourceNode rejects bad data and bad intervals", () => {
  const node = new FrameSourceNode("src");
  assert.throws(() => node.predict({}), /has no data: call setData/);
  assert.throws(
    () => node.setData(pl.DataFrame({ timestamp: [1, 2] })),
    (e: unknown) =>
      e instanceof DataError && /Datetime\(ms, UTC\); got type Float64/.test(e.message),
  );
  assert.throws(() => node.setData(pl.DataFrame({ x: [1] })), /got columns x/);
  const bars = _makeBars({ bars: 3 });
  node.setData(bars.sort("timestamp", true));
  node.setPredictIntervals([[bar(0), bar(2)]]);
  assert.throws(() => node.predict({}), /not sorted by timestamp \(row 3: 2025-01-01T00:10Z after/);
  node.setPredictIntervals([[-Infinity, Infinity]]); // the unbounded interval checks too
  assert.throws(() => node.predict({}), /not sorted by timestamp \(row 3: 2025-01-01T00:10Z after/);
  assert.throws(
    () => node.setFitIntervals([[bar(2), bar(1)]]),
    (e: unknown) =>
      e instanceof UsageError &&
      /bad interval \(2025-01-01T00:10Z, 2025-01-01T00:05Z\]/.test(e.message),
  );
});

Deno.test("FrameSourceNode serves a ColumnFrame by interval as predict() serves Polars", () => {
  const bars = _makeBars({ bars: 10 });
  const polars = new FrameSourceNode("src", { data: bars });
  const columns = new FrameSourceNode("src");
  columns.setData(ColumnFrame.fromPolars(bars));
  for (
    const intervals of [null, [[bar(2), bar(4)]], [[bar(7), bar(9)], [bar(0), bar(1)]], [[
      bar(10),
      Infinity,
    ]]] as const
  ) {
    const list = intervals === null ? null : intervals.map(([a, b]) => [a, b] as const);
    polars.setPredictIntervals(list);
    columns.setPredictIntervals(list);
    const expected = polars.predict({})["df_out"] as pl.DataFrame;
    const got = columns.predictColumns({})["df_out"] as ColumnFrame;
    assert.ok(got.toPolars().frameEqual(expected, true), JSON.stringify(intervals));
    // The Polars node's columnar path agrees too.
    assert.ok(
      (polars.predictColumns({})["df_out"] as ColumnFrame).toPolars().frameEqual(expected, true),
    );
  }
  assert.ok(columns.getData().frameEqual(bars, true));
  assert.throws(
    () => columns.setData(ColumnFrame.fromPolars(bars).select(["asset_id"])),
    /needs a 'timestamp' time column/,
  );
});
