/**
 * The `OmsDatabase` implementation shared by both backends: the same statements run on a
 * `SqlConn` of either dialect, so SQLite and PostgreSQL give identical tables for the same
 * calls. The backend classes only open the connection and run the migrations.
 */
import { DagtradeError, UsageError } from "../../errors/mod.ts";
import {
  _dbl,
  _int,
  _toBool,
  _toDbl,
  _toInt,
  _toIntOrNull,
  _toStr,
  type SqlConn,
  type SqlRow,
  type SqlValue,
} from "./_sql_conn.ts";
import type {
  ListOrdersOptions,
  OmsDatabase,
  OmsDatabaseKind,
  OrderUpdate,
  RunUpdate,
} from "./oms_database.ts";
import { OmsDatabaseError } from "./oms_database_error.ts";
import { formatTime } from "../../sim/bar_schema.ts";
import type {
  AcceptedOrdersRow,
  FillRow,
  OrderRow,
  PositionRow,
  RunRow,
  SubmittedOrdersRow,
} from "./oms_rows.ts";
import type {
  PortfolioAssetRow,
  PortfolioBarRecord,
  PortfolioPosition,
  PortfolioState,
  PortfolioStatistics,
} from "../portfolio_store.ts";

const _RUN_COLS =
  "id, mode, strategy, config_hash, start_time, end_time, status, created_at, updated_at";
const _SUBMITTED_COLS = "run_id, filename, timestamp_db, orders_as_txt";
const _ACCEPTED_COLS = "run_id, filename, strategyid, targetlistid, tradedate, instanceid, " +
  "timestamp_processed, timestamp_db, target_count, changed_count, unchanged_count, " +
  "cancel_count, success, reason";
const _ORDER_COLS = "run_id, order_id, filename, asset_id, type, creation_time, start_time, " +
  "end_time, curr_shares, diff_shares, limit_price, target_weight, state, filled_shares, order_txt, updated_at";
const _FILL_COLS = "run_id, fill_id, order_id, asset_id, timestamp, shares, price, fee";
const _POSITION_COLS = "run_id, strategyid, account, asset_id, tradedate, timestamp_db, " +
  "target_position, current_position, open_quantity, net_cost, bod_position, bod_price";

const _STAT_COLS = "timestamp, pnl, gross_volume, net_volume, gmv, nmv, fees, cash, " +
  "net_wealth, leverage, num_trades";
const _ASSET_COLS = "timestamp, asset_id, holdings_shares, holdings_notional, " +
  "executed_trades_shares, executed_trades_notional, fees, pnl, price";

/** `$from, $from+1, …` for `n` parameters. */
export function _placeholders(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `$${from + i}`).join(", ");
}

function _runFromRow(r: SqlRow): RunRow {
  return {
    id: _toStr(r["id"], "runs.id"),
    mode: _toStr(r["mode"], "runs.mode"),
    strategy: _toStr(r["strategy"], "runs.strategy"),
    configHash: _toStr(r["config_hash"], "runs.config_hash"),
    start: _toInt(r["start_time"], "runs.start_time"),
    end: _toIntOrNull(r["end_time"], "runs.end_time"),
    status: _toStr(r["status"], "runs.status"),
    createdAt: _toInt(r["created_at"], "runs.created_at"),
    updatedAt: _toInt(r["updated_at"], "runs.updated_at"),
  };
}

function _submittedFromRow(r: SqlRow): SubmittedOrdersRow {
  return {
    runId: _toStr(r["run_id"], "submitted_orders.run_id"),
    filename: _toStr(r["filename"], "submitted_orders.filename"),
    timestampDb: _toInt(r["timestamp_db"], "submitted_orders.timestamp_db"),
    ordersAsTxt: _toStr(r["orders_as_txt"], "submitted_orders.orders_as_txt"),
  };
}

function _acceptedFromRow(r: SqlRow): AcceptedOrdersRow {
  const c = (name: string): string => `accepted_orders.${name}`;
  return {
    runId: _toStr(r["run_id"], c("run_id")),
    filename: _toStr(r["filename"], c("filename")),
    strategyId: _toStr(r["strategyid"], c("strategyid")),
    targetListId: _toInt(r["targetlistid"], c("targetlistid")),
    tradeDate: _toStr(r["tradedate"], c("tradedate")),
    instanceId: _toInt(r["instanceid"], c("instanceid")),
    timestampProcessed: _toInt(r["timestamp_processed"], c("timestamp_processed")),
    timestampDb: _toInt(r["timestamp_db"], c("timestamp_db")),
    targetCount: _toInt(r["target_count"], c("target_count")),
    changedCount: _toInt(r["changed_count"], c("changed_count")),
    unchangedCount: _toInt(r["unchanged_count"], c("unchanged_count")),
    cancelCount: _toInt(r["cancel_count"], c("cancel_count")),
    success: _toBool(r["success"], c("success")),
    reason: _toStr(r["reason"], c("reason")),
  };
}

function _orderFromRow(r: SqlRow): OrderRow {
  const c = (name: string): string => `orders.${name}`;
  return {
    runId: _toStr(r["run_id"], c("run_id")),
    orderId: _toInt(r["order_id"], c("order_id")),
    filename: _toStr(r["filename"], c("filename")),
    assetId: _toInt(r["asset_id"], c("asset_id")),
    type: _toStr(r["type"], c("type")),
    creationTime: _toInt(r["creation_time"], c("creation_time")),
    start: _toInt(r["start_time"], c("start_time")),
    end: _toInt(r["end_time"], c("end_time")),
    currShares: _toDbl(r["curr_shares"], c("curr_shares")),
    diffShares: _toDbl(r["diff_shares"], c("diff_shares")),
    limitPrice: _toDbl(r["limit_price"], c("limit_price")),
    targetWeight: _toDbl(r["target_weight"], c("target_weight")),
    state: _toStr(r["state"], c("state")),
    filledShares: _toDbl(r["filled_shares"], c("filled_shares")),
    orderTxt: _toStr(r["order_txt"], c("order_txt")),
    updatedAt: _toInt(r["updated_at"], c("updated_at")),
  };
}

function _fillFromRow(r: SqlRow): FillRow {
  const c = (name: string): string => `fills.${name}`;
  return {
    runId: _toStr(r["run_id"], c("run_id")),
    fillId: _toInt(r["fill_id"], c("fill_id")),
    orderId: _toInt(r["order_id"], c("order_id")),
    assetId: _toInt(r["asset_id"], c("asset_id")),
    timestamp: _toInt(r["timestamp"], c("timestamp")),
    shares: _toDbl(r["shares"], c("shares")),
    price: _toDbl(r["price"], c("price")),
    fee: _toDbl(r["fee"], c("fee")),
  };
}

function _positionFromRow(r: SqlRow): PositionRow {
  const c = (name: string): string => `current_positions.${name}`;
  return {
    runId: _toStr(r["run_id"], c("run_id")),
    strategyId: _toStr(r["strategyid"], c("strategyid")),
    account: _toStr(r["account"], c("account")),
    assetId: _toInt(r["asset_id"], c("asset_id")),
    tradeDate: _toStr(r["tradedate"], c("tradedate")),
    timestampDb: _toInt(r["timestamp_db"], c("timestamp_db")),
    targetPosition: _toDbl(r["target_position"], c("target_position")),
    currentPosition: _toDbl(r["current_position"], c("current_position")),
    openQuantity: _toDbl(r["open_quantity"], c("open_quantity")),
    netCost: _toDbl(r["net_cost"], c("net_cost")),
    bodPosition: _toDbl(r["bod_position"], c("bod_position")),
    bodPrice: _toDbl(r["bod_price"], c("bod_price")),
  };
}

function _statisticsFromRow(r: SqlRow): PortfolioStatistics {
  const c = (name: string): string => `portfolio_statistics.${name}`;
  return {
    timestamp: _toInt(r["timestamp"], c("timestamp")),
    pnl: _toDbl(r["pnl"], c("pnl")),
    grossVolume: _toDbl(r["gross_volume"], c("gross_volume")),
    netVolume: _toDbl(r["net_volume"], c("net_volume")),
    gmv: _toDbl(r["gmv"], c("gmv")),
    nmv: _toDbl(r["nmv"], c("nmv")),
    fees: _toDbl(r["fees"], c("fees")),
    cash: _toDbl(r["cash"], c("cash")),
    netWealth: _toDbl(r["net_wealth"], c("net_wealth")),
    leverage: _toDbl(r["leverage"], c("leverage")),
    numTrades: _toInt(r["num_trades"], c("num_trades")),
  };
}

function _assetRowFromRow(r: SqlRow): PortfolioAssetRow {
  const c = (name: string): string => `portfolio_assets.${name}`;
  return {
    timestamp: _toInt(r["timestamp"], c("timestamp")),
    assetId: _toInt(r["asset_id"], c("asset_id")),
    holdingsShares: _toDbl(r["holdings_shares"], c("holdings_shares")),
    holdingsNotional: _toDbl(r["holdings_notional"], c("holdings_notional")),
    executedTradesShares: _toDbl(r["executed_trades_shares"], c("executed_trades_shares")),
    executedTradesNotional: _toDbl(r["executed_trades_notional"], c("executed_trades_notional")),
    fees: _toDbl(r["fees"], c("fees")),
    pnl: _toDbl(r["pnl"], c("pnl")),
    price: _toDbl(r["price"], c("price")),
  };
}

function _fillParams(f: FillRow): SqlValue[] {
  return [
    f.runId,
    _int(f.fillId, "fill id"),
    _int(f.orderId, "order id"),
    _int(f.assetId, "asset id"),
    _int(f.timestamp, "fill timestamp"),
    _dbl(f.shares),
    _dbl(f.price),
    _dbl(f.fee),
  ];
}

/** Same number, NaN included. */
function _same(a: number, b: number): boolean {
  return Object.is(a, b) || (a === 0 && b === 0);
}

function _sameFill(a: FillRow, b: FillRow): boolean {
  return a.orderId === b.orderId && a.assetId === b.assetId && a.timestamp === b.timestamp &&
    _same(a.shares, b.shares) && _same(a.price, b.price) && _same(a.fee, b.fee);
}

/** Splits `xs` into chunks of at most `n`. */
function _chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Parameters per multi-row statement at most: SQLite's historical limit (999; 32766 since
 * 3.32), far under PostgreSQL's 65535, so that any build of either runs them.
 */
const _MAX_PARAMS = 999;

const _valuesLists = new Map<string, string>();

/** `($1, …, $width), ($width+1, …), …` for `rows` rows (cached: the texts are few). */
function _valuesList(rows: number, width: number): string {
  const key = `${rows}x${width}`;
  let text = _valuesLists.get(key);
  if (text === undefined) {
    const out: string[] = [];
    for (let r = 0; r < rows; r++) out.push(`(${_placeholders(width, r * width + 1)})`);
    text = out.join(", ");
    _valuesLists.set(key, text);
  }
  return text;
}

/**
 * Runs `INSERT INTO <into> VALUES (…), (…), … <tail>` for `rows` (each `width` values), as few
 * multi-row statements as the parameter limit allows — one statement where the per-row form
 * took one per row (a round trip each for PostgreSQL, a step each for SQLite); the rows go in
 * in their order, with the same values. Returns the number of rows the statements changed.
 */
async function _insertRows(
  tx: SqlConn,
  into: string,
  width: number,
  rows: readonly SqlValue[][],
  tail = "",
): Promise<number> {
  const per = Math.max(1, Math.floor(_MAX_PARAMS / width));
  let changed = 0;
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.length <= per ? rows : rows.slice(i, i + per);
    changed += await tx.run(
      `INSERT INTO ${into} VALUES ${_valuesList(chunk.length, width)}${tail}`,
      chunk.flat(),
    );
  }
  return changed;
}

/**
 * Applies `updates` (distinct order ids) with one `UPDATE … FROM (VALUES …)` per chunk (SQLite
 * ≥ 3.33, PostgreSQL); the values are cast to the columns' types (PostgreSQL cannot infer the
 * type of a parameter in a VALUES list). Throws, naming the first missing order in `updates`'
 * order, when an order does not exist, as the per-update form does.
 */
async function _updateOrderRows(
  tx: SqlConn,
  runId: string,
  updates: readonly OrderUpdate[],
): Promise<void> {
  const width = 4;
  const per = Math.floor((_MAX_PARAMS - 1) / width);
  for (const chunk of _chunks(updates, per)) {
    const params: SqlValue[] = [runId];
    const rows: string[] = [];
    for (const u of chunk) {
      const p = params.length + 1;
      rows.push(
        `(CAST($${p} AS BIGINT), CAST($${p + 1} AS TEXT), CAST($${p + 2} AS DOUBLE PRECISION), ` +
          `CAST($${p + 3} AS BIGINT))`,
      );
      params.push(
        _int(u.orderId, "order id"),
        u.state,
        _dbl(u.filledShares),
        _int(u.updatedAt, "updatedAt"),
      );
    }
    const n = await tx.run(
      `UPDATE orders SET state = v.column2, filled_shares = v.column3, updated_at = v.column4
       FROM (VALUES ${rows.join(", ")}) AS v
       WHERE orders.run_id = $1 AND orders.order_id = v.column1`,
      params,
    );
    if (n === chunk.length) continue;
    const found = await tx.all(
      `SELECT order_id FROM orders WHERE run_id = $1 AND order_id IN (${
        _placeholders(chunk.length, 2)
      })`,
      [runId, ...chunk.map((u) => u.orderId)],
    );
    const present = new Set(found.map((r) => _toInt(r["order_id"], "orders.order_id")));
    const missing = chunk.find((u) => !present.has(u.orderId));
    throw new Error(`no order ${missing?.orderId} in run ${runId}`);
  }
}

/** A run's portfolio state as bound values (see `_SqlOmsDatabase.#pendingStates`). */
interface _PendingState {
  timestamp: number;
  cash: number | null;
  /** `[run_id, asset_id, shares, mark]` per position. */
  positions: SqlValue[][];
}

/** Replaces the stored portfolio state (`portfolio_state`, `portfolio_positions`) of a run. */
async function _writeState(tx: SqlConn, runId: string, state: _PendingState): Promise<void> {
  await tx.run(
    `INSERT INTO portfolio_state (run_id, timestamp, cash) VALUES ($1, $2, $3)
     ON CONFLICT (run_id) DO UPDATE SET timestamp = excluded.timestamp, cash = excluded.cash`,
    [runId, state.timestamp, state.cash],
  );
  await tx.run("DELETE FROM portfolio_positions WHERE run_id = $1", [runId]);
  await _insertRows(
    tx,
    "portfolio_positions (run_id, asset_id, shares, mark)",
    4,
    state.positions,
  );
}

/** The OMS tables over a SQL connection of either dialect. */
export class _SqlOmsDatabase implements OmsDatabase {
  /** The backend. */
  readonly kind: OmsDatabaseKind;
  /** File path, or URL + schema without the password. */
  readonly location: string;
  /** The connection (or, inside `transaction`, the transaction). */
  protected readonly conn: SqlConn;
  /**
   * Inside `transaction` only: the portfolio state (cash, positions) the last
   * `appendPortfolioBar` of each run left, written once, when the transaction's function
   * returns (or before `loadPortfolioState` reads it). A replay appends many bars per
   * transaction and only the last state stays in the tables: rewriting it at every bar was a
   * third of the rows written.
   */
  #pendingStates: Map<string, _PendingState> | undefined;

  /** Wraps an open, migrated connection. */
  constructor(conn: SqlConn, kind: OmsDatabaseKind, location: string) {
    this.conn = conn;
    this.kind = kind;
    this.location = location;
  }

  /** Runs `fn`, turning driver errors into `OmsDatabaseError`s that say what failed where. */
  protected async wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof DagtradeError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new OmsDatabaseError(`OMS database ${this.location}: cannot ${what}: ${detail}`, {
        cause: error,
      });
    }
  }

  /** The applied schema versions. */
  schemaVersions(): Promise<number[]> {
    return this.wrap("read schema_migrations", async () => {
      const rows = await this.conn.all("SELECT version FROM schema_migrations ORDER BY version");
      return rows.map((r) => _toInt(r["version"], "schema_migrations.version"));
    });
  }

  /** One transaction; `fn` gets a database object bound to it. */
  transaction<T>(fn: (tx: OmsDatabase) => Promise<T>): Promise<T> {
    return this.wrap(
      "run a transaction",
      () =>
        this.conn.transaction(async (tx) => {
          const db = new _SqlOmsDatabase(tx, this.kind, this.location);
          // A nested transaction shares the outer one's pending states; the outermost writes.
          const outermost = this.#pendingStates === undefined;
          db.#pendingStates = this.#pendingStates ?? new Map();
          const result = await fn(db);
          if (outermost) await db.#writeStates();
          return result;
        }),
    );
  }

  /** Writes the pending portfolio states (see `#pendingStates`). */
  async #writeStates(): Promise<void> {
    const pending = this.#pendingStates;
    if (pending === undefined || pending.size === 0) return;
    for (const [runId, state] of pending) {
      pending.delete(runId);
      await this.wrap(
        `append portfolio bar ${state.timestamp} of run ${runId}`,
        () => this.conn.transaction((tx) => _writeState(tx, runId, state)),
      );
    }
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.wrap("close", () => this.conn.close());
  }

  /** Inserts or replaces a run. */
  putRun(run: RunRow): Promise<void> {
    return this.wrap(`write run ${run.id}`, async () => {
      await this.conn.run(
        `INSERT INTO runs (${_RUN_COLS}) VALUES (${_placeholders(9)})
         ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, strategy = excluded.strategy,
           config_hash = excluded.config_hash, start_time = excluded.start_time,
           end_time = excluded.end_time, status = excluded.status,
           created_at = excluded.created_at, updated_at = excluded.updated_at`,
        [
          run.id,
          run.mode,
          run.strategy,
          run.configHash,
          _int(run.start, "run start"),
          run.end === null ? null : _int(run.end, "run end"),
          run.status,
          _int(run.createdAt, "run createdAt"),
          _int(run.updatedAt, "run updatedAt"),
        ],
      );
    });
  }

  /** Updates a run's status (and end). */
  updateRun(id: string, update: RunUpdate): Promise<void> {
    return this.wrap(`update run ${id}`, async () => {
      const params: SqlValue[] = [id, update.status, _int(update.updatedAt, "updatedAt")];
      let set = "status = $2, updated_at = $3";
      if (update.end !== undefined) {
        params.push(update.end === null ? null : _int(update.end, "run end"));
        set += ", end_time = $4";
      }
      const n = await this.conn.run(`UPDATE runs SET ${set} WHERE id = $1`, params);
      if (n === 0) throw new Error(`no run with id ${id}; create it with putRun() first`);
    });
  }

  /** A run by id. */
  getRun(id: string): Promise<RunRow | undefined> {
    return this.wrap(`read run ${id}`, async () => {
      const rows = await this.conn.all(`SELECT ${_RUN_COLS} FROM runs WHERE id = $1`, [id]);
      return rows[0] === undefined ? undefined : _runFromRow(rows[0]);
    });
  }

  /** Every run. */
  listRuns(): Promise<RunRow[]> {
    return this.wrap("read runs", async () => {
      const rows = await this.conn.all(`SELECT ${_RUN_COLS} FROM runs ORDER BY id`);
      return rows.map(_runFromRow);
    });
  }

  /** Inserts a submitted batch. */
  insertSubmittedOrders(row: SubmittedOrdersRow): Promise<void> {
    return this.wrap(`submit batch ${row.filename} of run ${row.runId}`, async () => {
      await this.conn.run(
        `INSERT INTO submitted_orders (${_SUBMITTED_COLS}) VALUES (${_placeholders(4)})`,
        [row.runId, row.filename, _int(row.timestampDb, "timestampDb"), row.ordersAsTxt],
      );
    });
  }

  /** The run's submitted batches. */
  listSubmittedOrders(runId: string): Promise<SubmittedOrdersRow[]> {
    return this.wrap(`read submitted_orders of run ${runId}`, async () => {
      const rows = await this.conn.all(
        `SELECT ${_SUBMITTED_COLS} FROM submitted_orders WHERE run_id = $1
         ORDER BY timestamp_db, filename`,
        [runId],
      );
      return rows.map(_submittedFromRow);
    });
  }

  /** Submitted batches not yet accepted. */
  listUnacceptedSubmissions(runId?: string): Promise<SubmittedOrdersRow[]> {
    return this.wrap("read unaccepted submitted_orders", async () => {
      const cols = _SUBMITTED_COLS.split(", ").map((c) => `s.${c}`).join(", ");
      const where = runId === undefined ? "" : "AND s.run_id = $1";
      const rows = await this.conn.all(
        `SELECT ${cols} FROM submitted_orders s
         WHERE NOT EXISTS (SELECT 1 FROM accepted_orders a
                           WHERE a.run_id = s.run_id AND a.filename = s.filename) ${where}
         ORDER BY s.timestamp_db, s.run_id, s.filename`,
        runId === undefined ? [] : [runId],
      );
      return rows.map(_submittedFromRow);
    });
  }

  /** Records an acceptance and its orders atomically; false when already accepted. */
  acceptOrders(accepted: AcceptedOrdersRow, orders: readonly OrderRow[]): Promise<boolean> {
    const what = `accept batch ${accepted.filename} of run ${accepted.runId}`;
    return this.wrap(what, () =>
      this.conn.transaction(async (tx) => {
        const a = accepted;
        const n = await tx.run(
          `INSERT INTO accepted_orders (${_ACCEPTED_COLS}) VALUES (${_placeholders(14)})
           ON CONFLICT (run_id, filename) DO NOTHING`,
          [
            a.runId,
            a.filename,
            a.strategyId,
            _int(a.targetListId, "targetListId"),
            a.tradeDate,
            _int(a.instanceId, "instanceId"),
            _int(a.timestampProcessed, "timestampProcessed"),
            _int(a.timestampDb, "timestampDb"),
            _int(a.targetCount, "targetCount"),
            _int(a.changedCount, "changedCount"),
            _int(a.unchangedCount, "unchangedCount"),
            _int(a.cancelCount, "cancelCount"),
            a.success,
            a.reason,
          ],
        );
        if (n === 0) return false;
        const rows: SqlValue[][] = [];
        for (const o of orders) {
          if (o.runId !== a.runId || o.filename !== a.filename) {
            throw new Error(`order ${o.orderId} belongs to ${o.runId}/${o.filename}`);
          }
          rows.push([
            o.runId,
            _int(o.orderId, "order id"),
            o.filename,
            _int(o.assetId, "asset id"),
            o.type,
            _int(o.creationTime, "order creationTime"),
            _int(o.start, "order start"),
            _int(o.end, "order end"),
            _dbl(o.currShares),
            _dbl(o.diffShares),
            _dbl(o.limitPrice),
            _dbl(o.targetWeight),
            o.state,
            _dbl(o.filledShares),
            o.orderTxt,
            _int(o.updatedAt, "order updatedAt"),
          ]);
        }
        await _insertRows(tx, `orders (${_ORDER_COLS})`, 16, rows);
        return true;
      }));
  }

  /** The run's accepted batches. */
  listAcceptedOrders(runId: string): Promise<AcceptedOrdersRow[]> {
    return this.wrap(`read accepted_orders of run ${runId}`, async () => {
      const rows = await this.conn.all(
        `SELECT ${_ACCEPTED_COLS} FROM accepted_orders WHERE run_id = $1
         ORDER BY targetlistid, filename`,
        [runId],
      );
      return rows.map(_acceptedFromRow);
    });
  }

  /** The run's orders. */
  listOrders(runId: string, options: ListOrdersOptions = {}): Promise<OrderRow[]> {
    return this.wrap(`read orders of run ${runId}`, async () => {
      const params: SqlValue[] = [runId];
      let where = "run_id = $1";
      if (options.filename !== undefined) {
        params.push(options.filename);
        where += ` AND filename = $${params.length}`;
      }
      if (options.states !== undefined) {
        if (options.states.length === 0) return [];
        where += ` AND state IN (${_placeholders(options.states.length, params.length + 1)})`;
        params.push(...options.states);
      }
      if (options.orderIds === undefined) {
        const rows = await this.conn.all(
          `SELECT ${_ORDER_COLS} FROM orders WHERE ${where} ORDER BY order_id`,
          params,
        );
        return rows.map(_orderFromRow);
      }
      const out: OrderRow[] = [];
      for (const chunk of _chunks([...new Set(options.orderIds)], 500)) {
        const rows = await this.conn.all(
          `SELECT ${_ORDER_COLS} FROM orders
           WHERE ${where} AND order_id IN (${_placeholders(chunk.length, params.length + 1)})
           ORDER BY order_id`,
          [...params, ...chunk.map((id) => _int(id, "order id"))],
        );
        out.push(...rows.map(_orderFromRow));
      }
      return out.sort((a, b) => a.orderId - b.orderId);
    });
  }

  /** Updates order states. */
  updateOrders(runId: string, updates: readonly OrderUpdate[]): Promise<void> {
    return this.wrap(`update orders of run ${runId}`, () =>
      this.conn.transaction(async (tx) => {
        const ids = new Set(updates.map((u) => u.orderId));
        if (updates.length > 1 && ids.size === updates.length) {
          await _updateOrderRows(tx, runId, updates);
          return;
        }
        // One statement per update (an order updated twice: the last update wins).
        for (const u of updates) {
          const n = await tx.run(
            `UPDATE orders SET state = $3, filled_shares = $4, updated_at = $5
             WHERE run_id = $1 AND order_id = $2`,
            [
              runId,
              _int(u.orderId, "order id"),
              u.state,
              _dbl(u.filledShares),
              _int(u.updatedAt, "updatedAt"),
            ],
          );
          if (n === 0) throw new Error(`no order ${u.orderId} in run ${runId}`);
        }
      }));
  }

  /** Inserts fills (idempotent for identical fills). */
  insertFills(fills: readonly FillRow[]): Promise<number> {
    return this.wrap("insert fills", () =>
      this.conn.transaction(async (tx) => {
        const per = Math.floor(_MAX_PARAMS / 8);
        let inserted = 0;
        for (const chunk of _chunks(fills, per)) {
          const n = await _insertRows(
            tx,
            `fills (${_FILL_COLS})`,
            8,
            chunk.map(_fillParams),
            " ON CONFLICT (run_id, fill_id) DO NOTHING",
          );
          inserted += n;
          if (n === chunk.length) continue;
          // Some were stored already (or repeated): each must equal the stored fill (the rows
          // just inserted do).
          for (const f of chunk) {
            const rows = await tx.all(
              `SELECT ${_FILL_COLS} FROM fills WHERE run_id = $1 AND fill_id = $2`,
              [f.runId, f.fillId],
            );
            const old = rows[0] === undefined ? undefined : _fillFromRow(rows[0]);
            if (old === undefined || !_sameFill(old, f)) {
              throw new Error(
                `fill ${f.fillId} of run ${f.runId} is already stored with other values ` +
                  `(${JSON.stringify(old)}); fill ids must be unique within a run`,
              );
            }
          }
        }
        return inserted;
      }));
  }

  /** The run's fills. */
  listFills(runId: string, orderIds?: readonly number[]): Promise<FillRow[]> {
    return this.wrap(`read fills of run ${runId}`, async () => {
      if (orderIds === undefined) {
        const rows = await this.conn.all(
          `SELECT ${_FILL_COLS} FROM fills WHERE run_id = $1 ORDER BY fill_id`,
          [runId],
        );
        return rows.map(_fillFromRow);
      }
      const out: FillRow[] = [];
      for (const chunk of _chunks([...new Set(orderIds)], 500)) {
        const rows = await this.conn.all(
          `SELECT ${_FILL_COLS} FROM fills
           WHERE run_id = $1 AND order_id IN (${_placeholders(chunk.length, 2)})
           ORDER BY fill_id`,
          [runId, ...chunk.map((id) => _int(id, "order id"))],
        );
        out.push(...rows.map(_fillFromRow));
      }
      return out.sort((a, b) => a.fillId - b.fillId);
    });
  }

  /** Replaces the positions of (run, account). */
  replacePositions(runId: string, account: string, rows: readonly PositionRow[]): Promise<void> {
    return this.wrap(
      `rewrite current_positions of run ${runId}, account ${account}`,
      () =>
        this.conn.transaction(async (tx) => {
          await tx.run("DELETE FROM current_positions WHERE run_id = $1 AND account = $2", [
            runId,
            account,
          ]);
          const values: SqlValue[][] = [];
          for (const p of rows) {
            if (p.runId !== runId || p.account !== account) {
              throw new Error(`position of asset ${p.assetId} is for ${p.runId}/${p.account}`);
            }
            values.push([
              p.runId,
              p.strategyId,
              p.account,
              _int(p.assetId, "asset id"),
              p.tradeDate,
              _int(p.timestampDb, "timestampDb"),
              _dbl(p.targetPosition),
              _dbl(p.currentPosition),
              _dbl(p.openQuantity),
              _dbl(p.netCost),
              _dbl(p.bodPosition),
              _dbl(p.bodPrice),
            ]);
          }
          await _insertRows(tx, `current_positions (${_POSITION_COLS})`, 12, values);
        }),
    );
  }

  /** The run's positions. */
  listPositions(runId: string): Promise<PositionRow[]> {
    return this.wrap(`read current_positions of run ${runId}`, async () => {
      const rows = await this.conn.all(
        `SELECT ${_POSITION_COLS} FROM current_positions WHERE run_id = $1
         ORDER BY account, asset_id`,
        [runId],
      );
      return rows.map(_positionFromRow);
    });
  }

  /** Appends one portfolio bar atomically. */
  appendPortfolioBar(runId: string, record: PortfolioBarRecord): Promise<void> {
    const t = record.statistics.timestamp;
    return this.wrap(
      `append portfolio bar ${t} of run ${runId}`,
      () =>
        this.conn.transaction(async (tx) => {
          if (record.state.timestamp !== t || record.assets.some((a) => a.timestamp !== t)) {
            throw new Error("the statistics, asset rows and state must have the same timestamp");
          }
          const last = await tx.all(
            `SELECT timestamp FROM portfolio_statistics WHERE run_id = $1
           ORDER BY timestamp DESC LIMIT 1`,
            [runId],
          );
          const lastT = last[0] === undefined
            ? undefined
            : _toInt(last[0]["timestamp"], "portfolio_statistics.timestamp");
          if (lastT !== undefined && t <= lastT) {
            throw new UsageError(
              `OMS database ${this.location}: portfolio bar ${formatTime(t)} of run ${runId} is ` +
                `not after the last stored bar ${formatTime(lastT)}; bars must be appended in ` +
                `time order`,
            );
          }
          const s = record.statistics;
          await tx.run(
            `INSERT INTO portfolio_statistics (run_id, ${_STAT_COLS}) VALUES (${
              _placeholders(12)
            })`,
            [
              runId,
              _int(t, "bar timestamp"),
              _dbl(s.pnl),
              _dbl(s.grossVolume),
              _dbl(s.netVolume),
              _dbl(s.gmv),
              _dbl(s.nmv),
              _dbl(s.fees),
              _dbl(s.cash),
              _dbl(s.netWealth),
              _dbl(s.leverage),
              _int(s.numTrades, "numTrades"),
            ],
          );
          await _insertRows(
            tx,
            `portfolio_assets (run_id, ${_ASSET_COLS})`,
            10,
            record.assets.map((a) => [
              runId,
              _int(t, "bar timestamp"),
              _int(a.assetId, "asset id"),
              _dbl(a.holdingsShares),
              _dbl(a.holdingsNotional),
              _dbl(a.executedTradesShares),
              _dbl(a.executedTradesNotional),
              _dbl(a.fees),
              _dbl(a.pnl),
              _dbl(a.price),
            ]),
          );
          const assets = new Set<number>();
          const state: _PendingState = {
            timestamp: _int(t, "bar timestamp"),
            cash: _dbl(record.state.cash),
            positions: record.state.positions.map((p) => {
              if (assets.has(p.assetId)) {
                throw new Error(`the state holds two positions of asset ${p.assetId}`);
              }
              assets.add(p.assetId);
              return [runId, _int(p.assetId, "asset id"), _dbl(p.shares), _dbl(p.mark)];
            }),
          };
          if (this.#pendingStates === undefined) await _writeState(tx, runId, state);
          else this.#pendingStates.set(runId, state);
        }),
    );
  }

  /** The run's portfolio state, or undefined. */
  async loadPortfolioState(runId: string): Promise<PortfolioState | undefined> {
    await this.#writeStates();
    return await this.wrap(
      `read portfolio state of run ${runId}`,
      () =>
        this.conn.transaction(async (tx) => {
          const head = await tx.all(
            "SELECT timestamp, cash FROM portfolio_state WHERE run_id = $1",
            [runId],
          );
          if (head[0] === undefined) return undefined;
          const rows = await tx.all(
            "SELECT asset_id, shares, mark FROM portfolio_positions WHERE run_id = $1 ORDER BY asset_id",
            [runId],
          );
          const positions: PortfolioPosition[] = rows.map((r) => ({
            assetId: _toInt(r["asset_id"], "portfolio_positions.asset_id"),
            shares: _toDbl(r["shares"], "portfolio_positions.shares"),
            mark: _toDbl(r["mark"], "portfolio_positions.mark"),
          }));
          return {
            timestamp: _toInt(head[0]["timestamp"], "portfolio_state.timestamp"),
            cash: _toDbl(head[0]["cash"], "portfolio_state.cash"),
            positions,
          };
        }),
    );
  }

  /** The run's portfolio statistics. */
  readPortfolioStatistics(runId: string): Promise<PortfolioStatistics[]> {
    return this.wrap(`read portfolio_statistics of run ${runId}`, async () => {
      const rows = await this.conn.all(
        `SELECT ${_STAT_COLS} FROM portfolio_statistics WHERE run_id = $1 ORDER BY timestamp`,
        [runId],
      );
      return rows.map(_statisticsFromRow);
    });
  }

  /** The run's portfolio asset rows. */
  readPortfolioAssetRows(runId: string): Promise<PortfolioAssetRow[]> {
    return this.wrap(`read portfolio_assets of run ${runId}`, async () => {
      const rows = await this.conn.all(
        `SELECT ${_ASSET_COLS} FROM portfolio_assets WHERE run_id = $1
         ORDER BY timestamp, asset_id`,
        [runId],
      );
      return rows.map(_assetRowFromRow);
    });
  }
}
