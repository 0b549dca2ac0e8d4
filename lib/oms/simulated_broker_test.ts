import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { UsageError } from "../errors/mod.ts";
import { ColumnFrame } from "../frame/mod.ts";
import {
  FrameMarketData,
  type MarketData,
  type MarketDataQueryOptions,
  ReplayedClock,
} from "../sim/mod.ts";
import type { AtFillSizer } from "./broker.ts";
import type { FillConvention } from "./fill_prices.ts";
import { IdCounter } from "./id_counter.ts";
import { Order, type OrderFields } from "./order.ts";
import { SimulatedBroker } from "./simulated_broker.ts";
import { type _BarRow, _bars } from "./_test_bars.ts";

const M = 60_000;
const T0 = Date.UTC(2025, 0, 6);
const DELAY = 10_000;

/** Bars of assets 1 and 2 ending at T0 + 1..4 min; asset 2 has no bar at T0 + 2 min (a gap). */
function rows(): _BarRow[] {
  const out: _BarRow[] = [];
  for (let k = 1; k <= 4; k++) {
    out.push({ t: T0 + k * M, id: 1, o: 100 + k, h: 103 + k, l: 99 + k, c: 101 + k, v: k });
    if (k !== 2) out.push({ t: T0 + k * M, id: 2, o: 50 + k, h: 52 + k, l: 49 + k, c: 51 + k });
  }
  return out;
}

function setup(options: { feeBps?: number; sizer?: AtFillSizer } = {}) {
  const clock = new ReplayedClock(T0);
  const md = new FrameMarketData(_bars(rows(), { barMs: M, delayMs: DELAY }), clock, { barMs: M });
  const fillIds = new IdCounter();
  const broker = new SimulatedBroker(md, { ...options, fillIds });
  return { clock, md, broker, fillIds };
}

type Query<T> = (start: number, end: number, options?: MarketDataQueryOptions) => T;

/** `md` with `getData` and `getColumns` as `methods` has them (`undefined`: no such method). */
function withQueries(
  md: MarketData,
  methods: { getData?: Query<pl.DataFrame>; getColumns?: Query<ColumnFrame> | undefined },
): MarketData {
  return new Proxy(md, {
    get(target, key) {
      if (typeof key === "string" && Object.hasOwn(methods, key)) {
        return methods[key as keyof typeof methods];
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function order(ids: IdCounter, fields: Partial<OrderFields>): Order {
  const start = T0 + M + DELAY;
  return Order.create(ids, {
    creationTimestamp: start,
    assetId: 1,
    type: "next_open",
    startTimestamp: start,
    endTimestamp: T0 + 2 * M,
    currentShares: 0,
    diffShares: 2,
    ...fields,
  });
}

Deno.test("SimulatedBroker fills close at once at close(t), stamped at the order's start", async () => {
  const { clock, broker } = setup({ feeBps: 10 });
  await clock.advanceTo(T0 + M + DELAY); // bar T0+1m is known
  const ids = new IdCounter();
  const o = order(ids, { type: "close", diffShares: -3 });
  await broker.submitOrders([o], { wallTime: clock.now() });
  assert.equal(o.state, "filled");
  const fills = broker.getFills();
  assert.equal(fills.length, 1);
  const f = fills[0]!;
  assert.deepEqual(
    [f.orderId, f.assetId, f.shares, f.price, f.timestamp],
    [o.id, 1, -3, 102, o.startTimestamp],
  );
  assert.equal(f.fee, Math.abs(-3 * 102) * 10 / 1e4);
  assert.deepEqual(broker.getFills(), [], "each fill is reported once");
});

Deno.test("SimulatedBroker fills next-bar conventions only once bar t+1 is known", async () => {
  const expected: Record<Exclude<FillConvention, "close">, number> = {
    next_open: 102,
    next_close: 103,
    twap: (102 + 105 + 101 + 103) / 4,
    vwap: (102 + 105 + 101 + 103) / 4,
  };
  for (const [type, price] of Object.entries(expected) as [FillConvention, number][]) {
    const { clock, broker } = setup();
    await clock.advanceTo(T0 + M + DELAY);
    const o = order(new IdCounter(), { type });
    await broker.submitOrders([o], { wallTime: clock.now() });
    assert.equal(o.state, "accepted");
    assert.deepEqual(broker.getFills(), [], `${type}: nothing known yet`);
    await clock.advanceTo(T0 + 2 * M + DELAY - 1);
    assert.deepEqual(broker.getFills(), [], `${type}: bar t+1 ended but is not known yet`);
    assert.deepEqual(broker.openOrders(), [o]);
    await clock.advanceTo(T0 + 2 * M + DELAY);
    const fills = broker.getFills();
    assert.equal(fills.length, 1, type);
    assert.deepEqual([fills[0]!.price, fills[0]!.timestamp, fills[0]!.shares], [
      price,
      T0 + 2 * M,
      2,
    ]);
    assert.equal(o.state, "filled");
    assert.deepEqual(broker.openOrders(), []);
  }
});

Deno.test("SimulatedBroker prices a multi-bar window with the shared fill conventions", async () => {
  // Decision at T0+1m, window (T0+1m, T0+4m]: asset 1's bars at 2, 3 and 4 minutes.
  const cases: Record<Exclude<FillConvention, "close">, number> = {
    next_open: 102,
    next_close: 105,
    twap: ((102 + 105 + 101 + 103) + (103 + 106 + 102 + 104) + (104 + 107 + 103 + 105)) / 4 / 3,
    vwap: ((102 + 105 + 101 + 103) / 4 * 2 + (103 + 106 + 102 + 104) / 4 * 3 +
      (104 + 107 + 103 + 105) / 4 * 4) / 9,
  };
  for (const [type, price] of Object.entries(cases) as [FillConvention, number][]) {
    const { clock, broker } = setup();
    await clock.advanceTo(T0 + M + DELAY);
    const o = order(new IdCounter(), { type, endTimestamp: T0 + 4 * M });
    await broker.submitOrders([o], { wallTime: clock.now() });
    await clock.advanceTo(T0 + 3 * M + DELAY);
    assert.deepEqual(broker.getFills(), [], `${type}: the window is not complete`);
    await clock.advanceTo(T0 + 4 * M + DELAY);
    const [fill] = broker.getFills();
    assert.ok(
      Math.abs(fill!.price - price) <= 1e-12 * price,
      `${type}: ${fill!.price} vs ${price}`,
    );
  }
});

Deno.test("SimulatedBroker cancels an order without a bar; fill ids are not order ids", async () => {
  const { clock, broker } = setup();
  await clock.advanceTo(T0 + M + DELAY);
  const ids = new IdCounter(); // orders 0, 1, 2
  const orders = [
    order(ids, { assetId: 1 }),
    order(ids, { assetId: 2 }), // asset 2 has no bar at T0+2m: no next_open price
    order(ids, { assetId: 1, diffShares: -1 }),
  ];
  await broker.submitOrders(orders, { wallTime: clock.now() });
  await clock.advanceTo(T0 + 2 * M + DELAY);
  const fills = broker.getFills();
  assert.deepEqual(orders.map((o) => o.state), ["filled", "cancelled", "filled"]);
  assert.deepEqual(fills.map((f) => [f.id, f.orderId]), [[0, 0], [1, 2]]);
  assert.notEqual(fills[1]!.id, fills[1]!.orderId, "a fill has its own id");
});

Deno.test("SimulatedBroker rejects late orders and refuses what it cannot simulate", async () => {
  const { clock, broker } = setup();
  await clock.advanceTo(T0 + 2 * M + DELAY);
  const ids = new IdCounter();
  const late = order(ids, {});
  await broker.submitOrders([late], { wallTime: clock.now() });
  assert.equal(late.state, "rejected");
  const market = order(ids, { type: "market" });
  await assert.rejects(() => broker.submitOrders([market], { wallTime: clock.now() }), UsageError);
  assert.equal(market.state, "submitted", "nothing changed");
  const sized = order(ids, { targetWeight: 1, diffShares: 0, endTimestamp: T0 + 3 * M });
  await assert.rejects(
    () => broker.submitOrders([sized], { wallTime: clock.now() }),
    /has no sizer/,
  );
  const open = order(ids, { endTimestamp: T0 + 4 * M });
  await broker.submitOrders([open], { wallTime: clock.now() });
  await broker.cancelOrders([open.id], { wallTime: clock.now() });
  assert.equal(open.state, "cancelled");
  assert.deepEqual(broker.openOrders(), []);
});

Deno.test("SimulatedBroker sizes a sized-at-fill batch together, at the fill prices", async () => {
  const calls: Array<{ ids: number[]; prices: number[]; now: number }> = [];
  const ref: { clock?: ReplayedClock } = {};
  const sizer: AtFillSizer = {
    sizeAtFill(orders, prices) {
      calls.push({ ids: orders.map((o) => o.id), prices: [...prices], now: ref.clock!.now() });
      return Float64Array.from(orders, (o) => (o.targetWeight as number) * 10);
    },
  };
  const { clock, broker } = setup({ sizer });
  ref.clock = clock;
  const start = T0 + 2 * M + DELAY;
  await clock.advanceTo(start);
  const ids = new IdCounter();
  const common = { startTimestamp: start, creationTimestamp: start, endTimestamp: T0 + 3 * M };
  const orders = [
    order(ids, { ...common, assetId: 1, targetWeight: 0.5, diffShares: 0 }),
    order(ids, { ...common, assetId: 2, targetWeight: 0, diffShares: -1 }),
  ];
  await broker.submitOrders(orders, { wallTime: start });
  assert.equal(calls.length, 0, "not sized before the fill prices are known");
  await clock.advanceTo(T0 + 3 * M + DELAY);
  const fills = broker.getFills();
  assert.deepEqual(calls, [{ ids: [0, 1], prices: [103, 53], now: T0 + 3 * M + DELAY }]);
  assert.deepEqual(fills.map((f) => [f.assetId, f.shares, f.price]), [[1, 5, 103]]);
  assert.deepEqual(orders.map((o) => o.state), ["filled", "cancelled"], "0 shares: no trade");
  const mixed = [
    order(ids, { ...common, endTimestamp: T0 + 4 * M, targetWeight: 1 }),
    order(ids, { ...common, endTimestamp: T0 + 5 * M, targetWeight: 1, assetId: 2 }),
  ];
  await assert.rejects(
    () => broker.submitOrders(mixed, { wallTime: clock.now() }),
    /must share type and interval/,
  );
});

Deno.test("SimulatedBroker prices bars of other column types as their Float64 casts", async () => {
  // The same bars answered with other column types (integral values: every cast is exact);
  // text columns take the Polars cast path.
  const retype = (frame: pl.DataFrame, text: boolean) =>
    frame.withColumns(
      pl.col("asset_id").cast(pl.Int32),
      pl.col("open").cast(pl.Float32),
      pl.col("volume").cast(pl.Int64),
      ...(text ? [pl.col("close").cast(pl.Utf8)] : []),
    );
  for (const text of [false, true]) {
    for (const type of ["close", "next_open", "next_close", "twap", "vwap"] as const) {
      const prices: number[][] = [];
      for (const wrapped of [false, true]) {
        const { clock, md } = setup();
        const data = wrapped
          ? withQueries(md, {
            getData: (start, end, options) => retype(md.getData(start, end, options), text),
            getColumns: undefined, // the getData path
          })
          : md;
        const broker = new SimulatedBroker(data, { fillIds: new IdCounter() });
        await clock.advanceTo(T0 + M + DELAY);
        const ids = new IdCounter();
        const orders = [1, 2].map((assetId) =>
          order(ids, { assetId, type, endTimestamp: T0 + 4 * M })
        );
        await broker.submitOrders(orders, { wallTime: clock.now() });
        await clock.advanceTo(T0 + 4 * M + DELAY);
        prices.push(broker.getFills().map((f) => f.price));
      }
      assert.equal(prices[0]?.length, 2, `${type}: both orders filled`);
      assert.deepEqual(prices[1], prices[0], `${type}, text close ${text}`);
    }
  }
});

Deno.test("SimulatedBroker prices from MarketData.getColumns as from getData", async () => {
  // The same market data three ways: getData only, getColumns as the JS columns of getData's
  // answer, and the data's own getColumns (when it has one).
  const views = ["getData", "columns of getData", "own"] as const;
  for (const type of ["close", "next_open", "next_close", "twap", "vwap"] as const) {
    const fills: unknown[] = [];
    for (const view of views) {
      const { clock, md } = setup({});
      const data = view === "own" ? md : withQueries(md, {
        getColumns: view === "getData"
          ? undefined
          : (start, end, options) => ColumnFrame.fromPolars(md.getData(start, end, options)),
      });
      const broker = new SimulatedBroker(data, { fillIds: new IdCounter(), feeBps: 5 });
      await clock.advanceTo(T0 + M + DELAY);
      const ids = new IdCounter();
      // Asset 2 has no bar at T0+2m: cancelled for the next-bar conventions over one bar.
      const orders = [1, 2].flatMap((assetId) => [
        order(ids, { assetId, type }),
        order(ids, { assetId, type, endTimestamp: T0 + 4 * M, diffShares: -1 }),
      ]);
      await broker.submitOrders(orders, { wallTime: clock.now() });
      await clock.advanceTo(T0 + 4 * M + DELAY);
      fills.push({
        fills: broker.getFills().map((f) => [f.orderId, f.shares, f.price, f.fee, f.timestamp]),
        states: orders.map((o) => o.state),
      });
    }
    assert.ok((fills[0] as { fills: unknown[] }).fills.length >= 3, type);
    assert.deepEqual(fills[1], fills[0], `${type}: getColumns`);
    assert.deepEqual(fills[2], fills[0], `${type}: the data's own getColumns`);
  }
});
