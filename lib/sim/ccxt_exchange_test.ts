import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { createCcxtExchange, overrideApiUrls } from "./ccxt_exchange.ts";

Deno.test("overrideApiUrls() replaces scheme and host of every API URL, keeping paths", () => {
  assert.deepEqual(
    overrideApiUrls({
      public: "https://api.binance.com/api/v3",
      fapiData: "https://fapi.binance.com/futures/data",
      nested: { rest: "https://api.{hostname}/v1" },
    }, "http://127.0.0.1:8080/"),
    {
      public: "http://127.0.0.1:8080/api/v3",
      fapiData: "http://127.0.0.1:8080/futures/data",
      nested: { rest: "http://127.0.0.1:8080/v1" },
    },
  );
  assert.equal(overrideApiUrls("https://api.kraken.com", "http://h:1"), "http://h:1");
});

Deno.test("createCcxtExchange() builds a rate-limited ccxt exchange pointed at a base URL", async () => {
  const ex = await createCcxtExchange("binance", {
    baseUrl: "http://127.0.0.1:8080",
    timeoutMs: 2500,
  });
  const raw = ex as unknown as {
    urls: { api: Record<string, string> };
    enableRateLimit: boolean;
    timeout: number;
    options: { fetchMarkets: { types: string[] } };
  };
  assert.equal(ex.id, "binance");
  assert.equal(raw.urls.api.public, "http://127.0.0.1:8080/api/v3");
  assert.equal(raw.urls.api.sapi, "http://127.0.0.1:8080/sapi/v1");
  assert.ok(Object.values(raw.urls.api).every((u) => u.startsWith("http://127.0.0.1:8080/")));
  assert.equal(raw.enableRateLimit, true);
  assert.equal(raw.timeout, 2500);
  assert.deepEqual(raw.options.fetchMarkets.types, ["spot"]);
  assert.ok(ex.timeframes?.["5m"] !== undefined);
});

Deno.test("createCcxtExchange() refuses unknown exchanges and malformed URLs", async () => {
  await assert.rejects(
    createCcxtExchange("binanc"),
    (e: unknown) =>
      e instanceof UsageError &&
      /^Unknown ccxt exchange 'binanc'; similar: .*binance/.test(e.message),
  );
  await assert.rejects(createCcxtExchange("binance", { baseUrl: "127.0.0.1:8080" }), UsageError);
  await assert.rejects(createCcxtExchange("binance", { baseUrl: "ftp://h" }), UsageError);
});
