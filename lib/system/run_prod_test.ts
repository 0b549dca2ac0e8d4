import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { getBuilder } from "../dag/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { SqliteOmsDatabase } from "../oms/db/mod.ts";
import { assetIdOf, RealClock, ReplayedClock } from "../sim/mod.ts";
import {
  _API_KEY,
  _byOrder,
  _creations,
  _emulatorOrders,
  _emulatorTrades,
  _finalHoldings,
  _FIXTURE,
  _openRows,
  _prodConfig,
  _runProdOnVenue,
  _SECRET,
  _statistics,
  _withProdVenue,
} from "./_test_prod.ts";
import { runSimulation } from "./run_simulation.ts";
import { buildSimulateConfig } from "./simulate_settings.ts";

const BTC = assetIdOf("binance::BTC_USDT");
const ETH = assetIdOf("binance::ETH_USDT");

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesUnder(path));
    else out.push(path);
  }
  return out;
}

Deno.test("runProd (prod) on the emulator: positions match the balances, one fill per order, PnL within fees and slippage of simulate", async () => {
  await _withProdVenue(async (venue) => {
    const config = _prodConfig(venue, ["run_prod.passivity_factor=0"]);
    const { result, runDir } = await _runProdOnVenue(venue, config, { mode: "prod" });
    assert.equal(result.status, "completed");
    assert.equal(result.barsProcessed, 36);
    assert.equal(result.reconciliation?.ok, true);
    const run = await readJson(join(runDir, "run.json"));
    assert.equal(run.status, "completed");
    assert.equal(run.mode, "prod");

    // Positions = the emulator's balances (the account held no BTC or ETH before).
    const holdings = _finalHoldings(runDir);
    for (const [id, base] of [[BTC, "BTC"], [ETH, "ETH"]] as const) {
      const b = venue.emulator.account.balance(base);
      assert.ok(
        Math.abs((holdings.get(id) ?? 0) - (b.free + b.locked)) < 1e-9,
        `${base}: ${holdings.get(id)} vs ${b.free + b.locked}`,
      );
    }
    assert.ok((holdings.get(BTC) ?? 0) > 0 || (holdings.get(ETH) ?? 0) > 0, "it traded");

    // One parent fill per order; every child created once on the exchange.
    const db = await SqliteOmsDatabase.open(join(runDir, "oms.sqlite"));
    try {
      const fills = await db.listFills(result.runId);
      const orders = await db.listOrders(result.runId);
      assert.ok(fills.length > 5, `fills: ${fills.length}`);
      for (const [id, list] of _byOrder(fills)) assert.equal(list.length, 1, `order ${id}`);
      assert.deepEqual(_openRows(orders), [], "nothing left open");
      for (const [cid, n] of _creations(venue.emulator)) assert.equal(n, 1, cid);
      // The database's fills are the emulator's trades, folded per parent.
      const emulatorQty = ["BTCUSDT", "ETHUSDT"].map((s) =>
        _emulatorOrders(venue.emulator, s).reduce((n, o) => n + o.executedQty, 0)
      ).reduce((a, b) => a + b, 0);
      const dbQty = fills.reduce((n, f) => n + Math.abs(f.shares), 0);
      assert.ok(Math.abs(emulatorQty - dbQty) < 1e-9, `${emulatorQty} vs ${dbQty}`);
    } finally {
      await db.close();
    }

    // The same window in simulate (fill at the close, the emulator's 10 bps fee).
    const simDir = join(venue.root, "sim");
    const sim = await runSimulation(
      buildSimulateConfig({
        builder: getBuilder("sma_cross"),
        settings: {
          data: _FIXTURE,
          start: new Date(venue.start).toISOString(),
          end: new Date(venue.end).toISOString(),
          symbols: venue.symbols,
          style: "signal",
          sizing: "gmv",
          fill: "close",
          fee_bps: 10,
        },
      }),
      { dstDir: simDir, version: "test", wallClock: new RealClock() },
    );
    const prodStats = _statistics(runDir);
    const simStats = pl.readParquet(join(simDir, "process_forecasts/portfolio/statistics.parquet"));
    const sum = (df: pl.DataFrame, c: string) => df.getColumn(c).sum() as number;
    const prodPnl = result.stats.total_pnl as number;
    const simPnl = sim.stats.total_pnl as number;
    // Slippage: the half-spread (1 bp) crossed on every trade, and amounts rounded to the step.
    const slippage = 2e-4 * (sum(prodStats, "gross_volume") + sum(simStats, "gross_volume"));
    const fees = sum(prodStats, "fees") + sum(simStats, "fees");
    assert.ok(
      Math.abs(prodPnl - simPnl) <= fees + slippage,
      `prod ${prodPnl} vs simulate ${simPnl}: |diff| ${Math.abs(prodPnl - simPnl)} > ` +
        `fees ${fees} + slippage ${slippage}`,
    );
    // The same bars, and a settlement bar: the last bar's order, filled at its first wave, is
    // confirmed at the next wave, after the run's end (when the broker is closed).
    assert.equal(prodStats.height, simStats.height + 1);
    assert.deepEqual(
      Array.from(prodStats.getColumn("timestamp").cast(pl.Float64).toArray()),
      [...simStats.getColumn("timestamp").cast(pl.Float64).toArray(), venue.end + 300_000],
    );

    // No output file holds the API key or the secret.
    for (const file of await filesUnder(runDir)) {
      const bytes = await Deno.readFile(file);
      const text = new TextDecoder().decode(bytes);
      assert.ok(!text.includes(_API_KEY) && !text.includes(_SECRET), `secret in ${file}`);
    }
  });
});

Deno.test("runProd (prod): faults at the emulator (429, 5xx, timeouts, dropped connections, rejects, partial fills) never double an order nor lose a fill", async () => {
  const frozen = new ReplayedClock(0);
  await _withProdVenue(async (venue) => {
    venue.emulator.setFaults({
      rate: 0.1,
      kinds: ["429", "5xx", "drop", "drop_after", "latency", "reject"],
      seed: 7,
      latencyMs: 60_000,
      retryAfterS: 1,
    });
    // One resting child per parent at the mid, filled on the next bar (known at its end) for at
    // most 0.03% of the bar's volume: partial fills.
    const config = _prodConfig(venue, [
      "run_prod.passivity_factor=0.5",
      "run_prod.execution_freq_ms=300000",
      "run_prod.poll_delay_ms=1000",
    ]);
    const { result, runDir } = await _runProdOnVenue(venue, config, { mode: "prod" });
    venue.emulator.setFaults(undefined);
    assert.equal(result.status, "completed");
    const faults = venue.emulator.requests().filter((r) => r.fault !== undefined);
    const kinds = new Set(faults.map((r) => r.fault));
    assert.ok(faults.length >= 10 && kinds.size >= 5, `faults: ${faults.length} ${[...kinds]}`);
    assert.ok(
      faults.some((r) => r.method === "POST" && r.path === "/api/v3/order"),
      "order creations were hit",
    );
    for (const [cid, n] of _creations(venue.emulator)) assert.equal(n, 1, `created twice: ${cid}`);
    const run = await readJson(join(runDir, "run.json"));
    const prefix = String(run.client_order_id_prefix);
    const db = await SqliteOmsDatabase.open(join(runDir, "oms.sqlite"));
    try {
      const fills = await db.listFills(result.runId);
      const byOrder = _byOrder(fills);
      let partial = 0;
      for (const order of await db.listOrders(result.runId)) {
        const symbol = order.assetId === BTC ? "BTCUSDT" : "ETHUSDT";
        const children = new Set(
          _emulatorOrders(venue.emulator, symbol)
            .filter((o) => o.clientOrderId.startsWith(`${prefix}-${order.orderId}-`))
            .map((o) => o.orderId),
        );
        const traded = _emulatorTrades(venue.emulator, symbol)
          .filter((t) => children.has(t.orderId))
          .reduce((n, t) => n + (t.side === "BUY" ? t.qty : -t.qty), 0);
        const got = byOrder.get(order.orderId) ?? [];
        assert.ok(got.length <= 1, `one fill for order ${order.orderId}`);
        assert.ok(
          Math.abs((got[0]?.shares ?? 0) - traded) < 1e-9,
          `order ${order.orderId}: fill ${got[0]?.shares} vs trades ${traded}`,
        );
        if (got.length === 1 && Math.abs(traded) < Math.abs(order.diffShares) - 1e-9) partial++;
      }
      assert.ok(partial > 0, "some orders filled partially");
    } finally {
      await db.close();
    }
    const holdings = _finalHoldings(runDir);
    for (const [id, base] of [[BTC, "BTC"], [ETH, "ETH"]] as const) {
      const b = venue.emulator.account.balance(base);
      assert.ok(Math.abs((holdings.get(id) ?? 0) - (b.free + b.locked)) < 1e-9, base);
    }
    assert.deepEqual(venue.emulator.engine.openOrders(), [], "no child left resting");
  }, {
    emulator: { latencyClock: frozen, volumeShare: 0.0003 },
    ccxtTimeoutMs: 500,
    knownAtEnd: true,
  });
});

/** The risk trips of a run directory's run.json. */
async function trips(runDir: string): Promise<Record<string, unknown>[]> {
  return (await readJson(join(runDir, "run.json"))).risk_trips as Record<string, unknown>[];
}

Deno.test("runProd risk: max order notional and max gross exposure deny orders, each trip logged and in run.json", async () => {
  for (
    const [limit, control, pattern] of [
      [
        "run_prod.max_order_notional=6000",
        "max_order_notional",
        /risk: max_order_notional: order \d+ .* above the max order notional 6000\.00/,
      ],
      [
        "run_prod.max_gross_exposure=15000",
        "max_gross_exposure",
        /risk: max_gross_exposure: the gross exposure after the batch would be .* above the max gross exposure 15000\.00/,
      ],
    ] as const
  ) {
    await _withProdVenue(async (venue) => {
      const config = _prodConfig(venue, ["run_prod.passivity_factor=0", limit]);
      const { result, runDir } = await _runProdOnVenue(venue, config, { mode: "prod" });
      assert.equal(result.status, "completed");
      const all = await trips(runDir);
      assert.ok(all.length > 0 && all.every((t) => t.control === control), control);
      assert.match(await Deno.readTextFile(join(runDir, "log.txt")), pattern);
      const db = await SqliteOmsDatabase.open(join(runDir, "oms.sqlite"));
      try {
        const orders = await db.listOrders(result.runId);
        const denied = new Set(all.flatMap((t) => t.deniedOrderIds as number[]));
        assert.ok(denied.size > 0);
        for (const o of orders) {
          if (denied.has(o.orderId)) assert.equal(o.state, "rejected", `order ${o.orderId}`);
        }
      } finally {
        await db.close();
      }
      const stats = _statistics(runDir);
      const gmv = stats.getColumn("gmv").toArray() as number[];
      if (control === "max_gross_exposure") {
        assert.ok(Math.max(...gmv) <= 15_000 * 1.01, `gmv ${Math.max(...gmv)}`);
        assert.ok(Math.max(...gmv) > 5_000, "it traded below the limit");
      } else {
        assert.ok(Math.max(...gmv) < 6_000 * 1.01, `gmv ${Math.max(...gmv)}`);
      }
    });
  }
});

Deno.test("runProd risk: max loss with cancel-and-stop cancels open orders and stops (status stopped)", async () => {
  await _withProdVenue(async (venue) => {
    // Resting children: open orders are there to cancel when the loss limit trips.
    const config = _prodConfig(venue, ["run_prod.passivity_factor=1", "run_prod.max_loss=0.01"]);
    const { result, runDir } = await _runProdOnVenue(venue, config, { mode: "prod" });
    assert.equal(result.status, "stopped");
    assert.equal(result.stopTrip?.control, "max_loss");
    assert.ok(result.barsProcessed < 36, `stopped early: ${result.barsProcessed}`);
    const run = await readJson(join(runDir, "run.json"));
    assert.equal(run.status, "stopped");
    assert.match(String(run.exit_reason), /stopped by risk control max_loss: loss since start/);
    const t = (await trips(runDir)).find((x) => x.control === "max_loss");
    assert.equal(t?.action, "cancel_and_stop");
    assert.deepEqual(venue.emulator.engine.openOrders(), [], "open orders cancelled");
  }, { knownAtEnd: true });
});

Deno.test("runProd risk: max loss with halt-new-risk trips once, then only orders that reduce positions go through", async () => {
  await _withProdVenue(async (venue) => {
    const config = _prodConfig(venue, [
      "run_prod.passivity_factor=0",
      "run_prod.max_loss=0.01",
      "run_prod.on_max_loss=halt-new-risk",
    ]);
    const { result, runDir } = await _runProdOnVenue(venue, config, { mode: "prod" });
    assert.equal(result.status, "completed");
    const halts = (await trips(runDir)).filter((x) => x.control === "max_loss");
    assert.equal(halts.length, 1);
    assert.equal(halts[0]?.action, "halt_new_risk");
    assert.equal((await readJson(join(runDir, "run.json"))).halted, true);
    const haltedAt = Date.parse(String(halts[0]?.time));
    const db = await SqliteOmsDatabase.open(join(runDir, "oms.sqlite"));
    try {
      const after = (await db.listOrders(result.runId)).filter((o) => o.creationTime >= haltedAt);
      assert.ok(after.length > 0);
      for (const o of after) {
        if (o.state === "rejected") continue;
        assert.ok(
          Math.abs(o.currShares + o.diffShares) <= Math.abs(o.currShares) + 1e-12,
          `order ${o.orderId} adds risk after the halt`,
        );
      }
    } finally {
      await db.close();
    }
  });
});

Deno.test("runProd risk: the kill-switch file cancels and stops the run; present at start, nothing trades", async () => {
  await _withProdVenue(async (venue) => {
    const killFile = join(venue.root, "STOP");
    const config = _prodConfig(venue, [
      "run_prod.passivity_factor=1",
      `run_prod.kill_switch_file=${killFile}`,
    ]);
    const at = venue.start + 3_600_000 + 30_000;
    const { result, runDir } = await _runProdOnVenue(venue, config, {
      mode: "prod",
      beside: [async () => {
        await venue.clock.sleepUntil(at);
        await Deno.writeTextFile(killFile, "stop\n");
      }],
    });
    assert.equal(result.status, "stopped");
    assert.equal(result.stopTrip?.control, "kill_switch");
    // Bar 13 (01:05) is the first whose submission found the file: its orders were denied.
    assert.equal(result.barsProcessed, 13);
    assert.deepEqual(venue.emulator.engine.openOrders(), []);
    assert.match(
      await Deno.readTextFile(join(runDir, "log.txt")),
      /risk: kill_switch: the kill-switch file .*STOP exists/,
    );

    // A new run (holding the first one's positions) with the file present: no order.
    const posts = _creations(venue.emulator).size;
    const later = { ...venue, start: venue.end, end: venue.end + 3_600_000 };
    const again = await _runProdOnVenue(later, config, {
      mode: "prod",
      adoptExchangeState: true,
    });
    assert.equal(again.result.status, "stopped");
    assert.equal(again.result.barsProcessed, 0);
    assert.equal(_creations(venue.emulator).size, posts, "nothing traded");
  }, { knownAtEnd: true });
});

Deno.test("runProd: an interrupted run resumes on the same run directory, without duplicate orders", async () => {
  await _withProdVenue(async (venue) => {
    const config = _prodConfig(venue, ["run_prod.passivity_factor=0"]);
    const stop = new AbortController();
    const first = await _runProdOnVenue(venue, config, {
      mode: "prod",
      signal: stop.signal,
      beside: [async () => {
        await venue.clock.sleepUntil(venue.start + 3_600_000 + 20_000);
        stop.abort();
      }],
    });
    assert.equal(first.result.status, "interrupted");
    assert.equal(first.result.barsProcessed, 12);
    assert.deepEqual(venue.emulator.engine.openOrders(), [], "open orders cancelled on stop");
    let run = await readJson(join(first.runDir, "run.json"));
    assert.equal(run.status, "interrupted");

    const second = await _runProdOnVenue(venue, config, { mode: "prod" });
    assert.equal(second.runDir, first.runDir);
    assert.equal(second.result.session, 2);
    assert.equal(second.result.status, "completed");
    assert.equal(second.result.reconciliation?.ok, true, "the database matches the account");
    run = await readJson(join(second.runDir, "run.json"));
    assert.equal(run.status, "completed");
    assert.equal((run.sessions as unknown[]).length, 2);
    const ts = Array.from(
      _statistics(second.runDir).getColumn("timestamp").cast(pl.Float64)
        .toArray() as number[],
    );
    assert.ok(ts.every((t, i) => i === 0 || t > (ts[i - 1] as number)), "bars in order");
    assert.equal(ts[0], venue.start + 300_000);
    assert.equal(ts[ts.length - 1], venue.end + 300_000);
    const db = await SqliteOmsDatabase.open(join(second.runDir, "oms.sqlite"));
    try {
      const fills = await db.listFills(second.result.runId);
      for (const [id, list] of _byOrder(fills)) assert.equal(list.length, 1, `order ${id}`);
      assert.deepEqual(_openRows(await db.listOrders(second.result.runId)), []);
    } finally {
      await db.close();
    }
    for (const [cid, n] of _creations(venue.emulator)) assert.equal(n, 1, cid);
    const holdings = _finalHoldings(second.runDir);
    for (const [id, base] of [[BTC, "BTC"], [ETH, "ETH"]] as const) {
      const b = venue.emulator.account.balance(base);
      assert.ok(Math.abs((holdings.get(id) ?? 0) - (b.free + b.locked)) < 1e-9, base);
    }
  });
});

Deno.test("runProd: a mismatch with the account is refused before trading; --adopt-exchange-state proceeds from it", async () => {
  await _withProdVenue(async (venue) => {
    // Another party's resting order on ETH/USDT.
    await venue.exchange.loadMarkets();
    const foreign = await venue.clock.run(() =>
      venue.exchange.createOrder("ETH/USDT", "limit", "buy", 0.01, 1_000)
    );
    const config = _prodConfig(venue, ["run_prod.passivity_factor=0"]);
    await assert.rejects(
      () => _runProdOnVenue(venue, config, { mode: "prod" }),
      (e: unknown) =>
        e instanceof UsageError &&
        /BTC \(BTC\/USDT\): OMS expects 0, the exchange holds 0\.5/.test(e.message) &&
        /is not this run's/.test(e.message) && /--adopt-exchange-state/.test(e.message),
    );
    assert.equal(_creations(venue.emulator).size, 1, "only the foreign order: nothing traded");
    const { result, runDir } = await _runProdOnVenue(venue, config, {
      mode: "prod",
      adoptExchangeState: true,
    });
    assert.equal(result.status, "completed");
    assert.equal(result.session, 2, "the refused attempt was session 1");
    const run = await readJson(join(runDir, "run.json"));
    assert.equal((run.startup_reconciliation as Record<string, unknown>).adopted, true);
    const holdings = _finalHoldings(runDir);
    for (const [id, base] of [[BTC, "BTC"], [ETH, "ETH"]] as const) {
      const b = venue.emulator.account.balance(base);
      assert.ok(Math.abs((holdings.get(id) ?? 0) - (b.free + b.locked)) < 1e-9, base);
    }
    const open = venue.emulator.engine.openOrders().map((o) => String(o.orderId));
    assert.deepEqual(open, [String(foreign.id)], "the other party's order is left alone");
  }, { emulator: { balances: { USDT: 1_000_000, BTC: 0.5 } } });
});

Deno.test("runProd (paper) on live bars: the simulated broker, nothing sent to the exchange", async () => {
  await _withProdVenue(async (venue) => {
    const config = _prodConfig(venue, ["backtest.fill=next_open"]);
    const { result, runDir } = await _runProdOnVenue(venue, config, { mode: "paper" });
    assert.equal(result.status, "completed");
    assert.equal(result.reconciliation, undefined);
    assert.equal(result.barsProcessed, 36);
    assert.equal(_creations(venue.emulator).size, 0);
    const run = await readJson(join(runDir, "run.json"));
    assert.equal(run.execution, "simulated");
    assert.match(
      runDir,
      /sma_cross\/paper\/manual\/20250108T000000Z\.20250108T030000Z\/system_log_dir$/,
    );
    const fills = pl.readParquet(join(runDir, "process_forecasts/fills.parquet"));
    assert.ok(fills.height > 5);
    const received = pl.readParquet(join(runDir, "market_data/bars.parquet"));
    assert.ok(received.height >= 2 * 36);
  });
});
