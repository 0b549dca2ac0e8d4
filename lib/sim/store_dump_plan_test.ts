import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { _filterBars } from "./_bars_frame.ts";
import { _makeBars } from "./_test_bars.ts";
import { writeStore } from "./store.ts";
import { monthShares, planStoreDump } from "./store_dump_plan.ts";

const BAR = 300_000;
const BTC = "binance::BTC_USDT";
const ETH = "binance::ETH_USDT";
const JAN1 = Date.UTC(2025, 0, 1);
const FEB1 = Date.UTC(2025, 1, 1);
const MAR1 = Date.UTC(2025, 2, 1);
const APR1 = Date.UTC(2025, 3, 1);

Deno.test("monthShares() splits a range of bar ends by the UTC month of the bar end", () => {
  assert.deepEqual(monthShares({ start: Date.UTC(2025, 0, 20), end: Date.UTC(2025, 2, 3) }), [
    { year: 2025, month: 1, share: { start: Date.UTC(2025, 0, 20), end: FEB1 - 1 } },
    { year: 2025, month: 2, share: { start: FEB1 - 1, end: MAR1 - 1 } },
    { year: 2025, month: 3, share: { start: MAR1 - 1, end: Date.UTC(2025, 2, 3) } },
  ]);
  // A range ending at a month's first instant holds one bar of that month.
  assert.deepEqual(monthShares({ start: JAN1, end: FEB1 }).map((m) => m.month), [1, 2]);
  // A range starting at a month's first instant does not hold that instant.
  assert.deepEqual(monthShares({ start: FEB1, end: FEB1 + BAR }).map((m) => m.month), [2]);
  assert.deepEqual(
    monthShares({ start: Date.UTC(2024, 11, 31), end: Date.UTC(2025, 0, 2) }).map((m) => [
      m.year,
      m.month,
    ]),
    [[2024, 12], [2025, 1]],
  );
  assert.deepEqual(monthShares({ start: JAN1, end: JAN1 }), []);
});

Deno.test("planStoreDump() of a missing store fetches everything, one window per symbol", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const range = { start: Date.UTC(2025, 0, 20), end: Date.UTC(2025, 2, 3) };
    const plan = await planStoreDump(join(dir, "store"), {
      fullSymbols: [ETH, BTC],
      range,
      barMs: BAR,
    });
    assert.deepEqual(plan.windows, [
      { fullSymbol: ETH, ...range },
      { fullSymbol: BTC, ...range },
    ]);
    assert.equal(plan.months.length, 6);
    assert.ok(plan.months.every((m) => m.status === "missing" && m.rows === 0));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planStoreDump() skips complete months and fetches the edges of partial ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // BTC: all of January and February up to Feb 10 (bar ends); ETH: February from Feb 5 on.
    const btc = _makeBars({
      symbols: [BTC],
      firstEnd: JAN1 + BAR,
      bars: (FEB1 - JAN1) / BAR + 9 * 288,
    });
    const eth = _makeBars({ symbols: [ETH], firstEnd: Date.UTC(2025, 1, 5) + BAR, bars: 2000 });
    await writeStore(pl.concat([btc, _filterBars(eth, { end: MAR1 - BAR })]), dir, {
      timeframe: "5m",
    });
    const range = { start: Date.UTC(2025, 0, 10), end: APR1 };
    const plan = await planStoreDump(dir, { fullSymbols: [BTC, ETH], range, barMs: BAR });
    const lastBtc = JAN1 + ((FEB1 - JAN1) / BAR + 9 * 288) * BAR;
    assert.deepEqual(
      plan.months.map((m) => [m.fullSymbol, m.month, m.status]),
      [
        [BTC, 1, "complete"],
        [BTC, 2, "partial"],
        [BTC, 3, "missing"],
        [BTC, 4, "missing"],
        [ETH, 1, "missing"],
        [ETH, 2, "partial"],
        [ETH, 3, "missing"],
        [ETH, 4, "missing"],
      ],
    );
    assert.equal(plan.months[0]?.rows, (FEB1 - 1 - range.start) / BAR | 0);
    assert.deepEqual(plan.windows, [
      // BTC resumes after its last bar end, through March and April's first bar.
      { fullSymbol: BTC, start: lastBtc, end: APR1 },
      // ETH: January and February up to its first bar's start, then after its last bar.
      { fullSymbol: ETH, start: range.start, end: Date.UTC(2025, 1, 5) },
      { fullSymbol: ETH, start: Date.UTC(2025, 1, 5) + 2000 * BAR, end: APR1 },
    ]);
    // The whole range again, now fully present for BTC up to its last bar: nothing before it.
    const again = await planStoreDump(dir, {
      fullSymbols: [BTC],
      range: { start: JAN1, end: lastBtc },
      barMs: BAR,
    });
    assert.deepEqual(again.windows, []);
    assert.deepEqual(again.months.map((m) => m.status), ["complete", "complete"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planStoreDump() refuses a store of another timeframe", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeStore(_makeBars({ barMs: 3_600_000, firstEnd: JAN1 + 3_600_000 }), dir);
    await assert.rejects(
      planStoreDump(dir, { fullSymbols: [BTC], range: { start: JAN1, end: FEB1 }, barMs: BAR }),
      (e: unknown) =>
        e instanceof DataError &&
        e.message.startsWith(`Cannot dump 5m bars into store ${dir}: it holds 1h bars`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
