import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { type AccountingLedger, PortfolioAccounting } from "./portfolio_accounting.ts";

Deno.test("PortfolioAccounting follows the DESIGN §7 accounting bar by bar", () => {
  const acc = new PortfolioAccounting(2, { initialCash: 1000 });
  // Bar 0: buy 5 of asset 0 at 100 with a 10 bps fee; closes 102 and 50.
  acc.beginBar();
  assert.equal(acc.trade(0, 5, 100, 10), 0.5);
  let m = acc.markToMarket([102, 50]);
  assert.equal(acc.cash, 1000 - 500 - 0.5);
  assert.deepEqual([...acc.pnl], [5 * 102 - 500 - 0.5, 0]);
  assert.deepEqual(
    [m.pnl, m.grossVolume, m.netVolume, m.gmv, m.nmv, m.fees, m.cash, m.netWealth, m.numTrades],
    [9.5, 500, 500, 510, 510, 0.5, 499.5, 1009.5, 1],
  );
  assert.equal(m.leverage, 510 / 1009.5);
  // Bar 1: sell 2 of asset 0 at 104, short 4 of asset 1 at 50; closes 103 and 49.
  acc.beginBar();
  acc.trade(0, -2, 104, 10);
  acc.trade(1, -4, 50, 10);
  m = acc.markToMarket([103, 49]);
  const fee0 = 208 * 0.001;
  const fee1 = 200 * 0.001;
  assert.deepEqual([...acc.holdings], [3, -4]);
  assert.ok(Math.abs((acc.pnl[0] as number) - (3 * 103 - 5 * 102 + 208 - fee0)) < 1e-12);
  assert.ok(Math.abs((acc.pnl[1] as number) - (-4 * 49 + 200 - fee1)) < 1e-12);
  assert.ok(Math.abs(m.cash - (499.5 + 208 - fee0 + 200 - fee1)) < 1e-12);
  assert.ok(Math.abs(m.netWealth - (m.cash + 3 * 103 - 4 * 49)) < 1e-12);
  assert.ok(Math.abs(m.pnl - (m.netWealth - 1009.5)) < 1e-12, "Σ pnl = Δ net wealth");
  assert.equal(m.grossVolume, 408);
  assert.equal(m.netVolume, -408);
  assert.equal(m.gmv, 3 * 103 + 4 * 49);
  assert.equal(m.numTrades, 2);
  // Bar 2: no trade; the per-bar trades are cleared.
  acc.beginBar();
  m = acc.markToMarket([103, 49]);
  assert.deepEqual([m.pnl, m.grossVolume, m.fees, m.numTrades], [0, 0, 0, 0]);
  assert.deepEqual([...acc.tradeShares], [0, 0]);
});

Deno.test("PortfolioAccounting.markToMarket() keeps the last mark on a NaN close", () => {
  const acc = new PortfolioAccounting(1, { initialCash: 0 });
  acc.beginBar();
  acc.trade(0, 1, 10);
  let m = acc.markToMarket([NaN]);
  assert.equal(m.nmv, 10, "marked at the fill price before any close");
  acc.beginBar();
  m = acc.markToMarket([12]);
  assert.equal(m.pnl, 2);
  acc.beginBar();
  m = acc.markToMarket([NaN]);
  assert.deepEqual([m.pnl, m.nmv], [0, 12]);
  assert.equal(acc.netWealthAt([NaN]), -10 + 12);
  assert.equal(acc.netWealthAt([15]), -10 + 15);
});

Deno.test("PortfolioAccounting.markToMarket() records into a ledger at an offset", () => {
  const ledger: AccountingLedger = {
    holdingsShares: new Float64Array(4),
    holdingsNotional: new Float64Array(4),
    tradesShares: new Float64Array(4),
    tradesNotional: new Float64Array(4),
    fees: new Float64Array(4),
    pnl: new Float64Array(4),
  };
  const closes = new Float64Array([1, 1, 2, 4]); // bar × asset, 2 assets
  const acc = new PortfolioAccounting(2, { initialCash: 100 });
  const out = acc.markToMarket(closes, { ledger, offset: 0 });
  acc.beginBar();
  acc.trade(1, 3, 1, 100);
  const again = acc.markToMarket(closes, { ledger, offset: 2, out });
  assert.equal(again, out);
  assert.deepEqual([...ledger.holdingsShares], [0, 0, 0, 3]);
  assert.deepEqual([...ledger.holdingsNotional], [0, 0, 0, 12]);
  assert.deepEqual([...ledger.tradesShares], [0, 0, 0, 3]);
  assert.deepEqual([...ledger.tradesNotional], [0, 0, 0, 3]);
  assert.deepEqual([...ledger.fees], [0, 0, 0, 0.03]);
  assert.deepEqual([...ledger.pnl], [0, 0, 0, 12 - 3 - 0.03]);
  assert.equal(out.netWealth, 100 - 3 - 0.03 + 12);
});

Deno.test("PortfolioAccounting rejects bad sizes and non-finite trades", () => {
  assert.throws(() => new PortfolioAccounting(-1), UsageError);
  assert.throws(() => new PortfolioAccounting(1, { initialCash: NaN }), UsageError);
  const acc = new PortfolioAccounting(1);
  assert.throws(() => acc.trade(0, 1, NaN), UsageError);
  assert.equal(acc.trade(0, 0, 5), 0);
  assert.equal(acc.cash, 0);
});
