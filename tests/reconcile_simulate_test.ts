import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { FIXTURE_SNAPSHOT, runCli } from "./_cli.ts";

const COMMON = [
  "--dag",
  "sma_cross",
  "--data",
  FIXTURE_SNAPSHOT,
  "--start",
  "2025-01-08",
  "--end",
  "2025-01-10",
  "--symbols",
  "BTC/USDT,ETH/USDT",
  "--style",
  "signal",
  "--sizing",
  "gmv",
  "--fill",
  "next_open",
  "--fee-bps",
  "5",
  "--quiet",
];

Deno.test("report reconciles real simulate output with its backtest: zero differences, then finds an altered fill", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bt = join(dir, "bt");
    const sim = join(dir, "sim");
    const b = await runCli(["backtest", ...COMMON, "--dst-dir", bt]);
    assert.equal(b.code, 0, b.stderr);
    const s = await runCli(["simulate", ...COMMON, "--dst-dir", sim]);
    assert.equal(s.code, 0, s.stderr);

    const ok = await runCli([
      "report",
      "--run",
      sim,
      "--research",
      bt,
      "--threshold",
      "1e-9",
      "--no-png",
      "--json",
      "--out",
      join(dir, "r1"),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const rec = JSON.parse(await Deno.readTextFile(join(dir, "r1", "reconciliation.json")));
    const text = JSON.stringify(rec);
    assert.match(text, /"differences":0/);
    assert.ok(!/"differences":[1-9]/.test(text), "no differences at parity");
    assert.match(text, /"name":"targets"/, "targets were compared (gmv sizing)");

    // Alter one fill's price in the simulation's log: the report must find that bar.
    const fillsPath = join(sim, "process_forecasts", "fills.parquet");
    const fills = pl.readParquet(fillsPath);
    const k = Math.floor(fills.height / 2);
    const price = fills.getColumn("price").toArray() as number[];
    price[k] = (price[k] as number) * 1.001;
    const barTs =
      (fills.getColumn("bar_timestamp").cast(pl.Float64).toTypedArray() as Float64Array)[
        k
      ] as number;
    const assetId = Number(fills.getColumn("asset_id").toArray()[k]);
    fills.withColumns(pl.Series("price", price)).writeParquet(fillsPath);
    const bad = await runCli([
      "report",
      "--run",
      sim,
      "--research",
      bt,
      "--threshold",
      "1e-9",
      "--no-png",
      "--out",
      join(dir, "r2"),
    ]);
    assert.equal(bad.code, 1, bad.stderr);
    const rec2 = JSON.parse(await Deno.readTextFile(join(dir, "r2", "reconciliation.json")));
    const firsts = JSON.stringify(rec2);
    assert.match(firsts, /fill price/);
    const iso = new Date(barTs).toISOString();
    assert.ok(
      firsts.includes(iso.slice(0, 16)) || firsts.includes(String(barTs)),
      `the first difference is at the altered bar ${iso}`,
    );
    assert.ok(firsts.includes(String(assetId)), "names the altered asset");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
