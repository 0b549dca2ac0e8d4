import assert from "node:assert/strict";
import { BinanceApiError } from "./binance_api_error.ts";
import { binanceSignature, verifySignedRequest } from "./binance_signature.ts";
import { parseParams } from "./emulator_router.ts";

const KEY = "key";
const SECRET = "secret";
const NOW = 1_700_000_000_000;

function signed(query: string, body = "", apiKey: string | undefined = KEY) {
  const sig = binanceSignature(SECRET, query + body);
  const q = body === "" ? `${query}&signature=${sig}` : query;
  const b = body === "" ? body : `${body}&signature=${sig}`;
  return { apiKey, query: q, body: b, params: parseParams(q, b) };
}

function code(fn: () => void): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof BinanceApiError) return e.code;
    throw e;
  }
  return undefined;
}

Deno.test("binanceSignature() matches Binance's documented HMAC example", () => {
  // From Binance's API docs (SIGNED endpoint examples).
  const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  const payload =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
  assert.equal(
    binanceSignature(secret, payload),
    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
  );
});

Deno.test("verifySignedRequest() accepts a good request in the query or the body", () => {
  const opts = { apiKey: KEY, secret: SECRET, now: NOW };
  assert.equal(
    code(() => verifySignedRequest(signed(`symbol=BTCUSDT&timestamp=${NOW}`), opts)),
    undefined,
  );
  assert.equal(
    code(() => verifySignedRequest(signed("", `symbol=BTCUSDT&timestamp=${NOW - 4000}`), opts)),
    undefined,
  );
});

Deno.test("verifySignedRequest() refuses bad keys, signatures and timestamps with Binance's codes", () => {
  const opts = { apiKey: KEY, secret: SECRET, now: NOW };
  const good = signed(`symbol=BTCUSDT&timestamp=${NOW}`);
  assert.equal(code(() => verifySignedRequest({ ...good, apiKey: undefined }, opts)), -2014);
  assert.equal(code(() => verifySignedRequest({ ...good, apiKey: "other" }, opts)), -2015);
  const tampered = good.query.replace("BTCUSDT", "ETHUSDT");
  assert.equal(
    code(() =>
      verifySignedRequest({ ...good, query: tampered, params: parseParams(tampered, "") }, opts)
    ),
    -1022,
  );
  assert.equal(code(() => verifySignedRequest(signed(`timestamp=${NOW - 5001}`), opts)), -1021);
  assert.equal(code(() => verifySignedRequest(signed(`timestamp=${NOW + 1000}`), opts)), -1021);
  assert.equal(
    code(() =>
      verifySignedRequest(signed(`timestamp=${NOW - 5001}`), { ...opts, checkTimestamp: false })
    ),
    undefined,
  );
  assert.equal(
    code(() => verifySignedRequest(signed(`timestamp=${NOW - 9000}&recvWindow=10000`), opts)),
    undefined,
  );
  assert.equal(
    code(() => verifySignedRequest(signed(`timestamp=${NOW}&recvWindow=60001`), opts)),
    -1131,
  );
  assert.equal(code(() => verifySignedRequest(signed("symbol=BTCUSDT"), opts)), -1102);
});
