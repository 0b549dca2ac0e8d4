import assert from "node:assert/strict";
import { UsageError } from "../../errors/mod.ts";
import { type FaultDecision, FaultInjector } from "./fault_injector.ts";

function run(f: FaultInjector, n: number, path = "/api/v3/klines"): (string | undefined)[] {
  return Array.from({ length: n }, () => f.decide("GET", path)?.kind);
}

Deno.test("FaultInjector.decide() is deterministic per seed and close to the rate", () => {
  const config = { rate: 0.2, kinds: ["429", "5xx", "drop"] as const, seed: 42 };
  const a = run(new FaultInjector({ ...config, kinds: [...config.kinds] }), 2000);
  const b = run(new FaultInjector({ ...config, kinds: [...config.kinds] }), 2000);
  assert.deepEqual(a, b);
  const faults = a.filter((k) => k !== undefined).length;
  assert.ok(faults > 300 && faults < 500, `${faults} faults in 2000 at rate 0.2`);
  for (const kind of ["429", "5xx", "drop"]) assert.ok(a.includes(kind), kind);
  const c = run(new FaultInjector({ ...config, kinds: [...config.kinds], seed: 7 }), 2000);
  assert.notDeepEqual(a, c);
});

Deno.test("FaultInjector.decide() limits random faults to the configured endpoints", () => {
  const f = new FaultInjector({
    rate: 1,
    kinds: ["5xx"],
    endpoints: ["POST /api/v3/order", "/api/v3/depth"],
  });
  assert.equal(f.decide("GET", "/api/v3/klines"), undefined);
  assert.equal(f.decide("GET", "/api/v3/order"), undefined);
  const d = f.decide("POST", "/api/v3/order", { orderCreation: true }) as FaultDecision;
  assert.equal(d.kind, "5xx");
  assert.ok(d.status === 502 || d.status === 503);
  assert.equal(f.decide("GET", "/api/v3/depth")?.kind, "5xx");
});

Deno.test("FaultInjector.decide() applies 'reject' only to order creation", () => {
  const f = new FaultInjector({ rate: 1, kinds: ["reject"] });
  assert.equal(f.decide("GET", "/api/v3/klines"), undefined);
  assert.equal(f.decide("POST", "/api/v3/order", { orderCreation: true })?.kind, "reject");
});

Deno.test("FaultInjector.failNext() queues one-shot faults before random ones", () => {
  const f = new FaultInjector();
  f.failNext("/api/v3/klines", "429", { count: 2, retryAfterS: 3 });
  f.failNext("/api/v3/order", "drop_after", { method: "POST" });
  assert.equal(f.decide("GET", "/api/v3/order"), undefined);
  const first = f.decide("GET", "/api/v3/klines") as FaultDecision;
  assert.deepEqual([first.kind, first.status, first.retryAfterS], ["429", 429, 3]);
  assert.equal(f.decide("GET", "/api/v3/klines")?.kind, "429");
  assert.equal(f.decide("GET", "/api/v3/klines"), undefined);
  assert.equal(f.decide("POST", "/api/v3/order", { orderCreation: true })?.kind, "drop_after");
  assert.equal(f.decide("POST", "/api/v3/order", { orderCreation: true }), undefined);
});

Deno.test("FaultInjector.configure() refuses bad rates and kinds", () => {
  assert.throws(() => new FaultInjector({ rate: 1.5, kinds: ["429"] }), UsageError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => new FaultInjector({ rate: 0.1, kinds: ["boom" as any] }), UsageError);
  assert.throws(() => new FaultInjector({ rate: 0.1, kinds: [] }), UsageError);
  assert.throws(() => new FaultInjector().failNext("/x", "5xx", { status: 404 }), UsageError);
});
