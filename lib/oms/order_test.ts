import assert from "node:assert/strict";
import { DataError, UsageError } from "../errors/mod.ts";
import { IdCounter } from "./id_counter.ts";
import { Order, ORDER_TYPES, type OrderExtraParams, type OrderFields } from "./order.ts";
import { ORDER_STATES, OrderStateError } from "./order_state.ts";
import { _random } from "./_test_bars.ts";

const T0 = Date.UTC(2025, 0, 6, 0, 5);

function base(overrides: Partial<OrderFields> = {}): OrderFields {
  return {
    id: 3,
    creationTimestamp: T0 + 10_000,
    assetId: 1467591036,
    type: "next_open",
    startTimestamp: T0 + 10_000,
    endTimestamp: T0 + 300_000,
    currentShares: 0,
    diffShares: 0.12345,
    ...overrides,
  };
}

/** A random finite double: any bit pattern (all magnitudes, subnormals, −0) or a "nice" one. */
function randomDouble(rand: () => number): number {
  const pick = rand();
  if (pick < 0.1) {
    return [0, -0, 1, -1, 5e-324, -Number.MAX_VALUE, 0.1 + 0.2][Math.floor(rand() * 7)]!;
  }
  if (pick < 0.4) return (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 4);
  const bits = new Uint32Array([Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32)]);
  const x = new Float64Array(bits.buffer)[0] as number;
  return Number.isFinite(x) ? x : 1.5;
}

function randomJson(rand: () => number, depth: number): OrderExtraParams {
  const out: Record<string, unknown> = {};
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const key = ["a", "key with space", "x=y", "ünï", '"q"'][Math.floor(rand() * 5)]! + i;
    const kind = Math.floor(rand() * (depth > 0 ? 6 : 4));
    out[key] = kind === 0 ? "text = with spaces } and { braces" : kind === 1
      ? (() => {
        const x = randomDouble(rand);
        return Object.is(x, -0) ? 0 : x;
      })()
      : kind === 2
      ? rand() < 0.5
      : kind === 3
      ? null
      : kind === 4
      ? [1, "two", randomJson(rand, depth - 1)]
      : randomJson(rand, depth - 1);
  }
  return out as OrderExtraParams;
}

function randomOrder(rand: () => number, id: number): Order {
  const type = ORDER_TYPES[Math.floor(rand() * ORDER_TYPES.length)]!;
  const creation = T0 + Math.floor(rand() * 1e10) - 5e9;
  const start = creation + Math.floor(rand() * 3) * Math.floor(rand() * 1e6);
  const end = start + 1 + Math.floor(rand() * 1e7);
  const sized = rand() < 0.3;
  let diff = randomDouble(rand);
  if (!sized && diff === 0) diff = 2.5;
  const limit = type === "limit" || rand() < 0.2 ? Math.abs(randomDouble(rand)) || 7 : undefined;
  return new Order({
    id,
    creationTimestamp: creation,
    assetId: Math.floor(rand() * 1e10) * (rand() < 0.1 ? -1 : 1),
    type,
    startTimestamp: start,
    endTimestamp: end,
    currentShares: randomDouble(rand),
    diffShares: diff,
    limitPrice: limit,
    targetWeight: sized ? randomDouble(rand) : undefined,
    extraParams: randomJson(rand, 2),
    state: ORDER_STATES[Math.floor(rand() * ORDER_STATES.length)]!,
  });
}

function sameFields(a: OrderFields, b: OrderFields, what: string): void {
  for (const key of Object.keys(a) as (keyof OrderFields)[]) {
    const x = a[key];
    const y = b[key];
    if (typeof x === "number") assert.ok(Object.is(x, y), `${what}: ${key} ${x} vs ${y}`);
    else assert.deepEqual(x, y, `${what}: ${key}`);
  }
}

Deno.test("Order.toString() round-trips exactly through Order.fromString (2,000 random orders)", () => {
  const rand = _random(20250106);
  for (let i = 0; i < 2000; i++) {
    const order = randomOrder(rand, i);
    const text = order.toString();
    assert.ok(!text.includes("\n"), "one line");
    const back = Order.fromString(text);
    sameFields(back.toFields(), order.toFields(), text);
    assert.equal(back.toString(), text);
  }
});

Deno.test("Order.toString() prints the reference's one-line form", () => {
  const order = new Order(base());
  assert.equal(
    order.toString(),
    "Order: order_id=3 creation_timestamp=2025-01-06T00:05:10.000Z asset_id=1467591036 " +
      "type_=next_open start_timestamp=2025-01-06T00:05:10.000Z " +
      "end_timestamp=2025-01-06T00:10:00.000Z curr_num_shares=0 diff_num_shares=0.12345 " +
      "limit_price=None target_weight=None state=submitted extra_params={}",
  );
  const sized = new Order(base({ diffShares: 0, targetWeight: -0.5, currentShares: -0 }));
  assert.match(sized.toString(), /curr_num_shares=-0 diff_num_shares=0 .*target_weight=-0.5 /);
  assert.ok(sized.sizedAtFill);
  assert.ok(Object.is(Order.fromString(sized.toString()).currentShares, -0));
});

Deno.test("Order validates creation <= start < end, non-zero diff, limit price", () => {
  new Order(base({ creationTimestamp: T0, startTimestamp: T0 }));
  const bad: Array<[Partial<OrderFields>, RegExp]> = [
    [{ creationTimestamp: T0 + 20_000 }, /creation <= start < end/],
    [{ endTimestamp: T0 + 10_000 }, /creation <= start < end/],
    [{ diffShares: 0 }, /non-zero/],
    [{ diffShares: NaN }, /finite/],
    [{ currentShares: Infinity }, /finite/],
    [{ type: "limit" }, /needs a limit price/],
    [{ limitPrice: -1 }, /limit price must be a positive/],
    [{ type: "stop" as never }, /unknown type 'stop'/],
    [{ id: -1 }, /non-negative integer/],
    [{ startTimestamp: T0 + 10_000.5 }, /integer epoch ms/],
    [{ targetWeight: NaN }, /target weight must be finite/],
    [{ extraParams: { x: NaN } }, /extra params\.x is NaN/],
    [{ extraParams: { d: new Date(0) } as never }, /not a JSON value/],
  ];
  for (const [fields, message] of bad) {
    assert.throws(() => new Order(base(fields)), (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
  // A sized-at-fill order may carry a zero estimate.
  assert.equal(new Order(base({ diffShares: 0, targetWeight: 1 })).diffShares, 0);
});

Deno.test("Order.fromString() refuses malformed text with DataError naming the field", () => {
  const good = new Order(base()).toString();
  const cases: Array<[string, RegExp]> = [
    ["Orders: order_id=3", /must start with 'Order: '/],
    [good.replace("order_id=3", "order_id=x"), /order_id=x is not an integer/],
    [
      good.replace("diff_num_shares=0.12345", "diff_num_shares=0x10"),
      /diff_num_shares=0x10 is not a number/,
    ],
    [
      good.replace("2025-01-06T00:10:00.000Z", "2025-01-06T00:10:00Z"),
      /end_timestamp=.* is not a UTC time/,
    ],
    [good.replace(" type_=", " kind="), /expected 'type_='/],
    [good.replace("extra_params={}", "extra_params={oops"), /extra_params is not JSON/],
    [good.replace("extra_params={}", "extra_params=[1]"), /extra_params must be a JSON object/],
    [good.replace("state=submitted", "state=done"), /unknown state 'done'/],
    [good.replace("diff_num_shares=0.12345", "diff_num_shares=0"), /non-zero/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => Order.fromString(text), (error: unknown) => {
      assert.ok(error instanceof DataError, `${text}: ${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("Order.transition() goes through the table; ids come from the run's counter", () => {
  const ids = new IdCounter(10);
  const fields = { ...base() } as Omit<OrderFields, "id"> & { id?: number };
  delete fields.id;
  const a = Order.create(ids, fields);
  const b = Order.create(ids, fields);
  assert.deepEqual([a.id, b.id, ids.peek()], [10, 11, 12]);
  a.transition("accepted");
  a.transition("partially_filled");
  a.transition("filled");
  assert.equal(a.state, "filled");
  assert.throws(() => a.transition("cancelled"), OrderStateError);
  assert.throws(() => b.transition("filled"), /order 11: submitted → filled/);
  assert.equal(b.state, "submitted");
  assert.ok(Object.isFrozen(a.extraParams));
});
