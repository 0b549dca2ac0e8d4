import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors/mod.ts";
import { parseBacktestConfig, resolveUniverse } from "./backtest_config.ts";

Deno.test("parseBacktestConfig() reads universe, top N, period and inclusive dates", () => {
  assert.deepEqual(parseBacktestConfig("binance_v1-top5.5T.2025-01-01_2025-03-31"), {
    text: "binance_v1-top5.5T.2025-01-01_2025-03-31",
    universe: "binance_v1",
    top: 5,
    period: "5T",
    barMs: 300_000,
    startDate: "2025-01-01",
    endDate: "2025-03-31",
    start: Date.UTC(2025, 0, 1),
    end: Date.UTC(2025, 3, 1),
  });
});

Deno.test("parseBacktestConfig() reads -all, other periods and universe names with '-'", () => {
  const all = parseBacktestConfig("ccxt_v7_4-all.1h.2023-01-01_2023-12-31");
  assert.equal(all.universe, "ccxt_v7_4");
  assert.equal(all.top, "all");
  assert.equal(all.barMs, 3_600_000);
  assert.equal(parseBacktestConfig("my-uni-top2.5m.2025-01-01_2025-01-02").universe, "my-uni");
});

Deno.test("parseBacktestConfig() covers one whole day when start equals end", () => {
  const one = parseBacktestConfig("binance_v1-top1.5T.2024-02-29_2024-02-29");
  assert.equal(one.end - one.start, 86_400_000);
  assert.equal(one.start, Date.UTC(2024, 1, 29));
});

function _rejects(text: string, why: string): void {
  assert.throws(
    () => parseBacktestConfig(text),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message.startsWith(`Cannot parse backtest config '${text}': ${why}`) &&
      e.message.endsWith(
        "; expected <universe>-<top N|all>.<trading period>.<start>_<end>, " +
          "e.g. binance_v1-top5.5T.2025-01-01_2025-03-31",
      ),
  );
}

Deno.test("parseBacktestConfig() names a bad trading period", () => {
  _rejects(
    "binance_v1-top5.5x.2025-01-01_2025-03-31",
    "trading period '5x' is not a bar period (a positive count and a unit: 5T, 5m, 1h, 1d)",
  );
  _rejects("binance_v1-top5.0m.2025-01-01_2025-03-31", "trading period '0m' is not a bar period");
  assert.throws(
    () => parseBacktestConfig("binance_v1-top5.5x.2025-01-01_2025-03-31"),
    (e: unknown) => e instanceof UsageError && e.cause instanceof UsageError,
  );
});

Deno.test("parseBacktestConfig() names a missing part", () => {
  _rejects("binance_v1-top5.2025-01-01_2025-03-31", "missing part: got 2 of the 3 parts");
  _rejects("binance_v1-top5..2025-01-01_2025-03-31", "missing trading period");
  _rejects(".5T.2025-01-01_2025-03-31", "missing universe part");
  _rejects("binance_v1-top5.5T.", "missing interval <start>_<end>");
  _rejects("a-all.5T.2025-01-01_2025-03-31.x", "got 4 parts separated by '.', expected 3");
});

Deno.test("parseBacktestConfig() names a bad universe selection", () => {
  _rejects("binance_v1.5T.2025-01-01_2025-03-31", "universe part 'binance_v1' has no '-top<N>'");
  _rejects("binance_v1-top0.5T.2025-01-01_2025-03-31", "universe selection 'top0': N must be");
  _rejects("binance_v1-best5.5T.2025-01-01_2025-03-31", "universe selection 'best5' is neither");
  _rejects("binance_v1-top.5T.2025-01-01_2025-03-31", "universe selection 'top' is neither");
  _rejects("-top5.5T.2025-01-01_2025-03-31", "universe name '' is not a name");
});

Deno.test("parseBacktestConfig() names a bad interval or date", () => {
  _rejects("binance_v1-top5.5T.2025-01-01", "interval '2025-01-01' is not <start>_<end>");
  _rejects(
    "binance_v1-top5.5T.2025-02-30_2025-03-31",
    "start date '2025-02-30' is not a valid YYYY-MM-DD date",
  );
  _rejects(
    "binance_v1-top5.5T.2025-01-01_2025-3-31",
    "end date '2025-3-31' is not a valid YYYY-MM-DD date",
  );
});

Deno.test("parseBacktestConfig() rejects a start after the end", () => {
  _rejects(
    "binance_v1-top5.5T.2025-03-31_2025-01-01",
    "start date 2025-03-31 is after end date 2025-01-01",
  );
});

Deno.test("resolveUniverse() takes the first N symbols of the repository's binance_v1", async () => {
  const symbols = await resolveUniverse(
    parseBacktestConfig("binance_v1-top3.5T.2025-01-01_2025-03-31"),
  );
  assert.deepEqual(symbols, ["BTC/USDT", "ETH/USDT", "SOL/USDT"]);
  const all = await resolveUniverse(parseBacktestConfig("binance_v1-all.5T.2025-01-01_2025-01-02"));
  assert.equal(all.length, 14);
  assert.equal(all[13], "OP/USDT");
  const v0 = await resolveUniverse(parseBacktestConfig("binance_v0-all.5T.2025-01-01_2025-01-02"));
  assert.deepEqual(v0, all.slice(0, 5));
});

Deno.test("resolveUniverse() rejects top N larger than the universe", async () => {
  await assert.rejects(
    resolveUniverse(parseBacktestConfig("binance_v0-top6.5T.2025-01-01_2025-03-31")),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "Backtest config 'binance_v0-top6.5T.2025-01-01_2025-03-31' asks for the top 6 symbols but universe binance_v0 has only 5; use top5 or all",
  );
});

Deno.test("resolveUniverse() lists the known universes for an unknown one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = { name: "", version: 1, exchange: "binance", description: "d", symbols: ["A/B"] };
    for (const name of ["u_v1", "u_v2"]) {
      await Deno.writeTextFile(join(dir, `${name}.json`), JSON.stringify({ ...file, name }));
    }
    await assert.rejects(
      resolveUniverse(parseBacktestConfig("nope_v1-all.5T.2025-01-01_2025-01-02"), { dir }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          `Unknown universe 'nope_v1' (no nope_v1.json in ${dir}); known universes: u_v1, u_v2`,
    );
    assert.deepEqual(
      await resolveUniverse(parseBacktestConfig("u_v2-top1.5T.2025-01-01_2025-01-02"), { dir }),
      ["A/B"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
