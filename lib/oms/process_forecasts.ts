/**
 * `processForecasts` (DESIGN §8): one bar of the production loop, for the bar ending at `t`,
 * given the DAG's forecast rows for `t`:
 *
 * 1. wait (on the clock) until bar `t` is known (`MarketData.waitForLatestData`; at once when
 *    it is);
 * 2. collect the fills that became available (`Broker.getFills`: orders of earlier bars that
 *    filled during bar `t`) into the portfolio;
 * 3. compute targets and orders (`Optimizer.optimize`: start = now, end = `t + periodMs`) from
 *    the rows, the holdings and the net wealth at the forecasts' prices;
 * 4. submit the orders, and collect the fills available at once (`close` orders);
 * 5. mark the portfolio to market at the closes of bar `t` (`MarketData.lastPrice(t)`) — the
 *    bar's statistics include the fills of steps 2 and 4;
 * 6. hand the bar's target positions, orders, fills and portfolio record to the sink.
 *
 * This is exactly the forecast evaluator's bar (trades of bar t, then the mark at close(t)),
 * so with a `SimulatedBroker` on the same bars the two agree bar for bar. Time is read only from
 * `marketData.clock`; the caller (a scheduler) calls it once per bar, in time order.
 */
import pl from "nodejs-polars";
import { DataError, FuturePeekingError, TimeoutError } from "../errors/mod.ts";
import { ColumnFrame } from "../frame/mod.ts";
import { formatTime, type MarketData } from "../sim/mod.ts";
import type { Broker } from "./broker.ts";
import type { Fill } from "./fill.ts";
import type { IdCounter } from "./id_counter.ts";
import type { Optimizer, TargetPositionRow } from "./optimizer.ts";
import type { Order } from "./order.ts";
import type { Portfolio } from "./portfolio.ts";
import type { PortfolioBarRecord } from "./portfolio_store.ts";

/** Names of the forecast columns (e.g. a DAG builder's `columnNames`). */
export interface ForecastColumns {
  /** Decision price column (e.g. `close`). */
  price: string;
  /** Volatility column (e.g. `vol`; may be absent from the frame for the `signal` style). */
  volatility: string;
  /** Prediction column (e.g. `prediction`). */
  prediction: string;
}

/** Everything one bar produced. */
export interface ProcessForecastsBar {
  /** The bar end, epoch ms. */
  timestamp: number;
  /** The clock time of the decision (the orders' start), epoch ms. */
  wallTime: number;
  /** Target-positions rows, ascending asset id. */
  targets: TargetPositionRow[];
  /** The orders created at this bar (states as after submission). */
  orders: Order[];
  /** The fills applied during this bar, in the order applied. */
  fills: Fill[];
  /** The bar's portfolio statistics, asset rows and state. */
  portfolio: PortfolioBarRecord;
}

/** Receives each bar's results (the simulate command appends them under `process_forecasts/`). */
export interface ProcessForecastsSink {
  /** Records one bar. */
  writeBar(bar: ProcessForecastsBar): void | Promise<void>;
}

/** What `processForecasts` works with (one object per run). */
export interface ProcessForecastsContext {
  /** Market data on the run's clock (knowledge gate, closes). Required. */
  marketData: MarketData;
  /** Where orders go. Required. */
  broker: Broker;
  /** The run's portfolio. Required. */
  portfolio: Portfolio;
  /** Targets and orders. Required. */
  optimizer: Optimizer;
  /** The run's order id counter. Required. */
  orderIds: IdCounter;
  /** Forecast column names. Required. */
  columns: ForecastColumns;
  /** Bar period of the forecasts: orders end at `t + periodMs`. Default: `marketData.barMs`. */
  periodMs?: number | undefined;
  /** Receives each bar's results. Default: none. */
  sink?: ProcessForecastsSink | undefined;
  /** Timeout of the wait for bar `t`, ms. Default: `MarketData`'s (3 bars). */
  waitTimeoutMs?: number | undefined;
  /** Aborts the wait for bar `t`. Default: none. */
  signal?: AbortSignal | undefined;
}

/**
 * Processes the forecasts of the bar ending at `t` (see the module documentation). `forecasts`
 * holds the rows of `t` (rows of earlier bars are ignored; a later row throws
 * `FuturePeekingError`), as a Polars frame or a `ColumnFrame` (read without a Polars call;
 * NaN = null). Throws `TimeoutError` when bar `t` does not become known, or when the clock is
 * already past the next bar end (too late to trade this bar).
 */
export async function processForecasts(
  t: number,
  forecasts: pl.DataFrame | ColumnFrame,
  context: ProcessForecastsContext,
): Promise<ProcessForecastsBar> {
  const { marketData: md, broker, portfolio, optimizer } = context;
  const waitOptions: { timeoutMs?: number; signal?: AbortSignal } = {};
  if (context.waitTimeoutMs !== undefined) waitOptions.timeoutMs = context.waitTimeoutMs;
  if (context.signal !== undefined) waitOptions.signal = context.signal;
  await md.waitForLatestData(t, waitOptions);
  const now = md.clock.now();
  const end = t + (context.periodMs ?? md.barMs);
  if (!(now < end)) {
    throw new TimeoutError(
      `processForecasts: bar ${formatTime(t)} is processed at ${formatTime(now)}, not before ` +
        `the next bar end ${formatTime(end)}: too late to trade it (the data or the DAG is late)`,
    );
  }
  const rows = _forecastRows(forecasts, t, context.columns);

  const fills = broker.getFills();
  portfolio.applyFills(fills);
  portfolio.addAssets(rows.assetIds);
  const decisionPrices = new Map<number, number>();
  rows.assetIds.forEach((id, i) => decisionPrices.set(id, rows.prices[i] as number));
  const { targets, orders } = optimizer.optimize({
    timestamp: t,
    startTimestamp: now,
    endTimestamp: end,
    assetIds: rows.assetIds,
    predictions: rows.predictions,
    volatilities: rows.volatilities,
    prices: rows.prices,
    holdings: portfolio.holdingsMap(),
    netWealth: portfolio.netWealthAt(decisionPrices),
  }, context.orderIds);
  await broker.submitOrders(orders, { wallTime: now });
  const more = broker.getFills();
  portfolio.applyFills(more);
  const closes = md.lastPrice(t, { assetIds: portfolio.assetIds() });
  const record = await portfolio.markToMarket(t, closes);
  const bar: ProcessForecastsBar = {
    timestamp: t,
    wallTime: now,
    targets,
    orders,
    fills: [...fills, ...more],
    portfolio: record,
  };
  if (context.sink !== undefined) await context.sink.writeBar(bar);
  return bar;
}

interface _Rows {
  assetIds: number[];
  predictions: Float64Array;
  volatilities: Float64Array;
  prices: Float64Array;
}

/** The rows of `t` as arrays (nulls → NaN); throws `DataError` / `FuturePeekingError`. */
function _forecastRows(
  frame: pl.DataFrame | ColumnFrame,
  t: number,
  columns: ForecastColumns,
): _Rows {
  // The messages' prefix, formatted only for an error.
  const where = () => `processForecasts: bar ${formatTime(t)}`;
  const names = frame.columns;
  const present = new Set(names);
  const needed = ["timestamp", "asset_id", columns.price, columns.prediction];
  const missing = needed.filter((c) => !present.has(c));
  if (missing.length > 0) {
    throw new DataError(
      `${where()}: the forecasts have no column ${missing.map((m) => `'${m}'`).join(", ")} ` +
        `(columns: ${names.join(", ")}); pass the DAG's column names`,
    );
  }
  const read = frame instanceof ColumnFrame
    ? (name: string) => _frameColumn(frame, name, where)
    : (name: string) => _column(frame, name, where);
  const ts = read("timestamp");
  const ids = read("asset_id");
  const price = read(columns.price);
  const prediction = read(columns.prediction);
  const vol = present.has(columns.volatility) ? read(columns.volatility) : undefined;
  let first = -1;
  let kept = 0;
  for (let i = 0; i < ts.length; i++) {
    const ti = ts[i] as number;
    if (ti > t) {
      throw new FuturePeekingError(
        `${where()}: the forecasts hold a row at ${formatTime(ti)}, after the bar being processed`,
      );
    }
    if (ti !== t) continue;
    if (first < 0) first = i;
    kept++;
  }
  const assetIds = new Array<number>(kept);
  const predictions = new Float64Array(kept);
  const volatilities = new Float64Array(kept);
  const prices = new Float64Array(kept);
  for (let i = first, k = 0; k < kept; i++) {
    if (ts[i] !== t) continue;
    const id = ids[i] as number;
    if (!Number.isSafeInteger(id)) throw new DataError(`${where()}: bad asset_id ${id}`);
    assetIds[k] = id;
    predictions[k] = prediction[i] as number;
    volatilities[k] = vol === undefined ? NaN : vol[i] as number;
    prices[k] = price[i] as number;
    k++;
  }
  return { assetIds, predictions, volatilities, prices };
}

/**
 * A `ColumnFrame` column as `_column` reads a Polars one: the numbers (NaN = null; `time` as
 * epoch ms); `DataError` for a string column, or a null in `timestamp` / `asset_id`.
 */
function _frameColumn(frame: ColumnFrame, name: string, where: () => string): Float64Array {
  const c = frame.column(name);
  if (c.kind === "str") {
    throw new DataError(`${where()}: cannot read the forecasts column '${name}' as numbers`);
  }
  if (name === "timestamp" || name === "asset_id") {
    const v = c.values;
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== v[i]) {
        throw new DataError(`${where()}: the forecasts column '${name}' has nulls; drop such rows`);
      }
    }
  }
  return c.values;
}

/**
 * A Polars frame's column as Float64 (nulls → NaN; `timestamp` as epoch ms): straight from the
 * series when it is already Float64 without nulls, else through a Polars cast. (The production
 * loop hands `ColumnFrame`s over, read by `_frameColumn`; this reads a Polars frame.)
 */
function _column(frame: pl.DataFrame, name: string, where: () => string): Float64Array {
  let series: pl.Series;
  let nulls: number;
  try {
    series = frame.getColumn(name);
    nulls = series.nullCount();
  } catch (error) {
    throw new DataError(`${where()}: cannot read the forecasts column '${name}'`, { cause: error });
  }
  if (nulls > 0 && (name === "timestamp" || name === "asset_id")) {
    throw new DataError(`${where()}: the forecasts column '${name}' has nulls; drop such rows`);
  }
  try {
    if (name === "timestamp") {
      const ms = series.dtype.equals(pl.Datetime("ms", "UTC"))
        ? series
        : series.cast(pl.Datetime("ms", "UTC"));
      return ms.cast(pl.Float64).toTypedArray() as Float64Array;
    }
    if (nulls === 0) {
      const floats = series.dtype.equals(pl.Float64) ? series : series.cast(pl.Float64);
      return floats.toTypedArray() as Float64Array;
    }
    return frame.select(pl.col(name).cast(pl.Float64).fillNull(pl.lit(NaN)))
      .getColumn(name).toTypedArray() as Float64Array;
  } catch (error) {
    throw new DataError(`${where()}: cannot read the forecasts column '${name}' as numbers`, {
      cause: error,
    });
  }
}
