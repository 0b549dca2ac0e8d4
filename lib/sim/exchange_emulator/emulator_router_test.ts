import assert from "node:assert/strict";
import { BinanceErrors } from "./binance_api_error.ts";
import { EmulatorRouter, parseParams } from "./emulator_router.ts";

function request(method: string, path: string, query = "", body = "") {
  return { method, path, query, body, params: parseParams(query, body), header: () => undefined };
}

Deno.test("EmulatorRouter.handle() dispatches by method and path and answers JSON", async () => {
  const router = new EmulatorRouter();
  router.add("GET /api/v3/time", () => ({ serverTime: 5 }));
  router.add("POST /api/v3/order", (r) => ({ symbol: r.params.get("symbol") }));
  assert.deepEqual(await router.handle(request("GET", "/api/v3/time")), {
    status: 200,
    body: '{"serverTime":5}',
    headers: {},
  });
  const posted = await router.handle(request("POST", "/api/v3/order", "a=1", "symbol=BTCUSDT"));
  assert.equal(posted.body, '{"symbol":"BTCUSDT"}');
  assert.ok(router.has("get", "/api/v3/time"));
  assert.deepEqual(router.routes(), ["GET /api/v3/time", "POST /api/v3/order"]);
});

Deno.test("EmulatorRouter.handle() answers Binance error bodies, 404 for unknown paths", async () => {
  const router = new EmulatorRouter({
    authenticate: (r) => {
      if (r.params.get("signature") !== "ok") throw BinanceErrors.badSignature();
    },
  });
  router.add("GET /api/v3/klines", () => {
    throw BinanceErrors.invalidSymbol();
  });
  router.add("GET /api/v3/account", () => ({ ok: true }), { signed: true });
  router.add("GET /api/v3/boom", () => {
    throw new Error("kaput");
  });
  const bad = await router.handle(request("GET", "/api/v3/klines"));
  assert.deepEqual([bad.status, bad.body], [400, '{"code":-1121,"msg":"Invalid symbol."}']);
  const unsigned = await router.handle(request("GET", "/api/v3/account", "signature=no"));
  assert.equal(JSON.parse(unsigned.body).code, -1022);
  assert.equal(
    (await router.handle(request("GET", "/api/v3/account", "signature=ok"))).status,
    200,
  );
  const missing = await router.handle(request("GET", "/fapi/v1/exchangeInfo"));
  assert.equal(missing.status, 404);
  assert.match(JSON.parse(missing.body).msg, /GET \/fapi\/v1\/exchangeInfo is not served/);
  const boom = await router.handle(request("GET", "/api/v3/boom"));
  assert.deepEqual([boom.status, JSON.parse(boom.body).code], [500, -1000]);
});

Deno.test("parseParams() merges query and form body, the body winning", () => {
  const p = parseParams("symbol=BTCUSDT&limit=5", "limit=7&side=BUY");
  assert.deepEqual([...p], [["symbol", "BTCUSDT"], ["limit", "7"], ["side", "BUY"]]);
});
