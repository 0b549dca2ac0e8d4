import assert from "node:assert/strict";
import type { PortfolioBarRecord } from "../oms/mod.ts";
import type { OmsBarWrites, OmsCommitBatch } from "./oms_commit_batch.ts";
import {
  decodeOmsCommitBatch,
  encodeOmsCommitBatch,
  OmsCommitEncoder,
} from "./oms_commit_codec.ts";
import { _random as random } from "./_test_random.ts";

const SPECIAL = [NaN, -0, 0, Infinity, -Infinity, 5e-324, 2 ** 53 + 2, -1.5e300];

/** A batch of `bars` random bars, with special numbers, empty lists and absent fields. */
function batch(seed: number, bars: number): OmsCommitBatch {
  const rnd = random(seed);
  const num = () =>
    rnd() < 0.2 ? SPECIAL[Math.floor(rnd() * SPECIAL.length)] as number : rnd() * 1e4 - 5e3;
  const text = () =>
    ["", "a,b", "accepted", "Order: x=1\nnext", "ü€"][Math.floor(rnd() * 5)] as string;
  const list = <T>(max: number, make: () => T): T[] =>
    Array.from({ length: Math.floor(rnd() * (max + 1)) }, make);
  const record = (): PortfolioBarRecord => ({
    statistics: {
      timestamp: num(),
      pnl: num(),
      grossVolume: num(),
      netVolume: num(),
      gmv: num(),
      nmv: num(),
      fees: num(),
      cash: num(),
      netWealth: num(),
      leverage: num(),
      numTrades: num(),
    },
    assets: list(3, () => ({
      timestamp: num(),
      assetId: num(),
      holdingsShares: num(),
      holdingsNotional: num(),
      executedTradesShares: num(),
      executedTradesNotional: num(),
      fees: num(),
      pnl: num(),
      price: num(),
    })),
    state: {
      timestamp: num(),
      cash: num(),
      positions: list(3, () => ({ assetId: num(), shares: num(), mark: num() })),
    },
  });
  const bar = (): OmsBarWrites => ({
    batch: rnd() < 0.5 ? undefined : { ordersAsTxt: text(), timestampDb: num() },
    accepted: rnd() < 0.5 ? undefined : {
      runId: text(),
      filename: text(),
      strategyId: text(),
      targetListId: num(),
      tradeDate: text(),
      instanceId: num(),
      timestampProcessed: num(),
      timestampDb: num(),
      targetCount: num(),
      changedCount: num(),
      unchangedCount: num(),
      cancelCount: num(),
      success: rnd() < 0.5,
      reason: text(),
    },
    orders: list(3, () => ({
      runId: text(),
      orderId: num(),
      filename: text(),
      assetId: num(),
      type: text(),
      creationTime: num(),
      start: num(),
      end: num(),
      currShares: num(),
      diffShares: num(),
      limitPrice: num(),
      targetWeight: num(),
      state: text(),
      filledShares: num(),
      orderTxt: text(),
      updatedAt: num(),
    })),
    fills: list(3, () => ({
      runId: text(),
      fillId: num(),
      orderId: num(),
      assetId: num(),
      timestamp: num(),
      shares: num(),
      price: num(),
      fee: num(),
    })),
    updates: list(
      3,
      () => ({ orderId: num(), state: text(), filledShares: num(), updatedAt: num() }),
    ),
    portfolio: list(2, record),
  });
  return {
    runId: text(),
    account: text(),
    bars: Array.from({ length: bars }, bar),
    portfolio: list(2, record),
    positions: rnd() < 0.3 ? undefined : list(3, () => ({
      runId: text(),
      strategyId: text(),
      account: text(),
      assetId: num(),
      tradeDate: text(),
      timestampDb: num(),
      targetPosition: num(),
      currentPosition: num(),
      openQuantity: num(),
      netCost: num(),
      bodPosition: num(),
      bodPrice: num(),
    })),
  };
}

Deno.test("decodeOmsCommitBatch(encodeOmsCommitBatch(b)) equals b: every number bit for bit, strings, absent fields", () => {
  let specials = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const b = batch(seed, seed % 5);
    const encoded = encodeOmsCommitBatch(b);
    specials += encoded.numbers.filter((x) => Number.isNaN(x) || Object.is(x, -0)).length;
    // deepStrictEqual compares numbers with Object.is (NaN = NaN, −0 ≠ 0) and keys exactly.
    assert.deepEqual(decodeOmsCommitBatch(encoded), b, `seed ${seed}`);
    // Survives the structured clone of a worker message.
    assert.deepEqual(decodeOmsCommitBatch(structuredClone(encoded)), b, `seed ${seed} cloned`);
  }
  assert.ok(specials > 50);
});

Deno.test("OmsCommitEncoder encodes bar by bar, a snapshot at addBar, and starts a new batch at finish", () => {
  const b = batch(7, 4);
  const encoder = new OmsCommitEncoder();
  const copy = structuredClone(b);
  for (const bar of b.bars) encoder.addBar(bar);
  assert.equal(encoder.bars, 4);
  for (const bar of b.bars) for (const o of bar.orders) o.state = "changed later";
  assert.deepEqual(decodeOmsCommitBatch(encoder.finish(b)), copy);
  assert.equal(encoder.bars, 0);
  const next = batch(8, 2);
  for (const bar of next.bars) encoder.addBar(bar);
  assert.deepEqual(decodeOmsCommitBatch(encoder.finish(next)), next);
});

Deno.test("decodeOmsCommitBatch refuses a truncated or padded encoding", () => {
  const encoded = encodeOmsCommitBatch(batch(3, 3));
  const cut = { ...encoded, numbers: encoded.numbers.slice(0, encoded.numbers.length - 1) };
  assert.throws(() => decodeOmsCommitBatch(cut), /too short|bad/);
  const padded = new Float64Array(encoded.numbers.length + 1);
  padded.set(encoded.numbers);
  assert.throws(() => decodeOmsCommitBatch({ ...encoded, numbers: padded }), /trailing/);
});
