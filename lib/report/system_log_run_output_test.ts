import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { _M5, _T0, _writeSystemLog } from "./_test_system_log.ts";
import { readSystemLogRunOutput } from "./system_log_run_output.ts";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readSystemLogRunOutput() reads metadata, settings, long and wide portfolio files and fills per bar", async () => {
  await inTemp(async (dir) => {
    await _writeSystemLog(dir, { status: "finished" });
    const run = await readSystemLogRunOutput(dir);
    assert.equal(run.kind, "system_log");
    assert.equal(run.barMs, _M5);
    assert.equal(run.metadata["mode"], "simulate");
    assert.equal(run.metadata["status"], "finished");
    assert.equal(run.metadata["fills"], 3);
    assert.equal(run.metadata["last_bar"], "2025-01-06T00:20Z");
    assert.equal(run.researchSettings?.style, "signal");
    assert.equal(run.researchSettings?.fill, "close");
    assert.match(run.configText ?? "", /style: signal/);
    assert.equal((await run.metrics()).height, 4);
    const p = await run.positions();
    assert.ok(p !== undefined);
    const row = (k: number, a: number) =>
      p.filter(
        pl.col("timestamp").cast(pl.Int64).eq(pl.lit(_T0 + k * _M5)).and(
          pl.col("asset_id").eq(pl.lit(a)),
        ),
      ).toRecords()[0] as Record<string, number> & { fill_price: number; fill_fees: number };
    assert.equal(row(2, 2).holdings_shares, 0.3);
    assert.equal(row(2, 2).holdings_notional, 30); // from the wide file
    // The two fills of asset 1 stamped 10 s after bar 1's end belong to bar 1; the fill of
    // asset 2 stamped at bar 2's end to bar 2.
    assert.equal(row(1, 1).fill_shares, 0.5);
    assert.ok(Math.abs(row(1, 1).fill_price - (0.2 * 100 + 0.3 * 101) / 0.5) < 1e-12);
    assert.ok(Math.abs(row(1, 1).fill_fees - 0.03) < 1e-12);
    assert.equal(row(2, 2).fill_shares, 0.3);
    assert.equal(row(3, 2).fill_shares, 0);
    assert.ok(Number.isNaN(row(3, 2).fill_price));
    assert.equal(row(1, 2).target_holdings_shares, 0.3);
    const f = await run.forecasts();
    assert.deepEqual(f?.frame.columns, [
      "timestamp",
      "asset_id",
      "price",
      "volatility",
      "prediction",
    ]);
    assert.equal(run.dataPath, undefined);
  });
});

Deno.test("readSystemLogRunOutput() uses bar_timestamp when the fills have it, and run.json's bar", async () => {
  await inTemp(async (dir) => {
    await _writeSystemLog(dir, { bar_ms: _M5 });
    const fills = join(dir, "process_forecasts", "fills.parquet");
    pl.readParquet(fills).withColumns(
      pl.lit(_T0 + 3 * _M5).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")).alias("bar_timestamp"),
    ).writeParquet(fills);
    const p = await (await readSystemLogRunOutput(dir)).positions();
    const filled = p?.filter(pl.col("fill_shares").neq(pl.lit(0)));
    assert.deepEqual(
      filled?.getColumn("timestamp").cast(pl.Int64).toArray().map(Number),
      [_T0 + 3 * _M5, _T0 + 3 * _M5],
    );
  });
});

Deno.test("readSystemLogRunOutput() refuses a directory without statistics or with a corrupt run.json", async () => {
  await inTemp(async (dir) => {
    await _writeSystemLog(dir);
    await Deno.writeTextFile(join(dir, "run.json"), "{");
    await assert.rejects(
      readSystemLogRunOutput(dir),
      (e: Error) => e instanceof DataError && /run.json: malformed JSON/.test(e.message),
    );
    await Deno.remove(join(dir, "run.json"));
    await Deno.remove(join(dir, "process_forecasts", "portfolio", "statistics.parquet"));
    await assert.rejects(
      readSystemLogRunOutput(dir),
      (e: Error) =>
        e instanceof DataError &&
        /no process_forecasts\/portfolio\/statistics.parquet/.test(e.message),
    );
  });
});
