/**
 * `SystemLog`: the system log directory of a `simulate` or `run-prod` run (DESIGN §9):
 *
 * ```
 * run.json                                 mode, version, config hash, range, status, bars
 * system_config.input.{txt,json}           the effective config before the run
 * system_config.output.{txt,json}          after it (txt: verbose, with marked_as_used)
 * market_data/                             the bars the system received: a store at the end
 * dag/forecasts.parquet                    the DAG's rows of every bar (all its columns)
 * dag/profiling.csv                        ms per node per bar (µs resolution)
 * dag/node_io/                             node outputs per bar (--save-node-io)
 * process_forecasts/target_positions.parquet, orders.parquet, fills.parquet
 * process_forecasts/portfolio/statistics.parquet   per bar: backtest's metrics columns
 * process_forecasts/portfolio/{holdings_shares,holdings_notional,executed_trades_shares,
 *                              executed_trades_notional,positions}.parquet   per asset per bar
 * oms.sqlite, log.txt, stats.json
 * ```
 *
 * While the run goes, every per-bar output is a CSV stream (`CsvStream`) beside its final
 * name (`statistics.csv`, …, `market_data/bars.csv`), appended once per bar with one write per
 * file. `statistics.csv` is written LAST for each bar: a bar is complete when its statistics
 * line is there, and then every other stream holds all of its rows. After a crash, the streams
 * hold every complete bar (and maybe part of the bar in flight, after the last statistics
 * line). `consolidate()` turns the streams into Parquet files (each written atomically; rows of
 * an incomplete bar dropped; the market data becomes a store) and removes them, except
 * `dag/profiling.csv`, which stays CSV.
 *
 * Resuming (`resume: true`, a restarted `run-prod` on the same directory): the streams are
 * reopened with every complete bar of the earlier sessions in them — read from the streams a
 * killed session left, or from the Parquet files a session that ended consolidated — so the
 * final files hold every session's bars. The forecasts stream's column types are kept beside it
 * (`dag/forecasts.columns.json`) for that.
 *
 * Durability: appends are synchronous writes that reach the kernel at once (a killed process
 * loses nothing written); streams are forced to disk every `syncEveryBars` bars (default: only
 * when closed). Every `yieldEveryBars` bars (default 64) the last write of the bar is
 * asynchronous, so that the event loop runs — an event-driven replay never sleeps, and signal
 * handlers (SIGINT) only run when it yields.
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import type { Config, JsonValue } from "../config/mod.ts";
import { DataError, UsageError } from "../errors/mod.ts";
import { type Column, ColumnFrame, type NumericColumn } from "../frame/mod.ts";
import { atomicWrite, atomicWriteSync, atomicWriteWith } from "../fs/mod.ts";
import type { DagTiming } from "../dag/mod.ts";
import {
  METRIC_COLUMNS,
  type Order,
  type ProcessForecastsBar,
  TARGET_POSITION_COLUMNS,
} from "../oms/mod.ts";
import { BAR_COLUMNS, type Clock, formatTimeframe, writeStore } from "../sim/mod.ts";
import {
  CSV_DATETIME_FORMAT,
  csvNumber,
  CsvStream,
  type CsvStreamColumn,
  csvText,
  csvTime,
} from "./csv_stream.ts";

/** File names inside a system log directory, relative to it. */
export const SYSTEM_LOG_PATHS = {
  /** Run metadata (JSON). */
  runJson: "run.json",
  /** The effective config before the run. */
  configInputTxt: "system_config.input.txt",
  /** The effective config before the run, as JSON. */
  configInputJson: "system_config.input.json",
  /** The config after the run, verbose (marked_as_used, writer, type per leaf). */
  configOutputTxt: "system_config.output.txt",
  /** The config after the run, as JSON. */
  configOutputJson: "system_config.output.json",
  /** The bars the system received: a store (`asset_id=…/year=…/month=…`). */
  marketData: "market_data",
  /** The DAG's rows of every bar. */
  forecasts: join("dag", "forecasts.parquet"),
  /** Node timings: bar_timestamp, method, node_id, ms. */
  profiling: join("dag", "profiling.csv"),
  /** Node outputs per bar (optional). */
  nodeIo: join("dag", "node_io"),
  /** Target positions with the forecasts acted on (price, volatility, prediction). */
  targetPositions: join("process_forecasts", "target_positions.parquet"),
  /** Orders as submitted, with their final state. */
  orders: join("process_forecasts", "orders.parquet"),
  /** Fills. */
  fills: join("process_forecasts", "fills.parquet"),
  /** The portfolio directory. */
  portfolio: join("process_forecasts", "portfolio"),
  /** Per-bar portfolio statistics (backtest's `portfolio/metrics.parquet` columns). */
  statistics: join("process_forecasts", "portfolio", "statistics.parquet"),
  /** Per asset per bar: every portfolio column. */
  positions: join("process_forecasts", "portfolio", "positions.parquet"),
  /** The headline statistics (backtest's `stats.json` keys). */
  statsJson: "stats.json",
  /** Log lines. */
  logTxt: "log.txt",
} as const;

/** The per-asset portfolio files of DESIGN §9 (long: timestamp, asset_id, <name>). */
export const PORTFOLIO_VALUE_FILES = [
  "holdings_shares",
  "holdings_notional",
  "executed_trades_shares",
  "executed_trades_notional",
] as const;

const _TIME = pl.Datetime("ms", "UTC");
const _F = pl.Float64;
const _I = pl.Int64;
const _S = pl.Utf8;

function _cols(spec: readonly (readonly [string, pl.DataType])[]): CsvStreamColumn[] {
  return spec.map(([name, dtype]) => ({ name, dtype }));
}

const _STATISTICS = _cols(
  METRIC_COLUMNS.map((c) => [c, c === "timestamp" ? _TIME : c === "num_trades" ? _I : _F]),
);
const _POSITIONS = _cols([
  ["timestamp", _TIME],
  ["asset_id", _I],
  ["holdings_shares", _F],
  ["holdings_notional", _F],
  ["executed_trades_shares", _F],
  ["executed_trades_notional", _F],
  ["fees", _F],
  ["pnl", _F],
  ["price", _F],
]);
const _TARGETS = _cols(
  TARGET_POSITION_COLUMNS.map((c) => [c, c === "timestamp" ? _TIME : c === "asset_id" ? _I : _F]),
);
const _ORDERS = _cols([
  ["bar_timestamp", _TIME],
  ["order_id", _I],
  ["creation_timestamp", _TIME],
  ["asset_id", _I],
  ["type", _S],
  ["start_timestamp", _TIME],
  ["end_timestamp", _TIME],
  ["curr_num_shares", _F],
  ["diff_num_shares", _F],
  ["limit_price", _F],
  ["target_weight", _F],
  ["state", _S],
]);
const _FILLS = _cols([
  ["bar_timestamp", _TIME],
  ["fill_id", _I],
  ["order_id", _I],
  ["asset_id", _I],
  ["timestamp", _TIME],
  ["shares", _F],
  ["price", _F],
  ["fee", _F],
]);
const _PROFILING = _cols([["bar_timestamp", _TIME], ["method", _S], ["node_id", _S], ["ms", _F]]);
const _BARS = _cols(
  BAR_COLUMNS.map((c) => [
    c,
    c === "timestamp" || c === "start_timestamp" || c === "knowledge_timestamp"
      ? _TIME
      : c === "asset_id"
      ? _I
      : c === "full_symbol"
      ? _S
      : _F,
  ]),
);

/** A stream and where its consolidated Parquet goes (undefined: it stays CSV). */
interface _StreamSpec {
  csv: string;
  parquet: string | undefined;
  columns: readonly CsvStreamColumn[];
  /** The column holding each row's bar (rows after the last complete bar are dropped). */
  barColumn: string;
}

const _csvOf = (parquet: string) => parquet.replace(/\.parquet$/, ".csv");

const _SPECS = {
  statistics: {
    csv: _csvOf(SYSTEM_LOG_PATHS.statistics),
    parquet: SYSTEM_LOG_PATHS.statistics,
    columns: _STATISTICS,
    barColumn: "timestamp",
  },
  positions: {
    csv: _csvOf(SYSTEM_LOG_PATHS.positions),
    parquet: SYSTEM_LOG_PATHS.positions,
    columns: _POSITIONS,
    barColumn: "timestamp",
  },
  targets: {
    csv: _csvOf(SYSTEM_LOG_PATHS.targetPositions),
    parquet: SYSTEM_LOG_PATHS.targetPositions,
    columns: _TARGETS,
    barColumn: "timestamp",
  },
  orders: {
    csv: _csvOf(SYSTEM_LOG_PATHS.orders),
    parquet: SYSTEM_LOG_PATHS.orders,
    columns: _ORDERS,
    barColumn: "bar_timestamp",
  },
  fills: {
    csv: _csvOf(SYSTEM_LOG_PATHS.fills),
    parquet: SYSTEM_LOG_PATHS.fills,
    columns: _FILLS,
    barColumn: "bar_timestamp",
  },
  profiling: {
    csv: SYSTEM_LOG_PATHS.profiling,
    parquet: undefined,
    columns: _PROFILING,
    barColumn: "bar_timestamp",
  },
  bars: {
    csv: join(SYSTEM_LOG_PATHS.marketData, "bars.csv"),
    parquet: undefined,
    columns: _BARS,
    barColumn: "timestamp",
  },
} as const satisfies Record<string, _StreamSpec>;

type _StreamName = keyof typeof _SPECS;

/** Options of `SystemLog.create`. */
export interface SystemLogOptions {
  /** The bar period, ms (the market data store's timeframe). Required. */
  barMs: number;
  /** Stamps `log.txt` lines (a wall clock). Default: lines without a time. */
  clock?: Clock | undefined;
  /** Force the streams to disk every this many bars; 0 = only when closed. Default: 0. */
  syncEveryBars?: number | undefined;
  /**
   * Write a bar's last line asynchronously every this many bars, letting the event loop run
   * (signal handlers, timers) during a replay that never sleeps. Default: 64.
   */
  yieldEveryBars?: number | undefined;
  /** Also called with every `info` message (e.g. to echo it on stderr). Default: none. */
  echo?: ((message: string) => void) | undefined;
  /**
   * Keep the complete bars of an earlier session of the run in `dir` (see the module
   * documentation) instead of starting empty. Default: false.
   */
  resume?: boolean | undefined;
}

/** What `SystemLog.writeBar` logs of one bar (a `TradingSystem` bar is one). */
export interface SystemLogBar {
  /** The bar end, epoch ms. */
  readonly timestamp: number;
  /** The DAG's rows of this bar: a Polars frame or a `ColumnFrame` (NaN = null). */
  readonly forecasts: pl.DataFrame | ColumnFrame;
  /** Targets, orders, fills and the portfolio record of this bar. */
  readonly oms: ProcessForecastsBar;
  /** The DAG's node timings of this bar. */
  readonly dagTimings: readonly DagTiming[];
}

/** Options of `SystemLog.writeBar`. */
export interface WriteBarOptions {
  /**
   * Bars the system received with this bar (bar contract; e.g. the bar's rows), as a Polars
   * frame or a `ColumnFrame` (e.g. `MarketData.getColumns`; NaN = null). Default: none.
   */
  bars?: pl.DataFrame | ColumnFrame | undefined;
}

/** What `SystemLog.consolidate` produced. */
export interface ConsolidatedLog {
  /** The per-bar statistics (as written to `statistics.parquet`). */
  statistics: pl.DataFrame;
  /** The files written, relative to the directory. */
  files: string[];
}

/** Writes a system log directory (see the module documentation). */
export class SystemLog {
  /** The directory. */
  readonly dir: string;
  /** Bar period, ms. */
  readonly barMs: number;
  readonly #clock: Clock | undefined;
  readonly #syncEveryBars: number;
  readonly #yieldEveryBars: number;
  readonly #echo: ((message: string) => void) | undefined;
  readonly #streams = new Map<_StreamName, CsvStream>();
  #forecasts: CsvStream | undefined;
  #forecastColumns: string[] | undefined;
  #bars = 0;
  #lastComplete: number | undefined;
  /** Orders not final when last seen. */
  readonly #open = new Map<number, Order>();
  /** Final states of orders that changed state after the bar they were submitted in. */
  readonly #finalStates = new Map<number, string>();
  /** Σ fill shares per order. */
  readonly #filled = new Map<number, number>();
  #closed = false;

  private constructor(dir: string, options: SystemLogOptions) {
    this.dir = dir;
    this.barMs = options.barMs;
    this.#clock = options.clock;
    this.#syncEveryBars = options.syncEveryBars ?? 0;
    this.#yieldEveryBars = options.yieldEveryBars ?? 64;
    this.#echo = options.echo;
  }

  /**
   * Creates the directory layout in `dir` (which must exist) and opens the streams (truncating
   * any left there, or keeping their complete bars with `resume`). Throws `UsageError` on bad
   * options, `DataError` when an earlier session's files cannot be read.
   */
  static async create(dir: string, options: SystemLogOptions): Promise<SystemLog> {
    if (!(Number.isFinite(options.barMs) && options.barMs > 0)) {
      throw new UsageError(`SystemLog: barMs must be a positive number, got ${options.barMs}`);
    }
    const every = options.syncEveryBars ?? 0;
    if (!Number.isInteger(every) || every < 0) {
      throw new UsageError(`SystemLog: syncEveryBars must be an integer >= 0, got ${every}`);
    }
    const yieldEvery = options.yieldEveryBars ?? 64;
    if (!Number.isInteger(yieldEvery) || yieldEvery < 1) {
      throw new UsageError(
        `SystemLog: yieldEveryBars must be a positive integer, got ${yieldEvery}`,
      );
    }
    const log = new SystemLog(dir, options);
    for (const sub of ["dag", SYSTEM_LOG_PATHS.portfolio, SYSTEM_LOG_PATHS.marketData]) {
      await Deno.mkdir(join(dir, sub), { recursive: true });
    }
    if (options.resume === true) {
      await log.#resume();
      return log;
    }
    for (const [name, spec] of Object.entries(_SPECS) as [_StreamName, _StreamSpec][]) {
      log.#streams.set(name, await CsvStream.create(join(dir, spec.csv), spec.columns));
    }
    return log;
  }

  /**
   * Marks `orders` (submitted in an earlier session, still open then) as orders to follow: the
   * final state they reach is written into `orders.parquet`'s `final_state`.
   */
  trackOrders(orders: readonly Order[]): void {
    for (const o of orders) {
      this.#open.set(o.id, o);
      this.#finalStates.delete(o.id);
    }
  }

  /** Reopens the streams with the earlier sessions' complete bars (see the module doc). */
  async #resume(): Promise<void> {
    const previous = (spec: _StreamSpec, columns = spec.columns): pl.DataFrame | undefined => {
      const csv = join(this.dir, spec.csv);
      if (_isFile(csv)) return CsvStream.read(csv, columns);
      if (spec.parquet !== undefined && _isFile(join(this.dir, spec.parquet))) {
        try {
          const df = pl.readParquet(join(this.dir, spec.parquet));
          return df.select(...columns.map((c) => c.name));
        } catch (error) {
          throw new DataError(
            `Cannot resume the system log: ${spec.parquet} is unreadable (${_message(error)})`,
            { cause: error },
          );
        }
      }
      return undefined;
    };
    const statistics = previous(_SPECS.statistics);
    let last = -Infinity;
    if (statistics !== undefined && statistics.height > 0) {
      last = statistics.getColumn("timestamp").cast(pl.Float64).max() as number;
      this.#bars = statistics.height;
      this.#lastComplete = last;
    }
    const keep = (spec: _StreamSpec, df: pl.DataFrame): pl.DataFrame =>
      df.filter(pl.col(spec.barColumn).cast(pl.Float64).ltEq(pl.lit(last)));

    // Final states and fills of the earlier orders, for orders.parquet's last columns.
    const ordersPath = join(this.dir, SYSTEM_LOG_PATHS.orders);
    if (!_isFile(join(this.dir, _SPECS.orders.csv)) && _isFile(ordersPath)) {
      const df = pl.readParquet(ordersPath);
      if (df.columns.includes("final_state")) {
        const ids = df.getColumn("order_id").cast(pl.Float64).toArray() as number[];
        const finals = df.getColumn("final_state").toArray() as string[];
        ids.forEach((id, i) => this.#finalStates.set(id, finals[i] as string));
      }
    }
    const streams: [_StreamName, _StreamSpec, pl.DataFrame | undefined][] = [];
    for (const [name, spec] of Object.entries(_SPECS) as [_StreamName, _StreamSpec][]) {
      streams.push([name, spec, name === "statistics" ? statistics : previous(spec)]);
    }
    for (const [name, spec, df] of streams) {
      const stream = await CsvStream.create(join(this.dir, spec.csv), spec.columns);
      this.#streams.set(name, stream);
      if (df === undefined || df.height === 0) continue;
      const rows = keep(spec, df);
      if (rows.height > 0) stream.append(_frameCsv(rows));
      if (name === "fills") {
        const orderIds = rows.getColumn("order_id").cast(pl.Float64).toArray() as number[];
        const shares = rows.getColumn("shares").toArray() as number[];
        orderIds.forEach((id, i) => {
          this.#filled.set(id, (this.#filled.get(id) ?? 0) + (shares[i] as number));
        });
      }
    }
    // The forecasts, with the column types recorded when the stream was created.
    const columns = await _readForecastColumns(this.dir);
    if (columns !== undefined) {
      const spec: _StreamSpec = {
        csv: _csvOf(SYSTEM_LOG_PATHS.forecasts),
        parquet: SYSTEM_LOG_PATHS.forecasts,
        columns,
        barColumn: "timestamp",
      };
      const df = previous(spec, columns);
      this.#forecasts = await CsvStream.create(join(this.dir, spec.csv), columns);
      this.#forecastColumns = columns.map((c) => c.name);
      if (df !== undefined && df.height > 0) this.#forecasts.append(_frameCsv(keep(spec, df)));
    }
    for (const spec of Object.values(_SPECS) as _StreamSpec[]) {
      if (spec.parquet !== undefined) {
        await Deno.remove(join(this.dir, spec.parquet)).catch(() => {});
      }
    }
    if (columns !== undefined) {
      await Deno.remove(join(this.dir, SYSTEM_LOG_PATHS.forecasts)).catch(() => {});
    }
  }

  /** Bars written completely. */
  get barsWritten(): number {
    return this.#bars;
  }

  /** End of the last bar written completely, or `undefined`. */
  get lastCompleteBar(): number | undefined {
    return this.#lastComplete;
  }

  /** Appends a line to `log.txt` (stamped with the clock's time when there is one). */
  async info(message: string): Promise<void> {
    this.#echo?.(message);
    const stamp = this.#clock === undefined ? "" : `${new Date(this.#clock.now()).toISOString()} `;
    await Deno.writeTextFile(join(this.dir, SYSTEM_LOG_PATHS.logTxt), `${stamp}${message}\n`, {
      append: true,
      create: true,
    });
  }

  /**
   * Writes `system_config.<stage>.{txt,json}` atomically: `input` as `key: value` lines,
   * `output` in the verbose form (marked_as_used, writer, type of every leaf).
   */
  async writeConfig(stage: "input" | "output", config: Config): Promise<void> {
    const txt = stage === "input"
      ? SYSTEM_LOG_PATHS.configInputTxt
      : SYSTEM_LOG_PATHS.configOutputTxt;
    const json = stage === "input"
      ? SYSTEM_LOG_PATHS.configInputJson
      : SYSTEM_LOG_PATHS.configOutputJson;
    const text = stage === "input" ? config.toString() : config.toVerboseString();
    await atomicWrite(join(this.dir, txt), text + "\n");
    await atomicWrite(join(this.dir, json), config.toJSONString({ indent: 2 }) + "\n");
  }

  /**
   * Writes `run.json` atomically — synchronously (a small file, rewritten every n bars of a
   * replay: three asynchronous file operations cost more than the bars in between).
   */
  writeRunInfo(info: { readonly [key: string]: JsonValue }): Promise<void> {
    try {
      atomicWriteSync(
        join(this.dir, SYSTEM_LOG_PATHS.runJson),
        JSON.stringify(info, null, 2) + "\n",
      );
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Writes `stats.json` atomically. */
  async writeStats(stats: object): Promise<void> {
    await atomicWrite(
      join(this.dir, SYSTEM_LOG_PATHS.statsJson),
      JSON.stringify(stats, null, 2) + "\n",
    );
  }

  /**
   * Appends one processed bar to the streams — forecasts, DAG timings, target positions,
   * orders, fills, per-asset portfolio rows, received bars — and its statistics line last.
   * Bars must come in time order.
   */
  async writeBar(bar: SystemLogBar, options: WriteBarOptions = {}): Promise<void> {
    if (this.#closed) throw new UsageError("SystemLog.writeBar: the log is closed");
    const t = bar.timestamp;
    if (this.#lastComplete !== undefined && !(t > this.#lastComplete)) {
      throw new UsageError(`SystemLog.writeBar: bar ${csvTime(t)} is not after the last bar`);
    }
    const time = _timeCache();
    const tIso = time(t);
    const put = (name: _StreamName, text: string) => {
      (this.#streams.get(name) as CsvStream).append(text);
    };

    if (bar.forecasts.height > 0) await this.#writeForecasts(bar.forecasts, time);
    let text = "";
    for (const timing of bar.dagTimings) {
      text += `${tIso},${timing.method},${csvText(timing.nodeId)},${
        csvNumber(Math.round(timing.ms * 1000) / 1000)
      }\n`;
    }
    put("profiling", text);

    text = "";
    for (const r of bar.oms.targets) {
      text += `${time(r.timestamp)},${r.assetId},${csvNumber(r.holdingsShares)},${
        csvNumber(r.price)
      },${csvNumber(r.holdingsNotional)},${csvNumber(r.prediction)},${csvNumber(r.volatility)},${
        csvNumber(r.targetHoldingsNotional)
      },${csvNumber(r.targetTradesNotional)},${csvNumber(r.targetTradesShares)},${
        csvNumber(r.targetHoldingsShares)
      }\n`;
    }
    put("targets", text);

    // Orders of earlier bars that reached a final state, and this bar's fills.
    for (const [id, order] of this.#open) {
      if (_isFinal(order.state)) {
        this.#finalStates.set(id, order.state);
        this.#open.delete(id);
      }
    }
    text = "";
    for (const o of bar.oms.orders) {
      text += `${tIso},${o.id},${time(o.creationTimestamp)},${o.assetId},${o.type},${
        time(o.startTimestamp)
      },${time(o.endTimestamp)},${csvNumber(o.currentShares)},${csvNumber(o.diffShares)},${
        o.limitPrice === undefined ? "" : csvNumber(o.limitPrice)
      },${o.targetWeight === undefined ? "" : csvNumber(o.targetWeight)},${o.state}\n`;
      if (!_isFinal(o.state)) this.#open.set(o.id, o);
    }
    put("orders", text);

    text = "";
    for (const f of bar.oms.fills) {
      text += `${tIso},${f.id},${f.orderId},${f.assetId},${time(f.timestamp)},${
        csvNumber(f.shares)
      },${csvNumber(f.price)},${csvNumber(f.fee)}\n`;
      this.#filled.set(f.orderId, (this.#filled.get(f.orderId) ?? 0) + f.shares);
    }
    put("fills", text);

    text = "";
    for (const a of bar.oms.portfolio.assets) {
      text += `${time(a.timestamp)},${a.assetId},${csvNumber(a.holdingsShares)},${
        csvNumber(a.holdingsNotional)
      },${csvNumber(a.executedTradesShares)},${csvNumber(a.executedTradesNotional)},${
        csvNumber(a.fees)
      },${csvNumber(a.pnl)},${csvNumber(a.price)}\n`;
    }
    put("positions", text);

    if (options.bars !== undefined && options.bars.height > 0) {
      this.#writeFrame("bars", options.bars, time);
    }

    // The statistics line last: it marks the bar complete. Every `yieldEveryBars` bars it is
    // written asynchronously, which lets the event loop run (signal handlers: SIGINT/SIGTERM
    // are seen within that many bars even in an event-driven replay that never sleeps).
    const s = bar.oms.portfolio.statistics;
    const statistics = this.#streams.get("statistics") as CsvStream;
    const line = `${time(s.timestamp)},${csvNumber(s.pnl)},${csvNumber(s.grossVolume)},${
      csvNumber(s.netVolume)
    },${csvNumber(s.gmv)},${csvNumber(s.nmv)},${csvNumber(s.fees)},${csvNumber(s.cash)},${
      csvNumber(s.netWealth)
    },${csvNumber(s.leverage)},${s.numTrades}\n`;
    if ((this.#bars + 1) % this.#yieldEveryBars === 0) await statistics.appendAsync(line);
    else statistics.append(line);
    this.#lastComplete = t;
    this.#bars += 1;
    if (this.#syncEveryBars > 0 && this.#bars % this.#syncEveryBars === 0) await this.#sync();
  }

  /** Forces the streams to disk and closes them (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sync();
    for (const stream of this.#allStreams()) stream.close();
  }

  /**
   * Closes the streams and turns them into the final files (see the module documentation):
   * each Parquet file is written atomically, then its stream is removed. Rows of bars after
   * the last complete bar are dropped. Returns the statistics and the files written.
   */
  async consolidate(): Promise<ConsolidatedLog> {
    await this.close();
    const last = this.#lastComplete ?? -Infinity;
    const files: string[] = [];
    const read = (spec: _StreamSpec, columns = spec.columns): pl.DataFrame => {
      const df = CsvStream.read(join(this.dir, spec.csv), columns);
      return df.filter(pl.col(spec.barColumn).cast(pl.Int64).ltEq(pl.lit(last)));
    };
    const write = async (rel: string, df: pl.DataFrame): Promise<void> => {
      await atomicWriteWith(join(this.dir, rel), (tmp) => {
        df.writeParquet(tmp, { compression: "snappy" });
      });
      files.push(rel);
    };

    const statistics = read(_SPECS.statistics);
    await write(SYSTEM_LOG_PATHS.statistics, statistics);
    const positions = read(_SPECS.positions);
    await write(SYSTEM_LOG_PATHS.positions, positions);
    for (const name of PORTFOLIO_VALUE_FILES) {
      await write(
        join(SYSTEM_LOG_PATHS.portfolio, `${name}.parquet`),
        positions.select("timestamp", "asset_id", name),
      );
    }
    await write(SYSTEM_LOG_PATHS.targetPositions, read(_SPECS.targets));
    await write(SYSTEM_LOG_PATHS.orders, this.#finalOrders(read(_SPECS.orders)));
    await write(SYSTEM_LOG_PATHS.fills, read(_SPECS.fills));
    if (this.#forecasts !== undefined) {
      const spec: _StreamSpec = {
        csv: _csvOf(SYSTEM_LOG_PATHS.forecasts),
        parquet: SYSTEM_LOG_PATHS.forecasts,
        columns: this.#forecasts.columns,
        barColumn: "timestamp",
      };
      await write(SYSTEM_LOG_PATHS.forecasts, read(spec));
    }
    const bars = read(_SPECS.bars);
    if (bars.height > 0) {
      const store = join(this.dir, SYSTEM_LOG_PATHS.marketData);
      await writeStore(bars, store, { timeframe: formatTimeframe(this.barMs) });
      files.push(SYSTEM_LOG_PATHS.marketData);
    }
    for (const spec of Object.values(_SPECS) as _StreamSpec[]) {
      if (spec.parquet !== undefined || spec === _SPECS.bars) {
        await Deno.remove(join(this.dir, spec.csv)).catch(() => {});
      }
    }
    if (this.#forecasts !== undefined) await Deno.remove(this.#forecasts.path).catch(() => {});
    return { statistics, files };
  }

  /** Adds `final_state` and `filled_shares` to the orders. */
  #finalOrders(orders: pl.DataFrame): pl.DataFrame {
    const ids = orders.getColumn("order_id").cast(pl.Float64).toTypedArray() as Float64Array;
    const states = orders.getColumn("state").toArray() as string[];
    const final = Array.from(ids, (id, i) => {
      const open = this.#open.get(id);
      return this.#finalStates.get(id) ?? open?.state ?? states[i] as string;
    });
    const filled = Float64Array.from(ids, (id) => this.#filled.get(id) ?? 0);
    return orders.withColumns(
      pl.Series("final_state", final, pl.Utf8),
      pl.Series("filled_shares", filled),
    );
  }

  async #writeForecasts(df: pl.DataFrame | ColumnFrame, time: _Time): Promise<void> {
    if (this.#forecasts === undefined) {
      // The types of the Polars form (once per log: a `ColumnFrame` converts itself).
      const polars = df instanceof ColumnFrame ? df.toPolars() : df;
      const dtypes = polars.dtypes;
      const columns = polars.columns.map((name, i) => ({ name, dtype: dtypes[i] as pl.DataType }));
      const path = join(this.dir, _csvOf(SYSTEM_LOG_PATHS.forecasts));
      await _writeForecastColumns(this.dir, columns);
      this.#forecasts = await CsvStream.create(path, columns);
      this.#forecastColumns = [...df.columns];
    }
    const columns = this.#forecastColumns as string[];
    if (!_sameColumns(df.columns, columns)) {
      const missing = columns.filter((c) => !df.columns.includes(c));
      if (missing.length > 0 || df.columns.length !== columns.length) {
        throw new DataError(
          `SystemLog: the DAG's rows changed columns (had ${columns.join(", ")}; now ${
            df.columns.join(", ")
          }); a DAG must keep its output columns from bar to bar`,
        );
      }
    }
    this.#forecasts.append(_csvRows(df, columns, time));
  }

  #writeFrame(name: _StreamName, df: pl.DataFrame | ColumnFrame, time: _Time): void {
    const stream = this.#streams.get(name) as CsvStream;
    stream.append(_csvRows(df, stream.columns.map((c) => c.name), time));
  }

  async #sync(): Promise<void> {
    for (const stream of this.#allStreams()) await stream.sync();
  }

  #allStreams(): CsvStream[] {
    const all = [...this.#streams.values()];
    if (this.#forecasts !== undefined) all.push(this.#forecasts);
    return all;
  }
}

const _FORECAST_COLUMNS = join("dag", "forecasts.columns.json");

/** Records the forecasts stream's columns and types (to read it back in a resumed run). */
async function _writeForecastColumns(
  dir: string,
  columns: readonly CsvStreamColumn[],
): Promise<void> {
  const spec = columns.map((c) => ({ name: c.name, dtype: c.dtype.variant }));
  await atomicWrite(join(dir, _FORECAST_COLUMNS), JSON.stringify(spec) + "\n");
}

/** The forecasts stream's columns recorded by `_writeForecastColumns`, or `undefined`. */
async function _readForecastColumns(dir: string): Promise<CsvStreamColumn[] | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, _FORECAST_COLUMNS));
  } catch {
    return undefined;
  }
  const types: Record<string, pl.DataType> = {
    Float64: pl.Float64,
    Float32: pl.Float32,
    Int64: pl.Int64,
    Int32: pl.Int32,
    Utf8: pl.Utf8,
    String: pl.Utf8,
    Bool: pl.Bool,
    Boolean: pl.Bool,
    Datetime: _TIME,
  };
  const spec = JSON.parse(text) as { name: string; dtype: string }[];
  return spec.map((c) => {
    const dtype = types[c.dtype];
    if (dtype === undefined) {
      throw new DataError(
        `Cannot resume the system log: forecasts column ${c.name} has type ${c.dtype}, which ` +
          `cannot be read back`,
      );
    }
    return { name: c.name, dtype };
  });
}

function _isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The latest time `Date.toISOString` writes as `CSV_DATETIME_FORMAT` does (9999-12-31). */
const _MAX_ISO_MS = 253402300799999;

/** The stream lines of `df`'s columns `names`, in that order (`_columnsCsv` / `_rowsCsv`). */
function _csvRows(
  df: pl.DataFrame | ColumnFrame,
  names: readonly string[],
  time: _Time,
): string {
  if (df instanceof ColumnFrame) {
    return _columnsCsv(df, names, time) ?? _frameCsv(df.select(names).toPolars());
  }
  return _rowsCsv(_sameColumns(df.columns, names) ? df : df.select(...names), time);
}

// A bar's rows are formatted here rather than by Polars' writer (≈ 0.15–0.2 ms per call in a
// running system: it hands its work to its thread pool; a few rows format faster on the calling
// thread) wherever the two read back the same: Float64 in the shortest round-trip form
// (`csvNumber`), safe integers, ms times of years 1970–9999 as ISO (`csvTime`), non-empty
// strings (`csvText`), nulls as empty fields. A field `undefined` below: only the writer can say
// (`_frameCsv` formats the whole bar).

/** The field of number `v` (not null) of a column of `kind`, or `undefined` (see above). */
function _numberField(kind: NumericColumn["kind"], v: number, time: _Time): string | undefined {
  if (kind === "f64") return csvNumber(v);
  if (kind === "i64") return Number.isSafeInteger(v) ? String(v) : undefined;
  return Number.isInteger(v) && v >= 0 && v <= _MAX_ISO_MS ? time(v) : undefined;
}

/** The field of string `v` (not null), or `undefined` for `""` (see above). */
function _stringField(v: string): string | undefined {
  return v === "" ? undefined : csvText(v);
}

/**
 * A `ColumnFrame`'s rows as stream lines, formatted as `_rowsCsv` formats the frame's Polars
 * form (`toPolars`: NaN → null), or `undefined` when a value needs Polars' writer.
 */
function _columnsCsv(df: ColumnFrame, names: readonly string[], time: _Time): string | undefined {
  // Per column, read once: its kind, its values, the field of each string of its dictionary.
  const m = names.length;
  const kinds = new Array<Column["kind"]>(m);
  const numbers = new Array<Float64Array>(m);
  const codes = new Array<Int32Array>(m);
  const texts = new Array<(string | undefined)[]>(m);
  for (let c = 0; c < m; c++) {
    const column = df.column(names[c] as string);
    kinds[c] = column.kind;
    if (column.kind === "str") {
      codes[c] = column.values;
      texts[c] = column.dictionary.map(_stringField);
    } else {
      numbers[c] = column.values;
    }
  }
  const n = df.height;
  let text = "";
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      if (c > 0) text += ",";
      const kind = kinds[c] as Column["kind"];
      let field: string | undefined;
      if (kind === "str") {
        const code = (codes[c] as Int32Array)[i] as number;
        if (code < 0) continue;
        field = (texts[c] as (string | undefined)[])[code];
      } else {
        const v = (numbers[c] as Float64Array)[i] as number;
        if (v !== v) continue; // NaN: null
        field = _numberField(kind, v, time);
      }
      if (field === undefined) return undefined;
      text += field;
    }
    text += "\n";
  }
  return text;
}

/**
 * A Polars frame's rows as stream lines from one `rows()` call, for columns of type Float64,
 * Int64/Int32, Datetime("ms", "UTC") and String (a Float64 NaN stays `NaN`, unlike in a
 * `ColumnFrame`); any other type, or a value only Polars' writer can format: `_frameCsv`.
 */
function _rowsCsv(df: pl.DataFrame, time: _Time): string {
  const kinds: Column["kind"][] = [];
  for (const dtype of df.dtypes) {
    const v = dtype.variant;
    if (v === "Float64") kinds.push("f64");
    else if (v === "Int64" || v === "Int32") kinds.push("i64");
    else if (v === "Datetime" && dtype.equals(_TIME)) kinds.push("time");
    else if (v === "String" || v === "Utf8") kinds.push("str");
    else return _frameCsv(df);
  }
  let text = "";
  for (const row of df.rows() as unknown[][]) {
    let line = "";
    for (let c = 0; c < kinds.length; c++) {
      const v = row[c];
      let field: string | undefined = "";
      if (v !== null) {
        const kind = kinds[c] as Column["kind"];
        if (kind === "str") field = typeof v === "string" ? _stringField(v) : undefined;
        else if (kind === "time") {
          field = v instanceof Date ? _numberField(kind, v.getTime(), time) : undefined;
        } else field = typeof v === "number" ? _numberField(kind, v, time) : undefined;
        if (field === undefined) return _frameCsv(df);
      }
      line += c === 0 ? field : `,${field}`;
    }
    text += `${line}\n`;
  }
  return text;
}

/** A frame's rows as stream lines (Polars' writer: shortest round-trip floats, ISO times). */
function _frameCsv(df: pl.DataFrame): string {
  return df.writeCSV({ includeHeader: false, datetimeFormat: CSV_DATETIME_FORMAT }).toString();
}

function _sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

function _isFinal(state: string): boolean {
  return state === "filled" || state === "cancelled" || state === "rejected";
}

/** `csvTime` with a cache (`_timeCache`). */
type _Time = (ms: number) => string;

/** `csvTime` with a cache (the rows of a bar share a few times). */
function _timeCache(): _Time {
  const cache = new Map<number, string>();
  return (ms) => {
    let text = cache.get(ms);
    if (text === undefined) cache.set(ms, text = csvTime(ms));
    return text;
  };
}
