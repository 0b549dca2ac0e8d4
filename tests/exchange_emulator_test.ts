/**
 * The exchange emulator against the real ccxt client (binance class) on 127.0.0.1: market data
 * paging, the order lifecycle, Binance's errors as ccxt's error classes, and injected faults.
 * The emulator serves the fixture snapshot (knowledge = bar end + 10 s) on a ReplayedClock.
 */
import assert from "node:assert/strict";
import ccxt from "ccxt";
import pl from "nodejs-polars";
import { readBars, ReplayedClock } from "../lib/sim/mod.ts";
import {
  emulatorCcxtOptions,
  type ExchangeEmulator,
  type ExchangeEmulatorOptions,
  startExchangeEmulator,
} from "../lib/sim/exchange_emulator/mod.ts";
import { FIXTURE_SNAPSHOT } from "./_cli.ts";

const M5 = 300_000;
type Binance = InstanceType<typeof ccxt.binance>;
/** 2025-01-09T00:00:10Z: bars ending up to 2025-01-09T00:00 are known (3 days, 864 per pair). */
const NOW = Date.UTC(2025, 0, 9, 0, 0, 10);

let _bars: pl.DataFrame | undefined;

/** The free or used amount of an asset in a ccxt balance structure. */
function amount(balance: object, asset: string, kind: "free" | "used"): number | undefined {
  const entry = (balance as Record<string, { free?: number; used?: number } | undefined>)[asset];
  return entry?.[kind];
}

async function fixtureBars(): Promise<pl.DataFrame> {
  _bars ??= await readBars(FIXTURE_SNAPSHOT);
  return _bars;
}

async function withEmulator(
  fn: (
    ctx: { emulator: ExchangeEmulator; clock: ReplayedClock; exchange: Binance },
  ) => Promise<void>,
  options: Partial<ExchangeEmulatorOptions> = {},
): Promise<void> {
  const clock = new ReplayedClock(NOW);
  const emulator = await startExchangeEmulator(await fixtureBars(), {
    clock,
    balances: { USDT: 100_000, BTC: 1 },
    halfSpreadBps: 1,
    makerFeeBps: 10,
    takerFeeBps: 10,
    volumeShare: 0.1,
    ...options,
  });
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    await fn({ emulator, clock, exchange });
  } finally {
    await emulator.close();
  }
}

/** The fixture's BTC/USDT bars ending in (after, upTo] as ccxt OHLCV rows (open time first). */
async function snapshotCandles(after: number, upTo: number): Promise<number[][]> {
  const btc = (await fixtureBars()).filter(
    pl.col("full_symbol").eq(pl.lit("binance::BTC_USDT")),
  );
  const f = (c: string) => btc.getColumn(c).cast(pl.Float64).toArray() as number[];
  const [ts, o, h, l, c, v] = ["timestamp", "open", "high", "low", "close", "volume"].map(f) as [
    number[],
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  const out: number[][] = [];
  ts.forEach((t, i) => {
    if (t > after && t <= upTo) {
      out.push([
        t - M5,
        o[i] as number,
        h[i] as number,
        l[i] as number,
        c[i] as number,
        v[i] as number,
      ]);
    }
  });
  return out;
}

Deno.test("ccxt fetchOHLCV pages through exactly the snapshot bars known at the clock", async () => {
  await withEmulator(async ({ clock, exchange, emulator }) => {
    const start = Date.UTC(2025, 0, 6);
    const got: number[][] = [];
    let since = start;
    for (;;) {
      const page = await exchange.fetchOHLCV("BTC/USDT", "5m", since, 300);
      if (page.length === 0) break;
      got.push(...page.map((k) => k.map(Number)));
      since = (page.at(-1)?.[0] as number) + M5;
    }
    const expected = await snapshotCandles(start, Date.UTC(2025, 0, 9));
    assert.equal(expected.length, 864);
    assert.deepEqual(got, expected);
    assert.equal(emulator.requestCount("/api/v3/klines"), 4); // 300 + 300 + 264 + empty
    assert.equal(emulator.requestCount("/api/v3/exchangeInfo"), 1);
    // The bar ending 00:05 appears only once it is known (00:05:10), never while it forms.
    await clock.advanceTo(Date.UTC(2025, 0, 9, 0, 5, 9));
    assert.equal((await exchange.fetchOHLCV("BTC/USDT", "5m", since)).length, 0);
    await clock.advanceTo(Date.UTC(2025, 0, 9, 0, 5, 10));
    const [k] = await exchange.fetchOHLCV("BTC/USDT", "5m", since);
    assert.deepEqual(k?.map(Number), (await snapshotCandles(NOW, Date.UTC(2025, 0, 9, 0, 5)))[0]);
    // Longer intervals are aggregated: the last full hour.
    const [hour] = await exchange.fetchOHLCV("BTC/USDT", "1h", Date.UTC(2025, 0, 8, 23), 1);
    const bars = await snapshotCandles(Date.UTC(2025, 0, 8, 23), Date.UTC(2025, 0, 9));
    assert.deepEqual(hour?.slice(0, 5), [
      Date.UTC(2025, 0, 8, 23),
      bars[0]?.[1],
      Math.max(...bars.map((b) => b[2] as number)),
      Math.min(...bars.map((b) => b[3] as number)),
      bars[11]?.[4],
    ]);
  });
});

Deno.test("ccxt loads the snapshot's markets with Binance's filters", async () => {
  await withEmulator(async ({ exchange, emulator }) => {
    const markets = await exchange.loadMarkets();
    assert.deepEqual(Object.keys(markets).sort(), [
      "ADA/USDT",
      "BNB/USDT",
      "BTC/USDT",
      "DOGE/USDT",
      "ETH/USDT",
      "LTC/USDT",
      "SOL/USDT",
      "XRP/USDT",
    ]);
    const btc = markets["BTC/USDT"];
    assert.equal(btc?.precision.price, 0.01);
    assert.equal(btc?.precision.amount, 0.00001);
    assert.equal(btc?.limits.cost?.min, 5);
    assert.equal(markets["DOGE/USDT"]?.precision.price, 0.00001);
    assert.equal(markets["DOGE/USDT"]?.precision.amount, 1);
    assert.deepEqual(emulator.requests().map((r) => r.path), ["/api/v3/exchangeInfo"]);
    assert.equal(await exchange.fetchTime(), NOW);
  });
});

Deno.test("ccxt tickers, book tickers and order book follow the last known close", async () => {
  await withEmulator(async ({ exchange }) => {
    const [last] = (await snapshotCandles(NOW - 3 * M5, NOW)).slice(-1);
    const close = last?.[4] as number;
    const ticker = await exchange.fetchTicker("BTC/USDT");
    assert.equal(ticker.last, close);
    assert.equal(ticker.bid, Math.floor(close * 0.9999 * 100 + 1e-7) / 100);
    assert.equal(ticker.ask, Math.ceil(close * 1.0001 * 100 - 1e-7) / 100);
    const book = await exchange.fetchOrderBook("BTC/USDT", 5);
    assert.equal(book.bids.length, 5);
    assert.equal(book.bids[0]?.[0], ticker.bid);
    assert.equal(book.asks[0]?.[0], ticker.ask);
    assert.ok((book.asks[1]?.[0] as number) > (book.asks[0]?.[0] as number));
    const tickers = await exchange.fetchTickers(["BTC/USDT", "ETH/USDT"]);
    assert.deepEqual(Object.keys(tickers).sort(), ["BTC/USDT", "ETH/USDT"]);
    const bidsAsks = await exchange.fetchBidsAsks(["BTC/USDT"]);
    assert.equal(bidsAsks["BTC/USDT"]?.bid, ticker.bid);
  });
});

Deno.test("ccxt market and limit orders fill, cancel and settle balances as on Binance", async () => {
  await withEmulator(async ({ exchange, clock }) => {
    const before = await exchange.fetchBalance();
    assert.equal(amount(before, "USDT", "free"), 100_000);
    const ticker = await exchange.fetchTicker("BTC/USDT");
    const ask = ticker.ask as number;
    const bid = ticker.bid as number;

    const buy = await exchange.createOrder("BTC/USDT", "market", "buy", 0.01);
    assert.deepEqual([buy.status, buy.filled, buy.average, buy.side], ["closed", 0.01, ask, "buy"]);
    assert.ok(Math.abs((buy.fee?.cost as number) - ask * 0.01 * 0.001) < 1e-9);
    assert.equal(buy.fee?.currency, "USDT");
    const sell = await exchange.createOrder("BTC/USDT", "market", "sell", 0.02);
    assert.deepEqual([sell.status, sell.filled, sell.average], ["closed", 0.02, bid]);

    let balance = await exchange.fetchBalance();
    assert.ok(Math.abs((amount(balance, "BTC", "free") as number) - 0.99) < 1e-12);
    const usdt = 100_000 - ask * 0.01 * 1.001 + bid * 0.02 * 0.999;
    assert.ok(Math.abs((amount(balance, "USDT", "free") as number) - usdt) < 1e-6);

    // A resting limit buy below the market, and one far below that we cancel.
    const limitPrice = Math.round(bid * 0.995);
    const limit = await exchange.createOrder("BTC/USDT", "limit", "buy", 0.05, limitPrice);
    assert.deepEqual([limit.status, limit.filled, limit.remaining], ["open", 0, 0.05]);
    const far = await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 50_000);
    assert.deepEqual(
      (await exchange.fetchOpenOrders("BTC/USDT")).map((o) => o.id).sort(),
      [
        String(limit.id),
        String(far.id),
      ].sort(),
    );
    balance = await exchange.fetchBalance();
    const locked = 0.05 * limitPrice * 1.001 + 0.01 * 50_000 * 1.001;
    assert.ok(Math.abs((amount(balance, "USDT", "used") as number) - locked) < 1e-6);

    const canceled = await exchange.cancelOrder(String(far.id), "BTC/USDT");
    assert.equal(canceled.status, "canceled");
    assert.equal((await exchange.fetchOrder(String(far.id), "BTC/USDT")).status, "canceled");

    // Advance until a later bar trades through the limit (the fixture's BTC fell below it).
    const lows = await snapshotCandles(NOW, Date.UTC(2025, 0, 12));
    const hit = lows.find((b) => (b[3] as number) <= limitPrice);
    assert.ok(hit !== undefined, "a later bar reaches the limit");
    await clock.advanceTo(Date.UTC(2025, 0, 12));
    const filled = await exchange.fetchOrder(String(limit.id), "BTC/USDT");
    assert.deepEqual([filled.status, filled.filled, filled.average], ["closed", 0.05, limitPrice]);
    // It filled in full (10% of a BTC bar is several BTC) at the end of the first bar reaching it.
    assert.equal(filled.lastTradeTimestamp, (hit[0] as number) + M5);
    assert.deepEqual(await exchange.fetchOpenOrders("BTC/USDT"), []);

    const trades = await exchange.fetchMyTrades("BTC/USDT");
    assert.deepEqual(trades.map((t) => [t.order, t.side, t.takerOrMaker]).slice(0, 2), [
      [buy.id, "buy", "taker"],
      [sell.id, "sell", "taker"],
    ]);
    const limitTrades = trades.filter((t) => t.order === String(limit.id));
    assert.ok(limitTrades.length >= 1);
    assert.ok(limitTrades.every((t) => t.price === limitPrice && t.takerOrMaker === "maker"));
    assert.ok(Math.abs(limitTrades.reduce((s, t) => s + (t.amount as number), 0) - 0.05) < 1e-12);
    assert.ok(limitTrades.every((t) => (t.timestamp as number) >= (limit.timestamp as number)));

    balance = await exchange.fetchBalance();
    assert.ok(Math.abs((amount(balance, "BTC", "free") as number) - 1.04) < 1e-12);
    assert.equal(amount(balance, "USDT", "used"), 0);
    const usdtAfter = usdt - 0.05 * limitPrice * 1.001;
    assert.ok(Math.abs((amount(balance, "USDT", "free") as number) - usdtAfter) < 1e-6);
  });
});

Deno.test("ccxt limit sell fills partially per bar when larger than the bar volume share", async () => {
  await withEmulator(async ({ exchange, clock, emulator }) => {
    const ticker = await exchange.fetchTicker("DOGE/USDT");
    const price = ticker.ask as number; // above the bid: rests
    const doge = emulator.markets.get("DOGEUSDT");
    assert.ok(doge !== undefined);
    // The first later bar that trades at or above the price.
    let j = doge.lastKnownIndex(NOW) + 1;
    while ((doge.high[j] as number) < price) j++;
    const share = Math.floor((doge.volume[j] as number) * 0.1); // DOGE's step is 1
    const qty = share + 1000;
    emulator.account.setFree("DOGE", qty);
    const order = await exchange.createOrder("DOGE/USDT", "limit", "sell", qty, price);
    assert.equal(order.status, "open");
    await clock.advanceTo((doge.knownAt[j] as number) - 1);
    assert.equal((await exchange.fetchOrder(String(order.id), "DOGE/USDT")).filled, 0);
    await clock.advanceTo(doge.knownAt[j] as number);
    const after = await exchange.fetchOrder(String(order.id), "DOGE/USDT");
    assert.deepEqual([after.status, after.filled, after.remaining], ["open", share, 1000]);
    assert.equal(after.info["status"], "PARTIALLY_FILLED");
    const balance = await exchange.fetchBalance();
    assert.equal(amount(balance, "DOGE", "used"), 1000);
  });
});

Deno.test("ccxt sees duplicate client ids, bad signatures and bad symbols as Binance errors", async () => {
  await withEmulator(async ({ exchange, emulator }) => {
    const params = { newClientOrderId: "dagtrade-1" };
    await exchange.createOrder("BTC/USDT", "market", "buy", 0.001, undefined, params);
    await assert.rejects(
      exchange.createOrder("BTC/USDT", "market", "buy", 0.001, undefined, params),
      (e: unknown) => e instanceof ccxt.InvalidOrder && /Duplicate order sent/.test(String(e)),
    );
    await assert.rejects(
      exchange.createOrder("BTC/USDT", "market", "buy", 100),
      ccxt.InsufficientFunds,
    );
    await assert.rejects(
      exchange.createOrder("BTC/USDT", "limit", "buy", 0.00001, 1000),
      // Binance's {"code":-1013,"msg":"Filter failure: NOTIONAL"}: ccxt maps -1013 to BadRequest.
      (e: unknown) => e instanceof ccxt.BadRequest && /NOTIONAL/.test(String(e)),
    );
    await assert.rejects(exchange.fetchOrder("999", "BTC/USDT"), ccxt.OrderNotFound);
    await assert.rejects(exchange.cancelOrder("999", "BTC/USDT"), ccxt.OrderNotFound);

    const forged = new ccxt.binance({ ...emulatorCcxtOptions(emulator), secret: "wrong" });
    await assert.rejects(
      forged.fetchBalance(),
      (e: unknown) => e instanceof ccxt.AuthenticationError && /-1022/.test(String(e)),
    );
    const stranger = new ccxt.binance({ ...emulatorCcxtOptions(emulator), apiKey: "nobody" });
    await assert.rejects(stranger.fetchBalance(), ccxt.AuthenticationError);
    const stale = new ccxt.binance({ ...emulatorCcxtOptions(emulator), nonce: () => NOW - 60_000 });
    await assert.rejects(stale.fetchBalance(), ccxt.InvalidNonce);

    await assert.rejects(
      exchange.publicGetKlines({ symbol: "FOOUSDT", interval: "5m" }),
      (e: unknown) => e instanceof ccxt.BadSymbol && /Invalid symbol/.test(String(e)),
    );
    await assert.rejects(
      exchange.publicGetKlines({ symbol: "BTCUSDT", interval: "7m" }),
      (e: unknown) => e instanceof ccxt.BadRequest && /Invalid interval/.test(String(e)),
    );
  });
});

Deno.test("ccxt sees 429 as DDoSProtection, 5xx as ExchangeNotAvailable, drops as NetworkError", async () => {
  await withEmulator(async ({ exchange, emulator }) => {
    await exchange.loadMarkets();
    emulator.failNext("/api/v3/klines", "429", { retryAfterS: 3 });
    await assert.rejects(
      exchange.fetchOHLCV("BTC/USDT", "5m"),
      (e: unknown) => e instanceof ccxt.DDoSProtection && e instanceof ccxt.NetworkError,
    );
    emulator.failNext("/api/v3/klines", "5xx", { status: 503 });
    await assert.rejects(exchange.fetchOHLCV("BTC/USDT", "5m"), ccxt.ExchangeNotAvailable);
    emulator.failNext("/api/v3/klines", "drop");
    await assert.rejects(
      exchange.fetchOHLCV("BTC/USDT", "5m"),
      (e: unknown) => e instanceof ccxt.NetworkError && !(e instanceof ccxt.RequestTimeout),
    );
    assert.equal((await exchange.fetchOHLCV("BTC/USDT", "5m", undefined, 3)).length, 3);
    assert.deepEqual(emulator.requests().slice(-4).map((r) => r.fault), [
      "429",
      "5xx",
      "drop",
      undefined,
    ]);

    // The order is created but the answer is lost: a resubmission with the same client id is
    // refused, and the order can be found by its client id.
    emulator.failNext("/api/v3/order", "drop_after", { method: "POST" });
    const params = { newClientOrderId: "lost-answer" };
    await assert.rejects(
      exchange.createOrder("BTC/USDT", "market", "buy", 0.001, undefined, params),
      ccxt.NetworkError,
    );
    await assert.rejects(
      exchange.createOrder("BTC/USDT", "market", "buy", 0.001, undefined, params),
      ccxt.InvalidOrder,
    );
    const found = await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "lost-answer" });
    assert.deepEqual([found.status, found.filled], ["closed", 0.001]);
  });
});

Deno.test("exchange-emulator command prints its URL, serves the snapshot and stops on abort", async () => {
  const { exchangeEmulatorCommand } = await import("../cmd/exchange_emulator.ts");
  const controller = new AbortController();
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
    },
    stderrIsTerminal: false,
    env: (_: string) => undefined,
    signal: controller.signal,
  };
  const exit = exchangeEmulatorCommand.run([
    "--data",
    FIXTURE_SNAPSHOT,
    "--symbols",
    "BTC/USDT,ETH/USDT",
    "--start",
    "2025-01-09T00:00:10Z",
    "--balance",
    "USDT=5000",
  ], io);
  try {
    while (!stdout.includes("\n")) await new Promise((r) => setTimeout(r, 5));
    const url = stdout.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const time = (await (await fetch(`${url}/api/v3/time`)).json()) as { serverTime: number };
    assert.ok(time.serverTime >= NOW);
    const info = (await (await fetch(`${url}/api/v3/exchangeInfo`)).json()) as {
      symbols: { symbol: string }[];
    };
    assert.deepEqual(info.symbols.map((s) => s.symbol), ["BTCUSDT", "ETHUSDT"]);
    // Another process would know only the URL: ccxt syncs its timestamps with /api/v3/time.
    const exchange = new ccxt.binance(emulatorCcxtOptions({ url }));
    const balance = await exchange.fetchBalance();
    assert.equal(amount(balance, "USDT", "free"), 5000);
    const [last] = await exchange.fetchOHLCV("BTC/USDT", "5m", undefined, 1);
    assert.equal(last?.[0], Date.UTC(2025, 0, 8, 23, 55));
    assert.match(
      stderr,
      /2 symbols \(BTC\/USDT, ETH\/USDT\), clock replayed from 2025-01-09T00:00:10Z/,
    );
  } finally {
    controller.abort();
  }
  assert.equal(await exit, 0);
  assert.match(stderr, /stopped after \d+ requests/);
});

Deno.test("exchange-emulator command refuses bad options with UsageError", async () => {
  const { exchangeEmulatorCommand } = await import("../cmd/exchange_emulator.ts");
  const io = {
    stdout: () => {},
    stderr: () => {},
    stderrIsTerminal: false,
    env: () => undefined,
    signal: new AbortController().signal,
  };
  for (
    const extra of [["--speed", "0"], ["--balance", "USDT"], [
      "--fault-kinds",
      "boom",
      "--fault-rate",
      "0.1",
    ], ["--clock", "real", "--start", "2025-01-09"]]
  ) {
    await assert.rejects(
      exchangeEmulatorCommand.run(["--data", FIXTURE_SNAPSHOT, ...extra], io),
      (e: unknown) => e instanceof Error && e.name === "UsageError",
      extra.join(" "),
    );
  }
});

Deno.test("ccxt inside an event-driven ReplayedClock run: orders fill as the clock jumps", async () => {
  await withEmulator(async ({ exchange, clock, emulator }) => {
    const result = await clock.run(async () => {
      const bid = (await exchange.fetchTicker("BTC/USDT")).bid as number;
      const price = Math.round(bid * 0.995);
      const order = await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, price);
      await clock.sleepUntil(Date.UTC(2025, 0, 12));
      const filled = await exchange.fetchOrder(String(order.id), "BTC/USDT");
      // A latency fault sleeps on the same clock: the answer comes 5 simulated seconds later.
      emulator.failNext("/api/v3/time", "latency", { latencyMs: 5000 });
      const time = await exchange.fetchTime();
      return { status: filled.status, average: filled.average, price, time };
    });
    assert.deepEqual([result.status, result.average], ["closed", result.price]);
    assert.equal(result.time, Date.UTC(2025, 0, 12) + 5000);
  });
});

Deno.test("the emulator serves on a RealClock: every past bar known, orders stamped with wall time", async () => {
  const { RealClock } = await import("../lib/sim/mod.ts");
  const clock = new RealClock();
  const emulator = await startExchangeEmulator(await fixtureBars(), { clock });
  try {
    const exchange = new ccxt.binance(emulatorCcxtOptions(emulator));
    const [last] = await exchange.fetchOHLCV("ETH/USDT", "5m", undefined, 1);
    assert.equal(last?.[0], Date.UTC(2025, 1, 17) - M5);
    const before = clock.now();
    const order = await exchange.createOrder("ETH/USDT", "market", "buy", 0.01);
    assert.equal(order.status, "closed");
    assert.ok((order.timestamp as number) >= before && (order.timestamp as number) <= clock.now());
  } finally {
    await emulator.close();
  }
});
