import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { _M5, _T0, _writeSystemLog } from "./_test_system_log.ts";
import { readRunOutput } from "./read_run_output.ts";
import { loadRunBars, recomputeResearchPortfolio } from "./research_portfolio.ts";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function bars(ks: number[], ids: number[], close: number): pl.DataFrame {
  const rows = ks.flatMap((k) => ids.map((id) => [k, id] as const));
  return pl.DataFrame([
    pl.Series("timestamp", rows.map(([k]) => _T0 + k * _M5)).cast(pl.Int64).cast(
      pl.Datetime("ms", "UTC"),
    ),
    pl.Series("asset_id", rows.map(([, id]) => id)).cast(pl.Int64),
    ...["open", "high", "low", "close"].map((c) => pl.Series(c, rows.map(() => close))),
    pl.Series("volume", rows.map(() => 1)),
  ]);
}

Deno.test("loadRunBars() reads loose Parquet files, a later row replacing an earlier one, in (start, end]", async () => {
  await inTemp(async (dir) => {
    await Deno.mkdir(join(dir, "md", "b"), { recursive: true });
    bars([0, 1, 2], [1, 2, 3], 100).writeParquet(join(dir, "md", "a.parquet"));
    bars([2, 3], [1, 2, 3], 101).writeParquet(join(dir, "md", "b", "c.parquet"));
    const got = await loadRunBars(join(dir, "md"), {
      start: _T0,
      end: _T0 + 3 * _M5,
      assetIds: [2, 1],
    });
    assert.equal(got.height, 6);
    assert.deepEqual(got.getColumn("asset_id").toArray().map(Number), [1, 2, 1, 2, 1, 2]);
    assert.deepEqual(got.getColumn("close").toArray(), [100, 100, 101, 101, 101, 101]);
    await assert.rejects(
      loadRunBars(join(dir, "none"), { start: 0, end: 1 }),
      (e: Error) => e instanceof DataError && /pass --data/.test(e.message),
    );
  });
});

Deno.test("recomputeResearchPortfolio() evaluates the run's forecasts on its bars, or says what is missing", async () => {
  await inTemp(async (dir) => {
    await _writeSystemLog(dir);
    const run = await readRunOutput(dir);
    await assert.rejects(
      recomputeResearchPortfolio(run),
      (e: Error) => e instanceof DataError && /names no bars; pass --data/.test(e.message),
    );
    const research = await recomputeResearchPortfolio(run, {
      bars: bars([0, 1, 2, 3], [1, 2], 100),
    });
    assert.equal(research.metrics.height, 4);
    assert.ok(research.positions?.columns.includes("fill_price"));
    // signal / equity / close at a constant price: the book is bought at bar 0 (prediction 1 of
    // asset 1) and rebalanced at bar 1 (asset 2 joins); nothing moves the price, so PnL is 0.
    assert.deepEqual(research.metrics.getColumn("pnl").toArray(), [0, 0, 0, 0]);
    const gross = research.metrics.getColumn("gross_volume").toArray() as number[];
    assert.ok(gross[0]! > 0 && gross[1]! > 0, `gross volume ${gross}`);
  });
});
