/**
 * Test helper of lib/system: a small trading system over the bundled fixture (a few assets, a
 * short window), its pieces exposed, and the research evaluation of the same window to compare
 * with.
 */
import pl from "nodejs-polars";
import { buildFittedDag, FitPredictRunner, getBuilder, IncrementalRunner } from "../dag/mod.ts";
import {
  evaluateForecasts,
  type FillConvention,
  IdCounter,
  Optimizer,
  Portfolio,
  type PortfolioStore,
  SimulatedBroker,
  type Sizing,
  type TargetStyle,
} from "../oms/mod.ts";
import { FrameMarketData, readBars, ReplayedClock } from "../sim/mod.ts";
import { TradingSystem, type TradingSystemOptions } from "./trading_system.ts";

/** The bundled fixture snapshot. */
export const _FIXTURE: string =
  new URL("../../fixtures/market_data/binance_spot_5m.parquet", import.meta.url).pathname;

/** Bar period of the fixture. */
export const _BAR_MS = 300_000;

/** Settings of a test system. */
export interface _TestSystemSettings {
  /** Builder name. Default: sma_cross. */
  dag?: string;
  /** Symbols. Default: BTC, ETH, SOL. */
  symbols?: string[];
  /** Exclusive start. Default: 2025-01-08. */
  start?: number;
  /** Inclusive end. Default: start + 12 h. */
  end?: number;
  /** Default: signal. */
  style?: TargetStyle;
  /** Default: equity. */
  sizing?: Sizing;
  /** Default: next_open. */
  fill?: FillConvention;
  /** Default: 10. */
  feeBps?: number;
  /** The portfolio's store. Default: in memory. */
  store?: PortfolioStore;
  /** Passed to the TradingSystem. Default: none. */
  onBar?: TradingSystemOptions["onBar"];
}

/** A test system and what it was built from. */
export interface _TestSystem {
  system: TradingSystem;
  clock: ReplayedClock;
  marketData: FrameMarketData;
  portfolio: Portfolio;
  bars: pl.DataFrame;
  firstBar: number;
  lastBar: number;
  /** The research evaluation of the same bars and settings (per-bar metrics, positions). */
  research: () => ReturnType<typeof evaluateForecasts>;
}

/** Builds a small trading system over the fixture (see `_TestSystemSettings`). */
export async function _testSystem(settings: _TestSystemSettings = {}): Promise<_TestSystem> {
  const builder = getBuilder(settings.dag ?? "sma_cross");
  const config = builder.configTemplate();
  const lookback = builder.lookbackBars(config);
  const start = settings.start ?? Date.UTC(2025, 0, 8);
  const end = settings.end ?? start + 12 * 3_600_000;
  const firstBar = start + _BAR_MS;
  const bars = await readBars(_FIXTURE, {
    symbols: settings.symbols ?? ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
    start: firstBar - lookback * _BAR_MS,
    end,
  });
  const clock = new ReplayedClock(start);
  const marketData = new FrameMarketData(bars, clock, { barMs: _BAR_MS });
  const dag = buildFittedDag(builder, config, { bars });
  const runner = new IncrementalRunner(dag, marketData, { lookbackBars: lookback });
  const style = settings.style ?? "signal";
  const sizing = settings.sizing ?? "equity";
  const fill = settings.fill ?? "next_open";
  const feeBps = settings.feeBps ?? 10;
  const portfolio = new Portfolio({
    initialCash: 10_000,
    ...(settings.store === undefined ? {} : { store: settings.store }),
  });
  const optimizer = new Optimizer({ style, sizing, targetGmv: 10_000, feeBps, orderType: fill });
  const broker = new SimulatedBroker(marketData, {
    feeBps,
    sizer: optimizer.atFillSizer(portfolio),
  });
  const columns = builder.columnNames(config);
  const system = new TradingSystem({
    marketData,
    runner,
    oms: { broker, portfolio, optimizer, orderIds: new IdCounter(), columns },
    firstBar,
    lastBar: end,
    onBar: settings.onBar,
  });
  const research = () => {
    const fitted = buildFittedDag(builder, builder.configTemplate(), { bars });
    const predict = new FitPredictRunner(fitted, { bars, lookbackBars: lookback, barMs: _BAR_MS });
    const forecasts = predict.predict(start, end);
    return evaluateForecasts(forecasts, bars, {
      priceCol: columns.price,
      volatilityCol: columns.volatility,
      predictionCol: columns.prediction,
      style,
      sizing,
      fill,
      feeBps,
      initialCash: 10_000,
      targetGmv: 10_000,
    });
  };
  return { system, clock, marketData, portfolio, bars, firstBar, lastBar: end, research };
}

/** A column as numbers. */
export function _floats(df: pl.DataFrame, name: string): Float64Array {
  return df.getColumn(name).cast(pl.Float64).toTypedArray() as Float64Array;
}
