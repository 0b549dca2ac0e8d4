import assert from "node:assert/strict";
import { BinanceApiError, BinanceErrors } from "./binance_api_error.ts";

Deno.test("BinanceApiError.body() is Binance's JSON error body", () => {
  const e = BinanceErrors.invalidSymbol();
  assert.ok(e instanceof BinanceApiError);
  assert.equal(e.status, 400);
  assert.equal(e.body(), '{"code":-1121,"msg":"Invalid symbol."}');
  assert.equal(BinanceErrors.invalidInterval().body(), '{"code":-1120,"msg":"Invalid interval."}');
  assert.equal(
    BinanceErrors.badSignature().body(),
    '{"code":-1022,"msg":"Signature for this request is not valid."}',
  );
});

Deno.test("BinanceErrors.tooManyRequests() is a 429 with Retry-After and -1003", () => {
  const e = BinanceErrors.tooManyRequests(7);
  assert.equal(e.status, 429);
  assert.equal(e.code, -1003);
  assert.deepEqual(e.headers, { "Retry-After": "7" });
});
