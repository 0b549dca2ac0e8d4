/**
 * `OrderProcessor` (REFERENCE "OMS": wait for a submitted row → accept after a delay → wait for
 * the orders' end → get fills → rewrite current positions): the trading-system side of the OMS
 * database, for one run. Each pass (`runOnce`), at the clock's `now()`:
 *
 * 1. **Accept.** Every batch of `submitted_orders` without an `accepted_orders` row whose
 *    `timestamp_db + acceptDelayMs <= now` is parsed (`Order.fromString` per line). A batch
 *    that does not parse, repeats an order id, or is refused by the broker gets a row with
 *    `success = false` and the reason; otherwise its orders are inserted into `orders` and the
 *    acceptance row written, in one transaction (`targetlistid` = the batch's rank in the run).
 * 2. **Fills.** With `fillSource: "broker"`, the processor executes: accepted batches go to
 *    `broker.submitOrders` (the broker accepts or rejects each order), and each pass records
 *    `broker.getFills()` into `fills` and the orders' new states. With `fillSource: "table"`,
 *    someone else (the system's own broker) writes `fills`; each pass reads the fills of the
 *    open orders and moves them to `partially_filled` / `filled` (Σ fill shares = diff shares,
 *    within 1e-9 relative; any fill for an order sized at fill). Either way an order still open
 *    `fillTimeoutMs` after its end is cancelled (through `broker.cancelOrders` when there is
 *    one). Fills are recorded as soon as they exist — not only after the order's end — so the
 *    system sees them when the broker has them, as in `backtest`.
 * 3. **Positions.** When anything changed, `current_positions` of (run, account) is rewritten
 *    from all the run's orders and fills (`computeCurrentPositions`), in the same transaction
 *    as the fills.
 *
 * Waiting: `run()` polls — a pass, then `clock.sleepUntil(now + pollMs)` — rather than
 * PostgreSQL LISTEN/NOTIFY. Polling on the `Clock` works the same for SQLite and PostgreSQL,
 * for replayed (deterministic, simulated time) and real clocks, and loses nothing when the
 * processor starts late or restarts: all its state is in the tables (a batch is pending while
 * it has no `accepted_orders` row, an order is open while its state is open). The price is a
 * latency of at most `pollMs` and one indexed query per poll.
 *
 * One processor per run: two processors on the same run would both execute a batch in broker
 * mode (the database keeps one acceptance row, but the second broker has the orders too).
 */
import { DagtradeError, UsageError } from "../../errors/mod.ts";
import type { Clock } from "../../sim/mod.ts";
import type { Broker } from "../broker.ts";
import type { Order } from "../order.ts";
import { checkOrderTransition, isFinalOrderState, type OrderState } from "../order_state.ts";
import { computeCurrentPositions, OPEN_ORDER_STATES, tradeDateOf } from "./current_positions.ts";
import type { OmsDatabase, OrderUpdate } from "./oms_database.ts";
import { fillToRow, ordersFromText, orderToRow } from "./oms_row_conversions.ts";
import type { AcceptedOrdersRow, FillRow, OrderRow, SubmittedOrdersRow } from "./oms_rows.ts";

/** Where an `OrderProcessor` gets fills: its own broker, or the `fills` table. */
export type FillSource = "broker" | "table";

/** Options of `OrderProcessor`. */
export interface OrderProcessorOptions {
  /** The clock every time comes from and every wait goes through. Required. */
  clock: Clock;
  /** The run whose batches this processor handles. Required. */
  runId: string;
  /** The broker that executes accepted orders (`fillSource: "broker"`). Default: none. */
  broker?: Broker | undefined;
  /** Where fills come from. Default: "broker" when `broker` is given, else "table". */
  fillSource?: FillSource | undefined;
  /** Time between passes of `run()`, ms. Default: 1_000. */
  pollMs?: number | undefined;
  /** Delay between a batch's `timestamp_db` and its acceptance, ms. Default: 0. */
  acceptDelayMs?: number | undefined;
  /** An order still open this long after its end is cancelled, ms. Default: 3_600_000 (1 h). */
  fillTimeoutMs?: number | undefined;
  /** Account of the `current_positions` rows. Default: "main". */
  account?: string | undefined;
  /** `instanceid` of the `accepted_orders` rows. Default: 0. */
  instanceId?: number | undefined;
}

/** What one pass did. */
export interface OrderProcessorPass {
  /** The pass's time (`clock.now()` at its start), epoch ms. */
  time: number;
  /** Batches accepted, by filename. */
  accepted: string[];
  /** Batches rejected (`success = false`), by filename. */
  rejected: string[];
  /** Fills written into `fills` (broker mode; 0 in table mode). */
  fillsRecorded: number;
  /** Orders whose state or filled shares changed. */
  ordersUpdated: number;
  /** Whether `current_positions` was rewritten. */
  positionsRewritten: boolean;
}

/** Options of `OrderProcessor.run`. */
export interface OrderProcessorRunOptions {
  /** Stops the loop (between passes or during a sleep). Default: none. */
  signal?: AbortSignal | undefined;
  /** Stop after the first pass at or after this time, epoch ms. Default: never. */
  until?: number | undefined;
  /**
   * Stop after a pass that finds the run's status other than `running` (the submitter ended
   * the run; a run not created yet is waited for). Default: false.
   */
  whileRunning?: boolean | undefined;
}

/** What `run()` did in total, and why it stopped. */
export interface OrderProcessorRunSummary {
  /** Number of passes. */
  passes: number;
  /** Batches accepted. */
  accepted: number;
  /** Batches rejected. */
  rejected: number;
  /** Fills written (broker mode). */
  fillsRecorded: number;
  /** Order updates written. */
  ordersUpdated: number;
  /** Why the loop stopped. */
  stoppedBy: "until" | "signal" | "run_ended";
}

/** An order the processor's broker holds (broker mode). */
interface _Held {
  order: Order;
  filename: string;
  /** The state last written to the database. */
  recorded: OrderState;
  /** Σ shares of its fills so far. */
  filled: number;
}

const _REL_TOL = 1e-9;

function _checkMs(x: number, name: string, min: number): number {
  if (!(Number.isFinite(x) && x >= min)) {
    throw new UsageError(`OrderProcessor: ${name} must be a number >= ${min} ms, got ${x}`);
  }
  return x;
}

/** Accepts submitted batches, records fills and rewrites current positions of one run. */
export class OrderProcessor {
  /** The database. */
  readonly db: OmsDatabase;
  /** The run. */
  readonly runId: string;
  /** Where fills come from. */
  readonly fillSource: FillSource;
  /** Time between passes of `run()`, ms. */
  readonly pollMs: number;
  /** Acceptance delay, ms. */
  readonly acceptDelayMs: number;
  /** Open-order timeout after the order's end, ms. */
  readonly fillTimeoutMs: number;
  /** Account of the position rows. */
  readonly account: string;
  /** Instance id of the acceptance rows. */
  readonly instanceId: number;
  readonly #clock: Clock;
  readonly #broker: Broker | undefined;
  readonly #held = new Map<number, _Held>();

  /** Creates a processor; throws `UsageError` on bad options. */
  constructor(db: OmsDatabase, options: OrderProcessorOptions) {
    this.db = db;
    this.runId = options.runId;
    this.#clock = options.clock;
    this.#broker = options.broker;
    this.fillSource = options.fillSource ?? (options.broker === undefined ? "table" : "broker");
    if (this.fillSource === "broker" && options.broker === undefined) {
      throw new UsageError(`OrderProcessor: fillSource "broker" needs a broker`);
    }
    if (this.fillSource !== "broker" && this.fillSource !== "table") {
      throw new UsageError(
        `OrderProcessor: unknown fillSource '${this.fillSource}': expected broker or table`,
      );
    }
    this.pollMs = _checkMs(options.pollMs ?? 1_000, "pollMs", 1);
    this.acceptDelayMs = _checkMs(options.acceptDelayMs ?? 0, "acceptDelayMs", 0);
    this.fillTimeoutMs = _checkMs(options.fillTimeoutMs ?? 3_600_000, "fillTimeoutMs", 0);
    this.account = options.account ?? "main";
    this.instanceId = options.instanceId ?? 0;
    if (!Number.isSafeInteger(this.instanceId)) {
      throw new UsageError(`OrderProcessor: instanceId must be an integer, got ${this.instanceId}`);
    }
  }

  /**
   * One pass at `clock.now()`: accept due batches, collect fills, rewrite positions. A run
   * that is not in the database yet is waited for (the pass does nothing).
   */
  async runOnce(): Promise<OrderProcessorPass> {
    const now = this.#clock.now();
    const pass: OrderProcessorPass = {
      time: now,
      accepted: [],
      rejected: [],
      fillsRecorded: 0,
      ordersUpdated: 0,
      positionsRewritten: false,
    };
    // A processor may start before the system has created its run: nothing to do yet.
    const run = await this.db.getRun(this.runId);
    if (run === undefined) return pass;
    for (const batch of await this.db.listUnacceptedSubmissions(this.runId)) {
      if (batch.timestampDb + this.acceptDelayMs > now) break; // sorted by timestamp_db
      await this.#accept(batch, run.strategy, now, pass);
    }
    const changed = pass.accepted.length > 0;
    if (this.fillSource === "broker") {
      await this.#collectFromBroker(now, run.strategy, changed, pass);
    } else {
      await this.#collectFromTable(now, run.strategy, changed, pass);
    }
    return pass;
  }

  /**
   * Passes every `pollMs` on the clock until `until`, the signal, or (with `whileRunning`)
   * the end of the run; returns the totals. Errors of a pass (database down) propagate.
   */
  async run(options: OrderProcessorRunOptions = {}): Promise<OrderProcessorRunSummary> {
    const summary: OrderProcessorRunSummary = {
      passes: 0,
      accepted: 0,
      rejected: 0,
      fillsRecorded: 0,
      ordersUpdated: 0,
      stoppedBy: "signal",
    };
    const signal = options.signal;
    while (!signal?.aborted) {
      const pass = await this.runOnce();
      summary.passes += 1;
      summary.accepted += pass.accepted.length;
      summary.rejected += pass.rejected.length;
      summary.fillsRecorded += pass.fillsRecorded;
      summary.ordersUpdated += pass.ordersUpdated;
      const now = this.#clock.now();
      if (options.until !== undefined && now >= options.until) {
        summary.stoppedBy = "until";
        return summary;
      }
      if (options.whileRunning) {
        const run = await this.db.getRun(this.runId);
        if (run !== undefined && run.status !== "running") {
          summary.stoppedBy = "run_ended";
          return summary;
        }
      }
      const next = options.until === undefined
        ? now + this.pollMs
        : Math.min(now + this.pollMs, options.until);
      try {
        await this.#clock.sleepUntil(next, signal);
      } catch (error) {
        if (signal?.aborted) break;
        throw error;
      }
    }
    summary.stoppedBy = "signal";
    return summary;
  }

  /** Parses, (executes) and records one batch. */
  async #accept(
    batch: SubmittedOrdersRow,
    strategyId: string,
    now: number,
    pass: OrderProcessorPass,
  ): Promise<void> {
    const what = `batch ${batch.filename} of run ${this.runId}`;
    let orders: Order[] = [];
    let texts: string[] = [];
    let reason = "";
    try {
      orders = ordersFromText(batch.ordersAsTxt, `Cannot accept ${what}`);
      texts = orders.map((o) => o.toString());
      await this.#checkNew(orders, what);
    } catch (error) {
      if (!(error instanceof DagtradeError)) throw error;
      reason = error.message;
      orders = [];
    }
    if (reason === "" && this.fillSource === "broker") {
      try {
        await (this.#broker as Broker).submitOrders(orders, { wallTime: now });
      } catch (error) {
        if (!(error instanceof DagtradeError)) throw error;
        reason = `the broker refused ${what}: ${error.message}`;
        orders = [];
      }
    } else if (reason === "") {
      for (const o of orders) o.transition("accepted");
    }
    const changed = orders.filter((o) => o.diffShares !== 0 || o.sizedAtFill).length;
    const refused = orders.filter((o) => o.state === "rejected" || o.state === "cancelled").length;
    const rows: OrderRow[] = orders.map((o, i) =>
      orderToRow(o, {
        runId: this.runId,
        filename: batch.filename,
        updatedAt: now,
        orderTxt: texts[i] as string,
      })
    );
    const ok = await this.db.transaction(async (tx) => {
      const rank = (await tx.listAcceptedOrders(this.runId)).length + 1;
      const row: AcceptedOrdersRow = {
        runId: this.runId,
        filename: batch.filename,
        strategyId,
        targetListId: rank,
        tradeDate: tradeDateOf(now),
        instanceId: this.instanceId,
        timestampProcessed: now,
        timestampDb: now,
        targetCount: orders.length,
        changedCount: changed,
        unchangedCount: orders.length - changed,
        cancelCount: refused,
        success: reason === "",
        reason,
      };
      return await tx.acceptOrders(row, rows);
    });
    if (!ok) return; // accepted meanwhile by someone else
    (reason === "" ? pass.accepted : pass.rejected).push(batch.filename);
    if (this.fillSource === "broker") {
      for (const order of orders) {
        if (isFinalOrderState(order.state)) continue; // rejected by the broker: recorded so
        this.#held.set(order.id, {
          order,
          filename: batch.filename,
          recorded: order.state,
          filled: 0,
        });
      }
    }
  }

  /** Throws `UsageError` when the batch repeats an order id or reuses one of the run. */
  async #checkNew(orders: readonly Order[], what: string): Promise<void> {
    const ids = new Set<number>();
    for (const o of orders) {
      if (o.state !== "submitted") {
        throw new UsageError(`Cannot accept ${what}: order ${o.id} is ${o.state}, not submitted`);
      }
      if (ids.has(o.id)) throw new UsageError(`Cannot accept ${what}: order id ${o.id} repeats`);
      ids.add(o.id);
    }
    if (ids.size === 0) return;
    const old = await this.db.listOrders(this.runId, { orderIds: [...ids] });
    if (old[0] !== undefined) {
      throw new UsageError(
        `Cannot accept ${what}: order id ${old[0].orderId} was already used in batch ` +
          `${old[0].filename}`,
      );
    }
  }

  /** Broker mode: records the broker's new fills and order states, cancels timed-out orders. */
  async #collectFromBroker(
    now: number,
    strategyId: string,
    changed: boolean,
    pass: OrderProcessorPass,
  ): Promise<void> {
    const broker = this.#broker as Broker;
    const fills = await broker.getFills();
    for (const fill of fills) {
      const held = this.#held.get(fill.orderId);
      if (held !== undefined) held.filled += fill.shares;
    }
    const late = [...this.#held.values()]
      .filter((h) =>
        !isFinalOrderState(h.order.state) && now >= h.order.endTimestamp + this.fillTimeoutMs
      )
      .map((h) => h.order);
    if (late.length > 0 && broker.cancelOrders !== undefined) {
      await broker.cancelOrders(late.map((o) => o.id), { wallTime: now });
    }
    for (const order of late) {
      if (!isFinalOrderState(order.state)) order.transition("cancelled");
    }
    const filledIds = new Set(fills.map((f) => f.orderId));
    const updates: OrderUpdate[] = [];
    for (const [id, held] of this.#held) {
      if (held.order.state === held.recorded && !filledIds.has(id)) continue;
      updates.push({
        orderId: id,
        state: held.order.state,
        filledShares: held.filled,
        updatedAt: now,
      });
    }
    const rows: FillRow[] = fills.map((f) => fillToRow(f, this.runId));
    if (!changed && rows.length === 0 && updates.length === 0) return;
    await this.db.transaction(async (tx) => {
      pass.fillsRecorded = await tx.insertFills(rows);
      await tx.updateOrders(this.runId, updates);
      await this.#rewritePositions(tx, strategyId, now);
    });
    pass.ordersUpdated = updates.length;
    pass.positionsRewritten = true;
    for (const u of updates) {
      const held = this.#held.get(u.orderId) as _Held;
      held.recorded = held.order.state;
      if (isFinalOrderState(held.order.state)) this.#held.delete(u.orderId);
    }
  }

  /** Table mode: moves open orders along with the fills others wrote; cancels timed-out ones. */
  async #collectFromTable(
    now: number,
    strategyId: string,
    changed: boolean,
    pass: OrderProcessorPass,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const open = await tx.listOrders(this.runId, { states: OPEN_ORDER_STATES });
      const fills = open.length === 0 ? [] : await tx.listFills(
        this.runId,
        open.map((o) => o.orderId),
      );
      const byOrder = new Map<number, FillRow[]>();
      for (const f of fills) {
        const list = byOrder.get(f.orderId);
        if (list === undefined) byOrder.set(f.orderId, [f]);
        else list.push(f);
      }
      const updates: OrderUpdate[] = [];
      for (const o of open) {
        const own = byOrder.get(o.orderId) ?? [];
        let filled = 0;
        for (const f of own) filled += f.shares;
        const sized = !Number.isNaN(o.targetWeight);
        const done = sized
          ? own.length > 0
          : Math.abs(filled - o.diffShares) <= _REL_TOL * Math.max(1, Math.abs(o.diffShares));
        let state: OrderState;
        if (done) state = "filled";
        else if (now >= o.end + this.fillTimeoutMs) state = "cancelled";
        else if (own.length > 0) state = "partially_filled";
        else state = o.state as OrderState;
        if (state === o.state && Object.is(filled, o.filledShares)) continue;
        if (state !== o.state || state === "partially_filled") {
          checkOrderTransition(o.state as OrderState, state, `order ${o.orderId}`);
        }
        updates.push({ orderId: o.orderId, state, filledShares: filled, updatedAt: now });
      }
      if (!changed && updates.length === 0) return;
      await tx.updateOrders(this.runId, updates);
      await this.#rewritePositions(tx, strategyId, now);
      pass.ordersUpdated = updates.length;
      pass.positionsRewritten = true;
    });
  }

  /** Rewrites `current_positions` of (run, account) from all the run's orders and fills. */
  async #rewritePositions(tx: OmsDatabase, strategyId: string, now: number): Promise<void> {
    const rows = computeCurrentPositions(
      await tx.listOrders(this.runId),
      await tx.listFills(this.runId),
      { runId: this.runId, strategyId, account: this.account, now },
    );
    await tx.replacePositions(this.runId, this.account, rows);
  }
}
