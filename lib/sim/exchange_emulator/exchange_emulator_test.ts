import assert from "node:assert/strict";
import ccxt from "ccxt";
import { ReplayedClock } from "../replayed_clock.ts";
import { emulatorCcxtOptions, startExchangeEmulator } from "./exchange_emulator.ts";
import { _barsFrame, _flatBars, _M5, _signedFetch, _T0 } from "./_test_helpers.ts";

const NOW = _T0 + 3 * _M5 + 10_000;

async function start(options: { faults?: { rate: number; kinds: ("429" | "5xx")[] } } = {}) {
  const clock = new ReplayedClock(NOW);
  const emulator = await startExchangeEmulator(_barsFrame(_flatBars(6)), {
    clock,
    balances: { USDT: 1_000_000 },
    ...options,
  });
  return { clock, emulator };
}

async function json(res: Response): Promise<{ status: number; body: unknown }> {
  return { status: res.status, body: await res.json() };
}

Deno.test("startExchangeEmulator() listens on an ephemeral loopback port and serves the clock's time", async () => {
  const { clock, emulator } = await start();
  try {
    assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await json(await fetch(`${emulator.url}/api/v3/ping`)), {
      status: 200,
      body: {},
    });
    assert.deepEqual((await json(await fetch(`${emulator.url}/api/v3/time`))).body, {
      serverTime: NOW,
    });
    await clock.advanceTo(NOW + 1234);
    assert.deepEqual((await json(await fetch(`${emulator.url}/api/v3/time`))).body, {
      serverTime: NOW + 1234,
    });
    assert.equal(emulator.requestCount(), 3);
    assert.equal(emulator.requestCount("/api/v3/time"), 2);
    assert.deepEqual(emulator.requests().map((r) => [r.time, r.path, r.status]), [
      [NOW, "/api/v3/ping", 200],
      [NOW, "/api/v3/time", 200],
      [NOW + 1234, "/api/v3/time", 200],
    ]);
  } finally {
    await emulator.close();
  }
});

Deno.test("ExchangeEmulator serves klines with Binance's errors for bad symbols, intervals and limits", async () => {
  const { emulator } = await start();
  try {
    const get = async (q: string) => await json(await fetch(`${emulator.url}/api/v3/klines?${q}`));
    const ok = await get("symbol=BTCUSDT&interval=5m");
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body as unknown[][]).map((k) => k[0]), [_T0, _T0 + _M5, _T0 + 2 * _M5]);
    assert.deepEqual(await get("symbol=FOOUSDT&interval=5m"), {
      status: 400,
      body: { code: -1121, msg: "Invalid symbol." },
    });
    assert.deepEqual(await get("symbol=BTCUSDT&interval=7m"), {
      status: 400,
      body: { code: -1120, msg: "Invalid interval." },
    });
    assert.equal(
      ((await get("symbol=BTCUSDT&interval=5m&limit=1001")).body as { code: number }).code,
      -1130,
    );
    assert.equal(((await get("interval=5m")).body as { code: number }).code, -1102);
    const missing = await json(await fetch(`${emulator.url}/fapi/v1/exchangeInfo`));
    assert.equal(missing.status, 404);
  } finally {
    await emulator.close();
  }
});

Deno.test("ExchangeEmulator.failNext() answers 429 with Retry-After, 5xx, and drops connections", async () => {
  const { emulator } = await start();
  try {
    emulator.failNext("/api/v3/time", "429", { retryAfterS: 2 });
    const limited = await fetch(`${emulator.url}/api/v3/time`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.equal(((await limited.json()) as { code: number }).code, -1003);
    emulator.failNext("/api/v3/time", "5xx", { status: 502 });
    const bad = await fetch(`${emulator.url}/api/v3/time`);
    assert.equal(bad.status, 502);
    assert.match(await bad.text(), /502 Bad Gateway/);
    emulator.failNext("/api/v3/time", "drop");
    await assert.rejects(fetch(`${emulator.url}/api/v3/time`), TypeError);
    assert.equal((await fetch(`${emulator.url}/api/v3/time`)).status, 200);
    assert.deepEqual(emulator.requests().map((r) => [r.status, r.fault]), [
      [429, "429"],
      [502, "5xx"],
      ["dropped", "drop"],
      [200, undefined],
    ]);
  } finally {
    await emulator.close();
  }
});

Deno.test("ExchangeEmulator drop_after creates the order and drops the answer", async () => {
  const { emulator } = await start();
  try {
    emulator.failNext("/api/v3/order", "drop_after", { method: "POST" });
    const order = {
      method: "POST",
      path: "/api/v3/order",
      params: {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "MARKET",
        quantity: "1",
        newClientOrderId: "once",
      },
      now: NOW,
    };
    await assert.rejects(_signedFetch(emulator, order), TypeError);
    assert.equal(
      emulator.engine.getOrder({ symbol: "BTCUSDT", origClientOrderId: "once" }).status,
      "FILLED",
    );
    const again = await json(await _signedFetch(emulator, order));
    assert.deepEqual(again, { status: 400, body: { code: -2010, msg: "Duplicate order sent." } });
    assert.equal(emulator.engine.orders("BTCUSDT", { limit: 10 }).length, 1);
  } finally {
    await emulator.close();
  }
});

Deno.test("ExchangeEmulator 'reject' and random faults follow the configuration", async () => {
  const { emulator } = await start({ faults: { rate: 1, kinds: ["5xx"] } });
  try {
    assert.ok([502, 503].includes((await fetch(`${emulator.url}/api/v3/ping`)).status));
    emulator.setFaults({ rate: 1, kinds: ["reject"] });
    assert.equal((await fetch(`${emulator.url}/api/v3/ping`)).status, 200);
    const rejected = await json(
      await _signedFetch(emulator, {
        method: "POST",
        path: "/api/v3/order",
        params: { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "1" },
        now: NOW,
      }),
    );
    assert.deepEqual(rejected.body, {
      code: -2010,
      msg: "Account has insufficient balance for requested action.",
    });
    emulator.setFaults(undefined);
    assert.equal((await fetch(`${emulator.url}/api/v3/ping`)).status, 200);
  } finally {
    await emulator.close();
  }
});

Deno.test("ExchangeEmulator latency faults wait on the clock", async () => {
  const { clock, emulator } = await start();
  try {
    emulator.failNext("/api/v3/time", "latency", { latencyMs: 2000 });
    let answered = false;
    const pending = fetch(`${emulator.url}/api/v3/time`).then(async (r) => {
      answered = true;
      return await r.json();
    });
    while (clock.pendingWakeups === 0) await (await fetch(`${emulator.url}/api/v3/ping`)).text();
    await clock.advanceTo(NOW + 1999);
    assert.equal(answered, false);
    await clock.advanceTo(NOW + 2000);
    assert.deepEqual(await pending, { serverTime: NOW + 2000 });
  } finally {
    await emulator.close();
  }
});

Deno.test("ExchangeEmulator.close() is idempotent and aborts pending latency sleeps", async () => {
  const { emulator } = await start();
  emulator.failNext("/api/v3/time", "latency", { latencyMs: 60_000 });
  const pending = fetch(`${emulator.url}/api/v3/time`).then(() => "answered", (e) => e);
  const clock = emulator.clock as ReplayedClock;
  while (clock.pendingWakeups === 0) await (await fetch(`${emulator.url}/api/v3/ping`)).text();
  await Promise.all([emulator.close(), emulator.close()]);
  assert.ok((await pending) instanceof TypeError);
});

Deno.test("ExchangeEmulator.ccxtUrls() covers every API of ccxt's binance", async () => {
  const { emulator } = await start();
  try {
    const real = new ccxt.binance().urls["api"] as Record<string, string>;
    const ours = emulator.ccxtUrls();
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(real).sort());
    for (const [key, url] of Object.entries(real)) {
      assert.equal(ours[key], emulator.url + new URL(url).pathname, key);
    }
    const options = emulatorCcxtOptions(emulator);
    assert.equal(options.apiKey, emulator.apiKey);
    assert.equal(options.nonce?.(), NOW);
    assert.deepEqual(options.options["fetchMarkets"], { types: ["spot"] });
    const bare = emulatorCcxtOptions(emulator, { credentials: false, syncNonce: false });
    assert.equal("apiKey" in bare || "nonce" in bare, false);
    assert.equal(bare.options["adjustForTimeDifference"], true);
    const remote = emulatorCcxtOptions({ url: "http://127.0.0.1:9/" });
    assert.equal(remote.urls.api["public"], "http://127.0.0.1:9/api/v3");
    assert.equal(remote.secret, "dagtrade-emulator-secret");
  } finally {
    await emulator.close();
  }
});
