/**
 * The forecast evaluator (DESIGN §7): research PnL of a forecasts frame against the bars, by a
 * JS loop over bars on typed arrays, using the same target-position function as the production
 * Optimizer (`targetPositions`), the shared fill conventions (`fillPrices`) and the shared
 * accounting (`PortfolioAccounting`).
 *
 * Timing. A prediction at bar t (a bar END time) is decided at the close of bar t. With the
 * `close` fill the trade is made during bar t at close(t); with the next-bar fills (`next_open`,
 * `next_close`, `twap`, `vwap`) it is made during bar t+1 at the price of the bars in
 * (t, t+1] (t+1 = the next forecast timestamp). The last bar's decision under a next-bar fill
 * is never executed (there is no bar t+1 in the forecasts); its target is still reported
 * (under `equity` sizing, sized at close(t) since there is no fill price).
 *
 * Sizing prices. `gmv` sizing converts target notionals to shares at the decision price (the
 * forecasts' `priceCol` at t), as the reference does. `equity` sizing sizes the order when it
 * fills: target shares = w × (cash + Σ holdings × fill price) / fill price, i.e. the weight
 * applies to the net wealth marked at the fill prices (with fees: net of this trade's fees).
 * For `close` both prices are close(t). This is the convention that reproduces backtrader,
 * vectorbt and the pandas reference on the shared data's cross-check (a 0/1 signal invests all
 * cash at the next open and never rebalances while held), and with it a book held at weight 1
 * does not trade again. Fractional weights are re-applied every bar (constant-weight
 * rebalancing, as vectorbt's target-percent orders); `rebalanceTolerance` is the no-trade band.
 *
 * Marks: holdings are marked at the close of the bar ending at t (the last known close when the
 * asset has no bar at t). An order whose fill price is unknown (no bar in its fill window) is
 * dropped, not carried. The result is a dense grid: one row per forecast timestamp × asset.
 * Deterministic: identical inputs give bit-identical outputs.
 *
 * Chunks. `evaluateForecastsChunk` evaluates a period split in time chunks (e.g. months) with
 * bounded memory: a `ForecastEvaluatorState` carries the book (cash, holdings, marks), the last
 * bar's row and its pending next-bar decision from one chunk to the next, and the chunks'
 * results concatenated are bit for bit those of the whole period.
 */
import pl from "nodejs-polars";
import { DataError, UsageError } from "../errors/mod.ts";
import { formatTime } from "../sim/mod.ts";
import {
  DEFAULT_FILL_CONVENTION,
  denseFillPrices,
  type FillConvention,
  fillPrices,
  fillsOnNextBar,
  parseFillConvention,
} from "./fill_prices.ts";
import {
  type AccountingLedger,
  type BarMetrics,
  type MarkToMarketOptions,
  PortfolioAccounting,
} from "./portfolio_accounting.ts";
import {
  parseSizing,
  parseTargetStyle,
  type Sizing,
  type TargetPositions,
  targetPositions,
  type TargetPositionsOptions,
  type TargetStyle,
} from "./target_positions.ts";

/** Options of `evaluateForecasts`. */
export interface EvaluateForecastsOptions {
  /** Forecasts column holding the decision price (gmv sizing). Required. */
  priceCol: string;
  /** Forecasts column holding the volatility (may be absent for the `signal` style). Required. */
  volatilityCol: string;
  /** Forecasts column holding the prediction. Required. */
  predictionCol: string;
  /** How predictions become weights. Required. */
  style: TargetStyle;
  /** How weights become notionals. Required. */
  sizing: Sizing;
  /** Fill convention. Default: `next_open`. */
  fill?: FillConvention | undefined;
  /** Fee in basis points of traded notional. Default: 0. */
  feeBps?: number | undefined;
  /** Cash before the first bar, quote currency. Default: 10,000. */
  initialCash?: number | undefined;
  /** Target gross market value (`gmv` sizing), quote currency. Default: `initialCash`. */
  targetGmv?: number | undefined;
  /** Share precision in decimals (−2 = lots of 100). Default: none (no rounding). */
  decimals?: number | undefined;
  /** `longitudinal`: risk per name as a fraction of the sizing base. Default: 0.001. */
  riskPerName?: number | undefined;
  /** `longitudinal`: predictions with `|p|` under this give 0. Default: 0. */
  predictionAbsThreshold?: number | undefined;
  /** `longitudinal`: multiply by `|p|`. Default: false. */
  modulateByMagnitude?: boolean | undefined;
  /** Relative distance under which a target equals the current holdings. Default: 1e-9. */
  rebalanceTolerance?: number | undefined;
}

/** The evaluator's result frames, both sorted by time (positions by (timestamp, asset_id)). */
export interface ForecastEvaluation {
  /**
   * Per asset per bar: timestamp, asset_id, holdings_shares, holdings_notional,
   * executed_trades_shares, executed_trades_notional, fees, pnl, target_holdings_shares,
   * target_holdings_notional, price (the mark: close), prediction.
   */
  positions: pl.DataFrame;
  /**
   * Per bar: timestamp, pnl, gross_volume, net_volume, gmv, nmv, fees, cash, net_wealth,
   * leverage, num_trades.
   */
  metrics: pl.DataFrame;
}

/** Column names of `ForecastEvaluation.positions`, in order. */
export const POSITION_COLUMNS = [
  "timestamp",
  "asset_id",
  "holdings_shares",
  "holdings_notional",
  "executed_trades_shares",
  "executed_trades_notional",
  "fees",
  "pnl",
  "target_holdings_shares",
  "target_holdings_notional",
  "price",
  "prediction",
] as const;

/** Column names of `ForecastEvaluation.metrics`, in order. */
export const METRIC_COLUMNS = [
  "timestamp",
  "pnl",
  "gross_volume",
  "net_volume",
  "gmv",
  "nmv",
  "fees",
  "cash",
  "net_wealth",
  "leverage",
  "num_trades",
] as const;

/**
 * Evaluates `forecasts` (long format sorted by (timestamp, asset_id): timestamp = bar END,
 * asset_id, and the price / volatility / prediction columns named in `options`) against `bars`
 * (the bar contract; other assets and times are ignored) and returns the per-asset positions
 * and per-bar metrics (see the module documentation for timing, sizing and accounting). The
 * whole period at once: `evaluateForecastsChunk` with one final chunk.
 */
export function evaluateForecasts(
  forecasts: pl.DataFrame,
  bars: pl.DataFrame,
  options: EvaluateForecastsOptions,
): ForecastEvaluation {
  const { positions, metrics } = evaluateForecastsChunk(forecasts, bars, {
    ...options,
    state: undefined,
    final: true,
    assetIds: undefined,
  });
  return { positions, metrics };
}

/** Options of `evaluateForecastsChunk`: those of `evaluateForecasts`, plus the chunking. */
export interface EvaluateForecastsChunkOptions extends EvaluateForecastsOptions {
  /** The state returned by the call on the previous chunk. Default: none (the first chunk). */
  state?: ForecastEvaluatorState | undefined;
  /**
   * This is the last chunk: its last timestamp's positions are returned too (with the target
   * of that never-filled decision, as `evaluateForecasts` reports it). Default: false.
   */
  final?: boolean | undefined;
  /**
   * Every asset of the evaluation (one dense column each; a chunk may lack some). Ignored when
   * `state` is given (the first chunk's assets hold). Default: the first chunk's distinct
   * forecast asset ids — a later chunk with another asset is then a `DataError`.
   */
  assetIds?: readonly number[] | undefined;
}

/** The results of one chunk, and the state to evaluate the next one from. */
export interface ForecastChunkEvaluation extends ForecastEvaluation {
  /**
   * What the next chunk starts from; undefined after the final chunk, and while no forecast
   * row has been evaluated yet (an empty first chunk).
   */
  state: ForecastEvaluatorState | undefined;
}

/**
 * What carries over from one chunk to the next: the book after the chunk's last bar and that
 * bar's row, whose decision the next chunk executes (next-bar fills) and whose positions row
 * the next call returns (under `equity` sizing its target is only known at the fill). Plain
 * data; pass it back unchanged.
 */
export interface ForecastEvaluatorState {
  /** The validated settings it was computed under (a chunk under other settings is refused). */
  readonly settingsKey: string;
  /** The evaluation's asset ids, ascending. */
  readonly assets: Float64Array;
  /** The last evaluated forecast timestamp (epoch ms); the next chunk's bars start after it. */
  readonly lastTime: number;
  /** Cash after the last bar. */
  readonly cash: number;
  /** Holdings after the last bar, shares, per asset. */
  readonly holdings: Float64Array;
  /** The accounting's last mark per asset (NaN until known). */
  readonly bookMarks: Float64Array;
  /** Holdings × mark after the last bar, per asset (the base of the next bar's pnl). */
  readonly holdingsValue: Float64Array;
  /** Net wealth after the last bar. */
  readonly netWealth: number;
  /** Per asset, 1 when some chunk held a bar of it (an asset without any bar is a `DataError`). */
  readonly seen: Uint8Array;
  /** The last bar's row (inputs, ledger and targets), per asset. */
  readonly last: Readonly<Record<_RowField, Float64Array>>;
}

/** The per-asset arrays of one row that a state carries. */
type _RowField = typeof _ROW_FIELDS[number];

const _ROW_FIELDS = [
  "predictions",
  "volatilities",
  "prices",
  "marks",
  "holdingsShares",
  "holdingsNotional",
  "tradesShares",
  "tradesNotional",
  "fees",
  "pnl",
  "targetShares",
  "targetNotional",
] as const;

/**
 * Evaluates one chunk of a period split by time, giving bit for bit the rows of the
 * whole-period `evaluateForecasts` once every chunk's results are concatenated.
 *
 * Chunks are passed in time order, each with the `state` the previous call returned, the last
 * one with `final: true`. `forecasts` is the chunk's rows (sorted, all after the state's last
 * timestamp); `bars` must hold every bar in `(state.lastTime, last forecast time]` (for the
 * first chunk: from the period's start, since earlier closes are marks); others are ignored.
 * `metrics` has one row per forecast timestamp of the chunk; `positions` lags by one
 * timestamp: it starts with the previous chunk's last timestamp and, but in the final chunk,
 * stops before its own last one. Throws `DataError` on bad or out-of-order inputs,
 * `UsageError` on bad settings or a state of other settings.
 */
export function evaluateForecastsChunk(
  forecasts: pl.DataFrame,
  bars: pl.DataFrame,
  options: EvaluateForecastsChunkOptions,
): ForecastChunkEvaluation {
  const settings = _settings(options);
  const settingsKey = JSON.stringify(settings);
  const prior = options.state;
  const final = options.final ?? false;
  if (prior !== undefined && prior.settingsKey !== settingsKey) {
    throw new UsageError(
      "Cannot evaluate a forecasts chunk: its state was computed under other evaluator " +
        "settings; evaluate every chunk of a period with the same options",
    );
  }
  const given = prior?.assets ??
    (options.assetIds === undefined ? undefined : _assetArray(options.assetIds));
  const f = _forecastArrays(forecasts, options, settings.style, given);
  const nA = f.assets.length;
  if (prior !== undefined && f.grid.length > 0 && !((f.grid[0] as number) > prior.lastTime)) {
    throw new DataError(
      `Cannot evaluate forecasts: the chunk starts at ${formatTime(f.grid[0] as number)}, not ` +
        `after the previous chunk's last timestamp ${formatTime(prior.lastTime)}; pass the ` +
        `chunks in time order without overlap`,
    );
  }
  if (prior === undefined && f.grid.length === 0) {
    // Nothing evaluated yet (the bars of this chunk only matter with the forecasts they mark,
    // so the next chunk's bars must start where these did); the bars are still validated.
    const market = _marketArrays(bars, f.grid, f.assets, settings.fill, {
      carry: undefined,
      strict: final,
    });
    const input: ForecastArrays = { ...f, ...market };
    const run = _evaluate(input, settings, {
      accounting: new PortfolioAccounting(nA, { initialCash: settings.initialCash }),
      from: 0,
      final,
      netWealth: NaN,
      lead: undefined,
    });
    return { ..._frames(input, run.result, [0, 0], [0, 0]), state: undefined };
  }
  const lead = prior === undefined ? 0 : 1;
  const grid = prior === undefined ? f.grid : _prepend([prior.lastTime], f.grid);
  const market = _marketArrays(bars, grid, f.assets, settings.fill, {
    carry: prior === undefined ? undefined : { after: prior.lastTime, marks: prior.last.marks },
    strict: final && prior === undefined,
  });
  const seen = prior === undefined ? market.seen : _or(prior.seen, market.seen);
  if (final) _checkSeen(seen, f.assets);
  const input: ForecastArrays = prior === undefined ? { ...f, ...market } : {
    grid,
    assets: f.assets,
    predictions: _prepend(prior.last.predictions, f.predictions),
    volatilities: _prepend(prior.last.volatilities, f.volatilities),
    prices: _prepend(prior.last.prices, f.prices),
    marks: market.marks,
    fills: market.fills,
  };
  const acc = new PortfolioAccounting(nA, { initialCash: prior?.cash ?? settings.initialCash });
  if (prior !== undefined) {
    acc.holdings.set(prior.holdings);
    acc.marks.set(prior.bookMarks);
    acc.holdingsNotional.set(prior.holdingsValue);
  }
  const run = _evaluate(input, settings, {
    accounting: acc,
    from: lead,
    final,
    netWealth: prior?.netWealth ?? NaN,
    lead: prior?.last,
  });
  const nT = grid.length;
  const frames = _frames(input, run.result, [0, final ? nT : nT - 1], [lead, nT]);
  if (final) return { ...frames, state: undefined };
  const row = (nT - 1) * nA;
  const arrays: Record<_RowField, Float64Array> = { ...input, ...run.result };
  const last = {} as Record<_RowField, Float64Array>;
  for (const field of _ROW_FIELDS) last[field] = arrays[field].slice(row, row + nA);
  const state: ForecastEvaluatorState = {
    settingsKey,
    assets: f.assets,
    lastTime: grid[nT - 1] as number,
    cash: acc.cash,
    holdings: acc.holdings.slice(),
    bookMarks: acc.marks.slice(),
    holdingsValue: acc.holdingsNotional.slice(),
    netWealth: run.netWealth,
    seen,
    last,
  };
  return { ...frames, state };
}

/**
 * Dense inputs of `evaluateForecastArrays`: per-asset arrays of length
 * `grid.length × assets.length`, index `k·nA + a`.
 */
export interface ForecastArrays {
  /** Forecast timestamps (bar ENDs, epoch ms), strictly increasing. */
  grid: Float64Array;
  /** Asset ids, one per column of the dense arrays. */
  assets: Float64Array;
  /** Predictions (NaN = none). */
  predictions: Float64Array;
  /** Volatilities (NaN = none). */
  volatilities: Float64Array;
  /** Decision prices (forecasts' price column; NaN = none). */
  prices: Float64Array;
  /** Mark prices: the close at t (carried forward). */
  marks: Float64Array;
  /** Fill price of the decision made at t (NaN = not fillable). */
  fills: Float64Array;
}

/**
 * Dense outputs of `evaluateForecastArrays`: the accounting ledger (holdings, trades, fees, pnl
 * of bar k) and the targets decided at bar k, indexed `k·nA + a`; per-bar arrays indexed `k`.
 */
export interface ForecastEvaluationArrays extends AccountingLedger {
  /** Target shares decided at bar k. */
  targetShares: Float64Array;
  /** Target notional decided at bar k. */
  targetNotional: Float64Array;
  /** Per-bar metrics, one array per field of `BarMetrics`. */
  bar: { [K in keyof BarMetrics]: Float64Array };
}

/** Validated settings of the evaluator loop. */
export interface ForecastEvaluatorSettings {
  /** Target style. */
  style: TargetStyle;
  /** Sizing. */
  sizing: Sizing;
  /** Fill convention. */
  fill: FillConvention;
  /** Fee, basis points. */
  feeBps: number;
  /** Cash before the first bar. */
  initialCash: number;
  /** Options passed to `targetPositions` (without `out`). */
  targets: TargetPositionsOptions;
}

/**
 * The evaluator's loop on dense typed arrays (no Polars): the core of `evaluateForecasts`,
 * exposed for callers that already hold arrays (and for benchmarks).
 */
export function evaluateForecastArrays(
  input: ForecastArrays,
  settings: ForecastEvaluatorSettings,
): ForecastEvaluationArrays {
  const accounting = new PortfolioAccounting(input.assets.length, {
    initialCash: settings.initialCash,
  });
  return _evaluate(input, settings, {
    accounting,
    from: 0,
    final: true,
    netWealth: NaN,
    lead: undefined,
  }).result;
}

/** Where `_evaluate` starts and ends. */
interface _Run {
  /** The book before bar `from`. */
  accounting: PortfolioAccounting;
  /** The first bar to evaluate; bars before it (0 or 1: a chunk's lead row) were evaluated. */
  from: number;
  /** The last bar is the period's: its never-filled decision is sized at the close. */
  final: boolean;
  /** Net wealth after bar `from − 1` (NaN when `from` is 0). */
  netWealth: number;
  /** The ledger and targets of the lead row (row 0), when `from` is 1. */
  lead: Readonly<Record<_RowField, Float64Array>> | undefined;
}

/**
 * The evaluator's loop from bar `run.from` (see `evaluateForecastArrays`). With a lead row
 * (the previous chunk's last bar, already evaluated), its ledger and targets are copied in and
 * its pending decision is executed during bar 1, exactly as the whole-period loop would.
 */
function _evaluate(
  input: ForecastArrays,
  settings: ForecastEvaluatorSettings,
  run: _Run,
): { result: ForecastEvaluationArrays; netWealth: number } {
  const nT = input.grid.length;
  const nA = input.assets.length;
  const size = nT * nA;
  const out: ForecastEvaluationArrays = {
    holdingsShares: new Float64Array(size),
    holdingsNotional: new Float64Array(size),
    tradesShares: new Float64Array(size),
    tradesNotional: new Float64Array(size),
    fees: new Float64Array(size),
    pnl: new Float64Array(size),
    targetShares: new Float64Array(size),
    targetNotional: new Float64Array(size),
    bar: {
      pnl: new Float64Array(nT),
      grossVolume: new Float64Array(nT),
      netVolume: new Float64Array(nT),
      gmv: new Float64Array(nT),
      nmv: new Float64Array(nT),
      fees: new Float64Array(nT),
      cash: new Float64Array(nT),
      netWealth: new Float64Array(nT),
      leverage: new Float64Array(nT),
      numTrades: new Float64Array(nT),
    },
  };
  const lead = run.lead;
  if (lead !== undefined && nT > 0) {
    out.holdingsShares.set(lead.holdingsShares);
    out.holdingsNotional.set(lead.holdingsNotional);
    out.tradesShares.set(lead.tradesShares);
    out.tradesNotional.set(lead.tradesNotional);
    out.fees.set(lead.fees);
    out.pnl.set(lead.pnl);
    out.targetShares.set(lead.targetShares);
    out.targetNotional.set(lead.targetNotional);
  }
  const acc = run.accounting;
  const nextBar = fillsOnNextBar(settings.fill);
  const equity = settings.sizing === "equity";
  const feeBps = settings.feeBps;
  const result: TargetPositions = { notional: new Float64Array(nA), shares: new Float64Array(nA) };
  const targetOptions: TargetPositionsOptions = { ...settings.targets, out: result };
  const pred = new Float64Array(nA);
  const vol = new Float64Array(nA);
  const px = new Float64Array(nA);
  const bar = {
    predictions: pred,
    volatilities: vol,
    prices: px,
    holdings: acc.holdings,
    netWealth: 0,
  };
  const metrics: BarMetrics = {
    pnl: 0,
    grossVolume: 0,
    netVolume: 0,
    gmv: 0,
    nmv: 0,
    fees: 0,
    cash: 0,
    netWealth: run.netWealth,
    leverage: 0,
    numTrades: 0,
  };
  const markOptions: MarkToMarketOptions = { out: metrics, ledger: out, offset: 0 };
  const { predictions, volatilities, prices, marks, fills } = input;
  const { targetShares, targetNotional } = out;

  // Computes the targets of the decision made at row `row` into targetShares/Notional,
  // sized at `sizingPrices` (row-aligned) with net wealth `wealth` (NaN → marked at them).
  const decide = (row: number, sizingPrices: Float64Array, wealth: number): void => {
    for (let a = 0; a < nA; a++) {
      pred[a] = predictions[row + a] as number;
      vol[a] = volatilities[row + a] as number;
      px[a] = sizingPrices[row + a] as number;
    }
    bar.netWealth = Number.isNaN(wealth) ? acc.netWealthAt(px) : wealth;
    targetPositions(bar, targetOptions);
    for (let a = 0; a < nA; a++) {
      targetShares[row + a] = result.shares[a] as number;
      targetNotional[row + a] = result.notional[a] as number;
    }
  };
  const execute = (row: number): void => {
    for (let a = 0; a < nA; a++) {
      const delta = (targetShares[row + a] as number) - (acc.holdings[a] as number);
      const price = fills[row + a] as number;
      if (delta !== 0 && Number.isFinite(price)) acc.trade(a, delta, price, feeBps);
    }
  };

  for (let k = run.from; k < nT; k++) {
    const row = k * nA;
    markOptions.offset = row;
    acc.beginBar();
    if (nextBar) {
      if (k > 0) {
        const prev = row - nA;
        if (equity) decide(prev, fills, NaN);
        execute(prev);
      }
    } else {
      if (equity) decide(row, fills, NaN);
      else decide(row, prices, NaN);
      execute(row);
    }
    acc.markToMarket(marks, markOptions);
    const b = out.bar;
    b.pnl[k] = metrics.pnl;
    b.grossVolume[k] = metrics.grossVolume;
    b.netVolume[k] = metrics.netVolume;
    b.gmv[k] = metrics.gmv;
    b.nmv[k] = metrics.nmv;
    b.fees[k] = metrics.fees;
    b.cash[k] = metrics.cash;
    b.netWealth[k] = metrics.netWealth;
    b.leverage[k] = metrics.leverage;
    b.numTrades[k] = metrics.numTrades;
    if (nextBar) {
      // gmv: sized at the decision price now. equity: sized when it fills (next iteration, or
      // the next chunk's first); the period's last decision is never filled, so its target is
      // sized at the close instead.
      if (!equity) decide(row, prices, metrics.netWealth);
      else if (run.final && k === nT - 1) decide(row, marks, metrics.netWealth);
    }
  }
  if (run.final && nextBar && equity && run.from === nT && nT > 0) {
    // A final chunk without bars of its own: the lead row is the period's last decision.
    decide((nT - 1) * nA, marks, run.netWealth);
  }
  return { result: out, netWealth: metrics.netWealth };
}

/** Validates the options into loop settings; throws `UsageError`. */
function _settings(options: EvaluateForecastsOptions): ForecastEvaluatorSettings {
  const style = parseTargetStyle(String(options.style));
  const sizing = parseSizing(String(options.sizing));
  const fill = parseFillConvention(String(options.fill ?? DEFAULT_FILL_CONVENTION));
  const feeBps = options.feeBps ?? 0;
  if (!Number.isFinite(feeBps) || feeBps < 0) {
    throw new UsageError(`Invalid fee ${feeBps} bps: expected a finite number >= 0`);
  }
  const initialCash = options.initialCash ?? 10_000;
  if (!Number.isFinite(initialCash)) {
    throw new UsageError(`Invalid initial cash ${initialCash}: expected a finite number`);
  }
  if (sizing === "equity" && !(initialCash > 0)) {
    throw new UsageError(`Equity sizing needs a positive initial cash, got ${initialCash}`);
  }
  const targetGmv = options.targetGmv ?? initialCash;
  if (sizing === "gmv" && !(targetGmv > 0 && Number.isFinite(targetGmv))) {
    throw new UsageError(
      `GMV sizing needs a positive target GMV, got ${targetGmv}: set targetGmv (or a positive initial cash)`,
    );
  }
  const decimals = options.decimals;
  if (decimals !== undefined && !Number.isInteger(decimals)) {
    throw new UsageError(`Invalid share decimals ${decimals}: expected an integer (e.g. 8, 0, -2)`);
  }
  return {
    style,
    sizing,
    fill,
    feeBps,
    initialCash,
    targets: {
      style,
      sizing,
      targetGmv,
      riskPerName: options.riskPerName,
      predictionAbsThreshold: options.predictionAbsThreshold,
      modulateByMagnitude: options.modulateByMagnitude,
      decimals,
      feeBps,
      rebalanceTolerance: options.rebalanceTolerance,
    },
  };
}

interface _Forecasts {
  grid: Float64Array;
  assets: Float64Array;
  predictions: Float64Array;
  volatilities: Float64Array;
  prices: Float64Array;
}

/** Pivots the long forecasts frame into dense (time × asset) arrays; throws `DataError`. */
function _forecastArrays(
  forecasts: pl.DataFrame,
  options: EvaluateForecastsOptions,
  style: TargetStyle,
  given: Float64Array | undefined,
): _Forecasts {
  const where = "Cannot evaluate forecasts";
  const required = ["timestamp", "asset_id", options.priceCol, options.predictionCol];
  const hasVol = forecasts.columns.includes(options.volatilityCol);
  if (style !== "signal" || hasVol) required.push(options.volatilityCol);
  const [ts, ids, price, pred, vol] = _columns(forecasts, required, where, "forecasts") as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array | undefined,
  ];
  const n = ts.length;
  let nT = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    const id = ids[i] as number;
    if (i > 0) {
      const tp = ts[i - 1] as number;
      if (t < tp || (t === tp && id <= (ids[i - 1] as number))) {
        throw new DataError(
          `${where}: row ${formatTime(t)} asset_id ${id}: forecasts must be sorted by ` +
            `(timestamp, asset_id) without duplicates; sort them (and drop duplicates) first`,
        );
      }
    }
    if (i === 0 || t !== ts[i - 1]) nT++;
  }
  const assets = given ?? _uniqueSorted(forecasts, where);
  const nA = assets.length;
  const grid = new Float64Array(nT);
  if (n === nT * nA && (given === undefined || _denseOn(ids, assets))) {
    // Already dense (every timestamp has every asset, in order): the columns are the arrays.
    for (let k = 0; k < nT; k++) grid[k] = ts[k * nA] as number;
    const volatilities = vol ?? new Float64Array(n).fill(NaN);
    return { grid, assets, predictions: pred, volatilities, prices: price };
  }
  const predictions = new Float64Array(nT * nA).fill(NaN);
  const volatilities = new Float64Array(nT * nA).fill(NaN);
  const prices = new Float64Array(nT * nA).fill(NaN);
  let k = -1;
  let a = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    if (i === 0 || t !== ts[i - 1]) {
      grid[++k] = t;
      a = 0;
    }
    a = _seek(assets, ids[i] as number, a);
    if (a < 0) {
      throw new DataError(
        `${where}: row ${formatTime(t)} asset_id ${ids[i]} is not one of the evaluation's ` +
          `assets (the first chunk's); pass every asset in assetIds`,
      );
    }
    const cell = k * nA + a;
    predictions[cell] = pred[i] as number;
    if (vol !== undefined) volatilities[cell] = vol[i] as number;
    prices[cell] = price[i] as number;
  }
  return { grid, assets, predictions, volatilities, prices };
}

/** Options of `_marketArrays`. */
interface _MarketOptions {
  /**
   * The previous chunk's end: bars at or before `after` (= `grid[0]`, the lead row) are
   * ignored, and the marks start from `marks` (the lead row's). Default: none.
   */
  carry: { after: number; marks: Float64Array } | undefined;
  /** An asset without any bar is a `DataError` at once (a whole period). */
  strict: boolean;
}

/**
 * Marks and fill prices on the forecast grid from the bars, and which assets had a bar;
 * throws `DataError`.
 */
function _marketArrays(
  bars: pl.DataFrame,
  grid: Float64Array,
  assets: Float64Array,
  fill: FillConvention,
  options: _MarketOptions,
): { marks: Float64Array; fills: Float64Array; seen: Uint8Array } {
  const where = "Cannot evaluate forecasts against the bars";
  // Only the price columns the marks (close) and the fill convention need.
  const fields = _FILL_FIELDS[fill];
  const [ts, ids, ...values] = _columns(
    bars,
    ["timestamp", "asset_id", ...fields],
    where,
    "bars",
  ) as [
    Float64Array,
    Float64Array,
    ...Float64Array[],
  ];
  const nA = assets.length;
  const nT = grid.length;
  const carry = options.carry;
  const dense = _denseMarket(ts, ids, values, fields, grid, assets, fill, carry);
  if (dense !== undefined) {
    const some = ts.length > 0 ? 1 : 0; // every asset has a bar at every time, or none at all
    if (some === 0 && options.strict && nA > 0) throw _noBarsError(assets[0] as number);
    return { ...dense, seen: new Uint8Array(nA).fill(some) };
  }
  const after = carry?.after ?? -Infinity;
  // Bucket the bars by asset (a stable counting sort keeps each asset's time order). Bars are
  // sorted by (timestamp, asset_id), so the asset lookup walks forward within a timestamp.
  const counts = new Int32Array(nA + 1);
  const which = new Int32Array(ts.length);
  let a = 0;
  for (let i = 0; i < ts.length; i++) {
    const id = ids[i] as number;
    if (i === 0 || id < (ids[i - 1] as number)) a = 0;
    while (a < nA && (assets[a] as number) < id) a++;
    if (a < nA && assets[a] === id && (ts[i] as number) > after) {
      which[i] = a;
      counts[a + 1] = (counts[a + 1] as number) + 1;
    } else {
      which[i] = -1;
    }
  }
  for (let j = 0; j < nA; j++) counts[j + 1] = (counts[j + 1] as number) + (counts[j] as number);
  const total = counts[nA] as number;
  const sources = [ts, ...values];
  const targets = sources.map(() => new Float64Array(total));
  const cursor = counts.slice(0, nA);
  for (let i = 0; i < ts.length; i++) {
    const col = which[i] as number;
    if (col < 0) continue;
    const j = cursor[col] as number;
    cursor[col] = j + 1;
    for (let c = 0; c < sources.length; c++) {
      (targets[c] as Float64Array)[j] = (sources[c] as Float64Array)[i] as number;
    }
  }
  const sorted: Record<string, Float64Array> = { timestamp: targets[0] as Float64Array };
  fields.forEach((field, c) => sorted[field] = targets[c + 1] as Float64Array);
  const none = new Float64Array(0);
  const marks = new Float64Array(nT * nA);
  const fills = new Float64Array(nT * nA);
  const seen = new Uint8Array(nA);
  for (let col = 0; col < nA; col++) {
    const from = counts[col] as number;
    const to = counts[col + 1] as number;
    if (to === from && options.strict) throw _noBarsError(assets[col] as number);
    seen[col] = to > from ? 1 : 0;
    const column = (field: string) => sorted[field]?.subarray(from, to) ?? none;
    const asset = {
      timestamp: column("timestamp"),
      open: column("open"),
      high: column("high"),
      low: column("low"),
      close: column("close"),
      volume: column("volume"),
    };
    const times = asset.timestamp;
    for (let j = 1; j < times.length; j++) {
      if (!((times[j] as number) > (times[j - 1] as number))) {
        throw new DataError(
          `${where}: asset_id ${assets[col]} at ${formatTime(times[j] as number)}: bars must be ` +
            `sorted by timestamp without duplicates (the bar contract); load them with readBars`,
        );
      }
    }
    const assetFills = fillPrices(asset, { grid, convention: fill });
    let j = -1;
    let mark = carry === undefined ? NaN : carry.marks[col] as number;
    for (let k = 0; k < nT; k++) {
      const t = grid[k] as number;
      while (j + 1 < times.length && (times[j + 1] as number) <= t) {
        j++;
        const c = asset.close[j] as number;
        if (!Number.isNaN(c)) mark = c;
      }
      marks[k * nA + col] = mark;
      fills[k * nA + col] = assetFills[k] as number;
    }
  }
  return { marks, fills, seen };
}

/**
 * The fast path of `_marketArrays` when the bars are exactly the forecast grid × assets (the
 * common case: forecasts on the bars' own period): marks and fills straight from the columns.
 * With a carry, the grid's first row is the lead row (no bars: the carried marks).
 */
function _denseMarket(
  ts: Float64Array,
  ids: Float64Array,
  values: Float64Array[],
  fields: readonly string[],
  grid: Float64Array,
  assets: Float64Array,
  fill: FillConvention,
  carry: _MarketOptions["carry"],
): { marks: Float64Array; fills: Float64Array } | undefined {
  const nA = assets.length;
  const nT = grid.length;
  const lead = carry === undefined ? 0 : 1;
  if (ts.length !== (nT - lead) * nA) return undefined;
  for (let k = lead; k < nT; k++) {
    const t = grid[k] as number;
    for (let a = 0; a < nA; a++) {
      const i = (k - lead) * nA + a;
      if (ts[i] !== t || ids[i] !== assets[a]) return undefined;
    }
  }
  const none = new Float64Array(0);
  const nanRow = new Float64Array(nA).fill(NaN);
  const column = (field: string) => {
    const own = values[fields.indexOf(field)];
    if (own === undefined) return none;
    return carry === undefined ? own : _prepend(nanRow, own);
  };
  const close = column("close");
  const marks = Float64Array.from(close);
  if (carry !== undefined) marks.set(carry.marks);
  for (let i = 0; i < marks.length; i++) {
    if (Number.isNaN(marks[i] as number) && i >= nA) marks[i] = marks[i - nA] as number;
  }
  const bars = {
    open: column("open"),
    high: column("high"),
    low: column("low"),
    close,
    volume: column("volume"),
  };
  return { marks, fills: denseFillPrices(bars, { numAssets: nA, convention: fill }) };
}

/** The bar columns each fill convention reads (`close` is always read: it is the mark). */
const _FILL_FIELDS: Record<FillConvention, readonly string[]> = {
  close: ["close"],
  next_open: ["open", "close"],
  next_close: ["close"],
  twap: ["open", "high", "low", "close"],
  vwap: ["open", "high", "low", "close", "volume"],
};

/**
 * The index of `id` in the ascending `assets`, searching forward from `from` (then from 0);
 * −1 when absent.
 */
function _seek(assets: Float64Array, id: number, from: number): number {
  let a = from;
  while (a < assets.length && (assets[a] as number) < id) a++;
  if (assets[a] === id) return a;
  a = 0;
  while (a < assets.length && (assets[a] as number) !== id) a++;
  return a < assets.length ? a : -1;
}

/** Whether the rows' asset ids repeat `assets` exactly, timestamp after timestamp. */
function _denseOn(ids: Float64Array, assets: Float64Array): boolean {
  const nA = assets.length;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== assets[i % nA]) return false;
  return true;
}

/** Distinct ids, ascending, as floats (what the dense columns are keyed by). */
function _assetArray(ids: readonly number[]): Float64Array {
  return Float64Array.from(new Set(ids)).sort();
}

/** `head` followed by `tail`. */
function _prepend(head: ArrayLike<number>, tail: Float64Array): Float64Array {
  const out = new Float64Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Element-wise or of two 0/1 arrays. */
function _or(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x | (b[i] as number));
}

/** Throws the `DataError` of the first asset no chunk held a bar of. */
function _checkSeen(seen: Uint8Array, assets: Float64Array): void {
  const missing = seen.indexOf(0);
  if (missing >= 0) throw _noBarsError(assets[missing] as number);
}

function _noBarsError(assetId: number): DataError {
  return new DataError(
    `Cannot evaluate forecasts against the bars: no bars for asset_id ${assetId}; load bars ` +
      `for every forecast asset`,
  );
}

/** The distinct asset ids of `df`, ascending. */
function _uniqueSorted(df: pl.DataFrame, where: string): Float64Array {
  try {
    const unique = df.getColumn("asset_id").unique().cast(pl.Float64)
      .toTypedArray() as Float64Array;
    return Float64Array.from(unique).sort();
  } catch (error) {
    throw new DataError(`${where}: cannot read the forecasts column 'asset_id'`, { cause: error });
  }
}

/**
 * Columns of `df` as Float64Arrays (nulls → NaN), `timestamp` (any Datetime unit) as epoch ms:
 * one Polars select. Throws `DataError` naming a missing or non-numeric column, or null keys.
 */
function _columns(
  df: pl.DataFrame,
  names: readonly string[],
  where: string,
  what: string,
): Float64Array[] {
  const present = new Set(df.columns);
  const missing = names.filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new DataError(
      `${where}: the ${what} frame has no column ${missing.map((m) => `'${m}'`).join(", ")} ` +
        `(columns: ${df.columns.join(", ")}); pass the right column names`,
    );
  }
  const dtype = df.getColumn("timestamp").dtype;
  if (dtype.variant !== "Datetime") {
    throw new DataError(
      `${where}: the ${what} column 'timestamp' is ${String(dtype)}, expected Datetime("ms","UTC")`,
    );
  }
  const zone = (dtype.inner as unknown[])[1];
  const ms = pl.Datetime("ms", typeof zone === "string" ? zone : undefined);
  const keys = new Set(["timestamp", "asset_id"]);
  let selected: pl.DataFrame;
  try {
    selected = df.select(
      ...names.map((name, i) => {
        const column = name === "timestamp" ? pl.col(name).cast(ms) : pl.col(name);
        const floats = column.cast(pl.Float64);
        return (keys.has(name) ? floats : floats.fillNull(pl.lit(NaN))).alias(`c${i}`);
      }),
    );
  } catch (error) {
    const types = names.map((name) => `${name}: ${String(df.getColumn(name).dtype)}`).join(", ");
    throw new DataError(`${where}: the ${what} columns are not all numeric (${types})`, {
      cause: error,
    });
  }
  return names.map((name, i) => {
    const column = selected.getColumn(`c${i}`);
    if (keys.has(name) && column.nullCount() > 0) {
      throw new DataError(`${where}: the ${what} column '${name}' has nulls; drop such rows first`);
    }
    return column.toTypedArray() as Float64Array;
  });
}

/**
 * Builds the two result frames: positions of the bars `[p0, p1)` of the grid, metrics of the
 * bars `[m0, m1)`.
 */
function _frames(
  f: ForecastArrays,
  r: ForecastEvaluationArrays,
  [p0, p1]: [number, number],
  [m0, m1]: [number, number],
): ForecastEvaluation {
  const nA = f.assets.length;
  const nP = Math.max(0, p1 - p0);
  const ts = new Float64Array(nP * nA);
  const ids = new Float64Array(nP * nA);
  for (let k = 0; k < nP; k++) {
    for (let a = 0; a < nA; a++) {
      ts[k * nA + a] = f.grid[p0 + k] as number;
      ids[k * nA + a] = f.assets[a] as number;
    }
  }
  const cells = (x: Float64Array) => _range(x, p0 * nA, (p0 + nP) * nA);
  const bars = (x: Float64Array) => _range(x, m0, Math.max(m0, m1));
  return {
    positions: pl.DataFrame([
      _timeSeries("timestamp", ts),
      pl.Series("asset_id", ids).cast(pl.Int64),
      pl.Series("holdings_shares", cells(r.holdingsShares)),
      pl.Series("holdings_notional", cells(r.holdingsNotional)),
      pl.Series("executed_trades_shares", cells(r.tradesShares)),
      pl.Series("executed_trades_notional", cells(r.tradesNotional)),
      pl.Series("fees", cells(r.fees)),
      pl.Series("pnl", cells(r.pnl)),
      pl.Series("target_holdings_shares", cells(r.targetShares)),
      pl.Series("target_holdings_notional", cells(r.targetNotional)),
      pl.Series("price", cells(f.marks)),
      pl.Series("prediction", cells(f.predictions)),
    ]),
    metrics: pl.DataFrame([
      _timeSeries("timestamp", bars(f.grid)),
      pl.Series("pnl", bars(r.bar.pnl)),
      pl.Series("gross_volume", bars(r.bar.grossVolume)),
      pl.Series("net_volume", bars(r.bar.netVolume)),
      pl.Series("gmv", bars(r.bar.gmv)),
      pl.Series("nmv", bars(r.bar.nmv)),
      pl.Series("fees", bars(r.bar.fees)),
      pl.Series("cash", bars(r.bar.cash)),
      pl.Series("net_wealth", bars(r.bar.netWealth)),
      pl.Series("leverage", bars(r.bar.leverage)),
      pl.Series("num_trades", bars(r.bar.numTrades)).cast(pl.Int64),
    ]),
  };
}

/** `x[from, to)`: `x` itself when that is all of it, else a view. */
function _range(x: Float64Array, from: number, to: number): Float64Array {
  return from === 0 && to === x.length ? x : x.subarray(from, to);
}

function _timeSeries(name: string, ms: Float64Array): pl.Series {
  return pl.Series(name, ms).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
}
