import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { childLimitPrice, childQuantity, sizeChild, waveTimes } from "./child_order_waves.ts";

Deno.test("waveTimes() spaces waves by the execution period and skips a wave with < 4 s left", () => {
  assert.deepEqual(waveTimes(0, 300_000), [0, 60_000, 120_000, 180_000, 240_000]);
  assert.deepEqual(waveTimes(10_000, 300_000), [10_000, 70_000, 130_000, 190_000, 250_000]);
  assert.deepEqual(waveTimes(57_000, 300_000), [57_000, 117_000, 177_000, 237_000]);
  assert.deepEqual(waveTimes(0, 63_000), [0], "59.9 s left would be a wave; 3 s is not");
  assert.deepEqual(waveTimes(0, 64_000), [0, 60_000]);
  assert.deepEqual(waveTimes(0, 3_999), []);
  assert.deepEqual(waveTimes(0, 10_000, { executionFreqMs: 2_000, minWaveRemainingMs: 0 }), [
    0,
    2_000,
    4_000,
    6_000,
    8_000,
  ]);
  assert.throws(() => waveTimes(0, 1, { executionFreqMs: 0 }), UsageError);
});

Deno.test("childQuantity() is parent/waves plus the carry (static) or what remains (dynamic)", () => {
  const base = { total: 10, waves: 4, remaining: 7, carried: 0 };
  assert.equal(childQuantity({ ...base, mode: "dynamic" }), 7);
  assert.equal(childQuantity({ ...base, mode: "static" }), 2.5);
  assert.equal(childQuantity({ ...base, mode: "static", carried: 2.5 }), 5);
  assert.equal(
    childQuantity({ ...base, mode: "static", remaining: 1 }),
    1,
    "capped by what remains",
  );
  assert.equal(childQuantity({ ...base, mode: "dynamic", remaining: -1 }), 0);
});

Deno.test("childLimitPrice() mixes bid and ask by the passivity factor, rounded away from crossing", () => {
  const book = { bid: 99.9, ask: 100.1 };
  assert.equal(childLimitPrice("buy", { ...book, passivity: 0 }), 100.1, "buy crosses at the ask");
  assert.equal(childLimitPrice("buy", { ...book, passivity: 1 }), 99.9);
  assert.equal(childLimitPrice("sell", { ...book, passivity: 0 }), 99.9, "sell crosses at the bid");
  assert.equal(childLimitPrice("sell", { ...book, passivity: 1 }), 100.1);
  assert.equal(childLimitPrice("buy", { ...book, passivity: 0.3 }, { tick: 0.01 }), 100.04);
  assert.equal(childLimitPrice("buy", { bid: 1, ask: 1.03, passivity: 0.5 }, { tick: 0.01 }), 1.01);
  assert.equal(
    childLimitPrice("sell", { bid: 1, ask: 1.03, passivity: 0.5 }, { tick: 0.01 }),
    1.02,
  );
  assert.equal(childLimitPrice("buy", { ...book, passivity: 0 }, { limit: 100 }), 100);
  assert.equal(childLimitPrice("sell", { ...book, passivity: 0 }, { limit: 100 }), 100);
  assert.throws(() => childLimitPrice("buy", { ...book, passivity: 1.5 }), UsageError);
});

Deno.test("sizeChild() rounds down to the step and skips what is under the minimums", () => {
  const rules = { amountStep: 0.001, minAmount: 0.001, maxAmount: 50, minCost: 5 };
  assert.deepEqual(sizeChild(0.29, 100, rules), { amount: 0.29 }, "0.29 stays 0.29");
  assert.deepEqual(sizeChild(1.66666, 100, rules), { amount: 1.666 });
  assert.deepEqual(sizeChild(80, 100, rules), { amount: 50 }, "capped at the maximum");
  assert.match(sizeChild(0.0004, 100, rules).skip ?? "", /rounds to 0/);
  assert.match(sizeChild(0.05, 100, rules).skip ?? "", /minimum cost 5/, "notional 5 is not > 5");
  assert.deepEqual(sizeChild(0.051, 100, rules), { amount: 0.051 });
  assert.match(
    sizeChild(0.5, 100, { ...rules, minAmount: 1, minCost: undefined }).skip ?? "",
    /minimum amount 1/,
  );
  assert.deepEqual(
    sizeChild(0.123456, 1, {
      amountStep: undefined,
      minAmount: undefined,
      maxAmount: undefined,
      minCost: undefined,
    }),
    { amount: 0.123456 },
  );
});
