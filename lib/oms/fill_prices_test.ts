import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import {
  DEFAULT_FILL_CONVENTION,
  denseFillPrices,
  FILL_CONVENTIONS,
  fillPrice,
  fillPrices,
  fillsOnNextBar,
  parseFillConvention,
} from "./fill_prices.ts";

// Two bars in (t, t+1]: typical prices (10+12+9+11)/4 = 10.5 and (11+13+10+12)/4 = 11.5.
const WINDOW = {
  decisionClose: 10,
  open: [10, 11],
  high: [12, 13],
  low: [9, 10],
  close: [11, 12],
  volume: [1, 3],
};

Deno.test("FILL_CONVENTIONS lists the five conventions, next_open by default", () => {
  assert.deepEqual([...FILL_CONVENTIONS], ["close", "next_open", "next_close", "twap", "vwap"]);
  assert.equal(DEFAULT_FILL_CONVENTION, "next_open");
  assert.equal(fillsOnNextBar("close"), false);
  for (const c of FILL_CONVENTIONS.filter((c) => c !== "close")) {
    assert.equal(fillsOnNextBar(c), true);
  }
});

Deno.test("parseFillConvention() accepts the list and rejects others naming them", () => {
  assert.equal(parseFillConvention(" vwap "), "vwap");
  assert.throws(
    () => parseFillConvention("open"),
    (e: unknown) => e instanceof UsageError && /next_open, next_close, twap, vwap/.test(e.message),
  );
});

Deno.test("fillPrice() prices one window under each convention", () => {
  assert.equal(fillPrice(WINDOW, "close"), 10);
  assert.equal(fillPrice(WINDOW, "next_open"), 10);
  assert.equal(fillPrice(WINDOW, "next_close"), 12);
  assert.equal(fillPrice(WINDOW, "twap"), (10.5 + 11.5) / 2);
  assert.equal(fillPrice(WINDOW, "vwap"), (10.5 * 1 + 11.5 * 3) / 4);
});

Deno.test("fillPrice() of one bar: twap = vwap = typical price; empty window: NaN", () => {
  const one = { decisionClose: 1, open: [10], high: [12], low: [9], close: [11], volume: [5] };
  assert.equal(fillPrice(one, "twap"), 10.5);
  assert.equal(fillPrice(one, "vwap"), 10.5);
  const empty = { decisionClose: 1, open: [], high: [], low: [], close: [], volume: [] };
  for (const c of FILL_CONVENTIONS.filter((c) => c !== "close")) {
    assert.ok(Number.isNaN(fillPrice(empty, c)), c);
  }
  assert.equal(fillPrice(empty, "close"), 1);
});

Deno.test("fillPrice() vwap with zero volume falls back to the twap", () => {
  assert.equal(fillPrice({ ...WINDOW, volume: [0, 0] }, "vwap"), 11);
});

Deno.test("fillPrices() maps each decision to the bars of (t, t+1] on a coarser grid", () => {
  // 1-minute bars ending at 1..6, decisions every 2 minutes at 2, 4, 6.
  const bars = {
    timestamp: [1, 2, 3, 4, 5, 6],
    open: [1, 2, 3, 4, 5, 6],
    high: [1, 2, 3, 4, 5, 6],
    low: [1, 2, 3, 4, 5, 6],
    close: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
    volume: [1, 1, 1, 3, 1, 1],
  };
  const grid = [2, 4, 6];
  const typical = (i: number) => (3 * bars.open[i]! + bars.close[i]!) / 4;
  assert.deepEqual([...fillPrices(bars, { grid, convention: "close" })], [2.5, 4.5, 6.5]);
  assert.deepEqual([...fillPrices(bars, { grid, convention: "next_open" }).slice(0, 2)], [3, 5]);
  assert.deepEqual([...fillPrices(bars, { grid, convention: "next_close" }).slice(0, 2)], [
    4.5,
    6.5,
  ]);
  const twap = fillPrices(bars, { grid, convention: "twap" });
  assert.equal(twap[0], (typical(2) + typical(3)) / 2);
  assert.equal(twap[1], (typical(4) + typical(5)) / 2);
  const vwap = fillPrices(bars, { grid, convention: "vwap" });
  assert.equal(vwap[0], (typical(2) * 1 + typical(3) * 3) / 4);
  for (const c of FILL_CONVENTIONS.filter((c) => c !== "close")) {
    assert.ok(Number.isNaN(fillPrices(bars, { grid, convention: c })[2]), `${c}: last decision`);
  }
});

Deno.test("fillPrices() gives NaN where the window or the decision bar is missing", () => {
  const bars = {
    timestamp: [1, 2, 4],
    open: [1, 2, 4],
    high: [1, 2, 4],
    low: [1, 2, 4],
    close: [1, 2, 4],
    volume: [1, 1, 1],
  };
  const grid = [1, 2, 3, 4];
  const open = fillPrices(bars, { grid });
  assert.deepEqual([open[0], open[2]], [2, 4]);
  assert.ok(Number.isNaN(open[1]), "no bar in (2, 3]");
  const close = fillPrices(bars, { grid, convention: "close" });
  assert.deepEqual([close[0], close[1], close[3]], [1, 2, 4]);
  assert.ok(Number.isNaN(close[2]), "no bar ending at 3");
});

Deno.test("denseFillPrices() equals fillPrices() asset by asset on a dense grid", () => {
  // 2 assets × 4 bars, index k·2 + a.
  const open = [10, 20, 11, 21, 12, 22, 13, 23];
  const high = open.map((x) => x + 1);
  const low = open.map((x) => x - 1);
  const close = open.map((x) => x + 0.5);
  const volume = [1, 2, 3, 4, 5, 6, 7, 8];
  const grid = [1, 2, 3, 4];
  for (const convention of FILL_CONVENTIONS) {
    const dense = denseFillPrices({ open, high, low, close, volume }, { numAssets: 2, convention });
    for (const a of [0, 1]) {
      const pick = (xs: number[]) => xs.filter((_, i) => i % 2 === a);
      const perAsset = fillPrices(
        {
          timestamp: grid,
          open: pick(open),
          high: pick(high),
          low: pick(low),
          close: pick(close),
          volume: pick(volume),
        },
        { grid, convention },
      );
      assert.deepEqual([...pick([...dense])], [...perAsset], `${convention} asset ${a}`);
    }
  }
});
