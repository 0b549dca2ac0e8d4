import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  type PortfolioFrames,
  reconcilePortfolios,
  roundingDecimals,
} from "./reconcile_portfolios.ts";

const T = Date.UTC(2025, 0, 6);
const M5 = 300_000;
const N = 6;

function ts(n: number): pl.Series {
  return pl.Series("timestamp", Array.from({ length: n }, (_, k) => T + (k + 1) * M5)).cast(
    pl.Int64,
  )
    .cast(pl.Datetime("ms", "UTC"));
}

/** One asset (id 7), N bars: buys 0.123456789 shares at bar 1 at 100, holds. */
function portfolio(
  label: string,
  edit: (cols: Record<string, number[]>) => void = () => {},
): PortfolioFrames {
  const cols: Record<string, number[]> = {
    prediction: [1, 1, 1, 1, 1, 1],
    target_holdings_shares: [
      0.123456789,
      0.123456789,
      0.123456789,
      0.123456789,
      0.123456789,
      0.123456789,
    ],
    fill_shares: [0, 0.123456789, 0, 0, 0, 0],
    fill_price: [NaN, 100, NaN, NaN, NaN, NaN],
    fill_fees: [0, 0.0012, 0, 0, 0, 0],
    holdings_shares: [0, 0.123456789, 0.123456789, 0.123456789, 0.123456789, 0.123456789],
    close: [100, 101, 102, 103, 104, 105],
  };
  edit(cols);
  const h = cols.holdings_shares!;
  const c = cols.close!;
  const notional = h.map((x, k) => x * c[k]!);
  const fees = cols.fill_fees!;
  let cash = 1000;
  const wealth: number[] = [];
  const pnl: number[] = [];
  let prev = 1000;
  for (let k = 0; k < N; k++) {
    cash -=
      cols.fill_shares![k]! * (Number.isNaN(cols.fill_price![k]!) ? 0 : cols.fill_price![k]!) +
      fees[k]!;
    wealth.push(cash + notional[k]!);
    pnl.push(wealth[k]! - prev);
    prev = wealth[k]!;
  }
  return {
    label,
    metrics: pl.DataFrame([
      ts(N),
      pl.Series("pnl", pnl),
      pl.Series("fees", fees),
      pl.Series("net_wealth", wealth),
    ]),
    positions: pl.DataFrame([
      ts(N),
      pl.Series("asset_id", Array(N).fill(7)).cast(pl.Int64),
      ...[
        "prediction",
        "target_holdings_shares",
        "fill_shares",
        "fill_price",
        "fill_fees",
        "holdings_shares",
      ]
        .map((name) => pl.Series(name, cols[name]!)),
      pl.Series("holdings_notional", notional),
    ]),
  };
}

Deno.test("roundingDecimals() finds the decimals one value is the other rounded to", () => {
  assert.equal(roundingDecimals(0.123456789, 0.1235), 4);
  assert.equal(roundingDecimals(0.1235, 0.123456789), 4);
  assert.equal(roundingDecimals(1.5, 2), 0);
  assert.equal(roundingDecimals(1, 1), undefined);
  assert.equal(roundingDecimals(0.1, 0.7), undefined);
});

Deno.test("reconcilePortfolios() at parity reports no difference", () => {
  const r = reconcilePortfolios(portfolio("a"), portfolio("b"));
  assert.equal(r.differences, 0);
  assert.equal(r.first, null);
  assert.equal(r.bars, N);
  assert.deepEqual(r.checks.map((c) => c.skipped), [
    null,
    null,
    null,
    "neither a nor b has executed_trades_shares, executed_trades_notional",
    null,
    null,
  ]);
});

Deno.test("reconcilePortfolios() names the cause: rounding, fill price, fee, forecast, missing bar", () => {
  const rounded = reconcilePortfolios(
    portfolio("a"),
    portfolio("b", (c) => {
      c.target_holdings_shares = c.target_holdings_shares!.map(() => 0.1235);
      c.fill_shares![1] = 0.1235;
      c.holdings_shares = c.holdings_shares!.map((x) => x === 0 ? 0 : 0.1235);
    }),
  );
  assert.equal(rounded.first?.kind, "rounding");
  assert.equal(rounded.first?.check, "targets");
  assert.equal(rounded.first?.key.timestamp, T + M5);
  assert.match(rounded.first?.cause ?? "", /rounded to 4 decimals/);

  const price = reconcilePortfolios(
    portfolio("a"),
    portfolio("b", (c) => void (c.fill_price![1] = 100.5)),
  );
  assert.equal(price.first?.kind, "fill price");
  assert.equal(price.first?.key.timestamp, T + 2 * M5);
  assert.equal(price.first?.key.asset_id, 7);

  const fee = reconcilePortfolios(
    portfolio("a"),
    portfolio("b", (c) => void (c.fill_fees![1] = 0.0024)),
  );
  assert.equal(fee.first?.kind, "fee");
  assert.equal(fee.first?.check, "fills");

  const forecast = reconcilePortfolios(
    portfolio("a"),
    portfolio("b", (c) => void (c.prediction![3] = -1)),
  );
  assert.equal(forecast.first?.kind, "forecast");
  assert.equal(forecast.first?.key.timestamp, T + 4 * M5);

  const b = portfolio("b");
  const hole = reconcilePortfolios(portfolio("a"), {
    ...b,
    metrics: b.metrics.filter(pl.col("timestamp").cast(pl.Int64).neq(pl.lit(T + 3 * M5))),
  });
  assert.equal(hole.first?.kind, "missing bar");
  assert.equal(hole.first?.key.timestamp, T + 3 * M5);
  assert.match(hole.first?.cause ?? "", /is missing in b/);
});

Deno.test("reconcilePortfolios() compares only the bars both cover, within start/end", () => {
  const a = portfolio("a");
  const b = portfolio("b", (c) => void (c.prediction![0] = 0));
  const later = { ...b, metrics: b.metrics.slice(2, N) };
  const r = reconcilePortfolios(a, later);
  assert.equal(r.range?.first, T + 3 * M5);
  assert.equal(r.bars, N - 2);
  assert.equal(r.differences, 0);
  const windowed = reconcilePortfolios(a, b, { start: T + M5 });
  assert.equal(windowed.differences, 0);
  assert.equal(windowed.bars, N - 1);
  assert.equal(reconcilePortfolios(a, b).first?.kind, "forecast");
});
