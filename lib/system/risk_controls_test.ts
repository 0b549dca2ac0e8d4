import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { IdCounter, Order } from "../oms/mod.ts";
import { type RiskCheckInput, RiskControls } from "./risk_controls.ts";

const T = Date.UTC(2025, 0, 6, 12);
const A = 1;
const B = 2;

function orders(...diffs: [number, number][]): Order[] {
  const ids = new IdCounter();
  return diffs.map(([assetId, diffShares]) =>
    Order.create(ids, {
      creationTimestamp: T,
      assetId,
      type: "twap",
      startTimestamp: T,
      endTimestamp: T + 300_000,
      currentShares: 0,
      diffShares,
    })
  );
}

function input(batch: Order[], overrides: Partial<RiskCheckInput> = {}): RiskCheckInput {
  return {
    time: T,
    orders: batch,
    holdings: new Map([[A, 0], [B, 0]]),
    prices: new Map([[A, 100], [B, 10]]),
    netWealth: 10_000,
    ...overrides,
  };
}

Deno.test("RiskControls.check() lets everything through when no limit is crossed", () => {
  const controls = new RiskControls({ maxOrderNotional: 1_000, maxGrossExposure: 5_000 });
  const batch = orders([A, 5], [B, -20]);
  const d = controls.check(input(batch));
  assert.deepEqual(d.allowed, batch);
  assert.deepEqual([d.denied, d.trips, d.stop], [[], [], false]);
});

Deno.test("RiskControls.check(): max order notional denies the order over the limit", () => {
  const controls = new RiskControls({ maxOrderNotional: 1_000 });
  const batch = orders([A, 11], [B, 50]);
  const d = controls.check(input(batch));
  assert.deepEqual(d.allowed.map((o) => o.id), [1]);
  assert.deepEqual(d.denied.map((o) => o.id), [0]);
  assert.equal(d.trips.length, 1);
  assert.equal(d.trips[0]?.control, "max_order_notional");
  assert.match(
    d.trips[0]?.reason ?? "",
    /order 0 .* worth 1100\.00, above the max order notional 1000\.00/,
  );
  assert.equal(d.stop, false);
});

Deno.test("RiskControls.check(): max gross exposure denies only risk-increasing orders", () => {
  const controls = new RiskControls({ maxGrossExposure: 1_500 });
  // Holding 10 A (1000): buying 4 more A (1400) and 20 B (200) crosses 1500; selling A would not.
  const holdings = new Map([[A, 10], [B, 0]]);
  const batch = orders([A, 4], [B, 20]);
  const d = controls.check(input(batch, { holdings }));
  assert.deepEqual(d.allowed, []);
  assert.equal(d.trips[0]?.control, "max_gross_exposure");
  assert.match(d.trips[0]?.reason ?? "", /1600\.00, above the max gross exposure 1500\.00/);
  const reducing = orders([A, -4], [B, 20]);
  const ok = controls.check(input(reducing, { holdings }));
  assert.equal(ok.denied.length, 0, "800 + 200 is under the limit");
});

Deno.test("RiskControls.check(): max loss with cancel-and-stop stops and denies all", () => {
  const controls = new RiskControls({ maxLoss: 500 }, { initialNetWealth: 10_000 });
  assert.equal(controls.check(input(orders([A, 1]), { netWealth: 9_600 })).stop, false);
  const d = controls.check(input(orders([A, 1], [B, -1]), { netWealth: 9_400 }));
  assert.equal(d.stop, true);
  assert.deepEqual(d.allowed, []);
  assert.equal(d.trips[0]?.control, "max_loss");
  assert.equal(d.trips[0]?.action, "cancel_and_stop");
  assert.match(
    d.trips[0]?.reason ?? "",
    /loss since start 600\.00 .* exceeds the max loss 500\.00/,
  );
});

Deno.test("RiskControls.check(): max loss with halt-new-risk trips once, then only reduces", () => {
  const controls = new RiskControls(
    { maxLoss: 500, onMaxLoss: "halt-new-risk" },
    { initialNetWealth: 10_000 },
  );
  const holdings = new Map([[A, 10], [B, 0]]);
  const first = controls.check(input(orders([A, -5], [B, 3]), { holdings, netWealth: 9_000 }));
  assert.equal(first.stop, false);
  assert.equal(controls.halted, true);
  assert.deepEqual(first.allowed.map((o) => o.diffShares), [-5]);
  assert.equal(first.trips.length, 1);
  assert.equal(first.trips[0]?.action, "halt_new_risk");
  assert.deepEqual(first.trips[0]?.deniedOrderIds, [1]);
  // Recovered above the limit: still halted, no new trip.
  const later = controls.check(input(orders([A, 2]), { holdings, netWealth: 9_900 }));
  assert.deepEqual([later.allowed.length, later.trips.length], [0, 0]);
});

Deno.test("RiskControls.check(): the kill-switch file stops the run", () => {
  let exists = false;
  const controls = new RiskControls(
    { killSwitchFile: "/run/stop-trading" },
    { fileExists: () => exists },
  );
  assert.equal(controls.check(input(orders([A, 1]))).stop, false);
  exists = true;
  assert.equal(controls.killSwitchEngaged(), true);
  const d = controls.check(input(orders([A, 1])));
  assert.equal(d.stop, true);
  assert.equal(d.trips[0]?.control, "kill_switch");
  assert.match(d.trips[0]?.reason ?? "", /\/run\/stop-trading exists/);
});

Deno.test("RiskControls: unpriced orders are denied; bad limits are refused", () => {
  const controls = new RiskControls({ maxOrderNotional: 1_000 });
  const d = controls.check(input(orders([3, 1])));
  assert.equal(d.denied.length, 1);
  assert.match(d.trips[0]?.reason ?? "", /no price/);
  assert.throws(() => new RiskControls({ maxOrderNotional: -1 }), UsageError);
  assert.throws(() => new RiskControls({ maxLoss: 10 }), UsageError);
});
