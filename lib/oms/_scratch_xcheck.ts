import pl from "nodejs-polars";
import { buildFittedDag, FitPredictRunner, getBuilder } from "../dag/mod.ts";
import { FrameMarketData, importFreqtradeDir, ReplayedClock } from "../sim/mod.ts";
import { evaluateForecasts, IdCounter, Optimizer, Portfolio, processForecasts, SimulatedBroker } from "./mod.ts";
const { bars: all } = await importFreqtradeDir("/work/shared/data/binance_spot_5m", { symbols: ["BTC/USDT"] });
const bars = all.slice(0, 119_752);
const builder = getBuilder("sma_cross");
const config = builder.configTemplate();
const dag = buildFittedDag(builder, config, { bars });
const runner = new FitPredictRunner(dag, { bars, lookbackBars: builder.lookbackBars(config) });
const ts = bars.getColumn("timestamp").cast(pl.Float64).toTypedArray() as Float64Array;
const forecasts = runner.predict((ts[0] as number) - 1, ts[ts.length - 1] as number);
const columns = builder.columnNames(config);
for (const fill of ["next_open"] as const) {
  const ev = evaluateForecasts(forecasts, bars, { priceCol: columns.price, volatilityCol: columns.volatility, predictionCol: columns.prediction, style: "signal", sizing: "equity", fill, feeBps: 0, initialCash: 10_000 });
  const w = ev.metrics.getColumn("net_wealth").toArray() as number[];
  const clock = new ReplayedClock(ts[0] as number);
  const md = new FrameMarketData(bars, clock, { barMs: 300_000 });
  const portfolio = new Portfolio({ initialCash: 10_000 });
  const optimizer = new Optimizer({ style: "signal", sizing: "equity", orderType: fill });
  const broker = new SimulatedBroker(md, { sizer: optimizer.atFillSizer(portfolio) });
  const ctx = { marketData: md, broker, portfolio, optimizer, orderIds: new IdCounter(), columns };
  let last = NaN; let mism = 0;
  const t0 = performance.now();
  await clock.run(async () => {
    for (let k = 0; k < forecasts.height; k++) {
      const r = await processForecasts(ts[k] as number, forecasts.slice(k, 1), ctx);
      last = r.portfolio.statistics.netWealth;
      if (last !== w[k]) mism++;
    }
  });
  console.log(fill, "evaluator", w[w.length - 1], "oms", last, "mismatching bars", mism, "ms/bar", ((performance.now() - t0) / forecasts.height).toFixed(3));
}
