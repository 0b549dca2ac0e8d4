/**
 * `OmsRecorder`: writes what the system loop's OMS did, bar by bar, into the OMS database
 * (DESIGN §8) — the tables an `OrderProcessor` maintains, written directly by the system that
 * owns the broker (no second process, no polling):
 *
 * - `submitted_orders`: the bar's orders as submitted (one-line forms, state `submitted`), one
 *   batch per bar with orders, named as `submitOrderBatch` names it
 *   (`orders.<time ISO>.<first order id>`);
 * - `accepted_orders` + `orders`: the batch's acceptance (targetlistid = its rank in the run)
 *   and its orders with their state after submission (a `close` order is filled already);
 * - `fills`, and `orders` updates (state, filled shares) as orders of earlier bars fill or are
 *   cancelled;
 * - `current_positions` (account `main`), rewritten at each commit after a bar where anything
 *   changed, from an incremental `CurrentPositionsTracker` (the rows `computeCurrentPositions`
 *   gives, without re-reading the run's orders and fills every bar);
 * - the portfolio bars held by a `DeferredDbPortfolioStore`, in the same transaction.
 *
 * Every time written is the run clock's (the bar's decision time, `wallTime`), so a replayed
 * run writes the same tables every time, on SQLite and on PostgreSQL.
 *
 * Commits: every `commitEveryBars` bars (default 1: each bar is one transaction, durable once
 * recorded) and at `flush()`. A larger value groups bars into one transaction (faster replays;
 * a crash then loses the uncommitted bars from the database, never part of a bar). With a
 * `worker` (`OmsCommitWorker`, a thread with its own connection), a commit runs on that thread
 * while the loop records the next bars: `recordBar` hands the commit over once the one before
 * it is done (at most one in flight; its failure surfaces there) and returns, `flush()` waits
 * for it; a crash may then also lose the commit in flight. Each commit writes the same rows in
 * the same order either way (`commitOmsBatch`).
 *
 * Resuming (`resume`, a restarted `run-prod`): the recorder is given the run's orders and fills
 * already in the database, so that the position rows continue from them, and the orders still
 * open there as live `Order`s, so that their later fills and final states are recorded like
 * those of the orders it saw submitted.
 */
import { UsageError } from "../errors/mod.ts";
import { type Fill, type Order, type ProcessForecastsBar } from "../oms/mod.ts";
import {
  type FillRow,
  fillToRow,
  type OmsDatabase,
  type OrderRow,
  orderToRow,
  tradeDateOf,
} from "../oms/db/mod.ts";
import { CurrentPositionsTracker } from "./current_positions_tracker.ts";
import type { DeferredDbPortfolioStore } from "./deferred_db_portfolio_store.ts";
import { commitOmsBatch, type OmsBarWrites } from "./oms_commit_batch.ts";
import { OmsCommitEncoder } from "./oms_commit_codec.ts";
import type { OmsCommitWorker } from "./oms_commit_worker.ts";

/** Options of `OmsRecorder`. */
export interface OmsRecorderOptions {
  /** The run (its `runs` row must exist before the first commit). Required. */
  runId: string;
  /** Strategy id of the acceptance and position rows (the DAG's name). Required. */
  strategyId: string;
  /** Account of the position rows. Default: "main". */
  account?: string | undefined;
  /** The portfolio's store, whose pending bars are written with each commit. Default: none. */
  portfolioStore?: DeferredDbPortfolioStore | undefined;
  /** Commit every this many recorded bars (and at `flush`). Default: 1. */
  commitEveryBars?: number | undefined;
  /** The run's history when it is resumed (see the module documentation). Default: a new run. */
  resume?: OmsRecorderResume | undefined;
  /**
   * Commit on this worker thread, overlapping each commit with the next bars (see the module
   * documentation); it must write the database of `db`. Default: none (commits run on `db`).
   */
  worker?: OmsCommitWorker | undefined;
}

/** What a resumed run already recorded (`OmsRecorderOptions.resume`). */
export interface OmsRecorderResume {
  /** Every order row of the run in the database. */
  orders: readonly OrderRow[];
  /** Every fill row of the run in the database. */
  fills: readonly FillRow[];
  /** The orders open in the database, as live orders (their rows are among `orders`). */
  open: readonly Order[];
  /** Batches (`accepted_orders` rows) recorded so far. */
  batches: number;
  /** When the run resumes, epoch ms (not before any fill of `fills`). */
  now: number;
}

/** An order still open when last recorded, with its live row. */
interface _Open {
  order: Order;
  row: OrderRow;
}

/** Records the OMS of one run into an `OmsDatabase` (see the module documentation). */
export class OmsRecorder {
  /** The database. */
  readonly db: OmsDatabase;
  /** The run. */
  readonly runId: string;
  /** Strategy id of the rows. */
  readonly strategyId: string;
  /** Bars per commit. */
  readonly commitEveryBars: number;
  readonly #store: DeferredDbPortfolioStore | undefined;
  readonly #tracker: CurrentPositionsTracker;
  readonly #open = new Map<number, _Open>();
  readonly #worker: OmsCommitWorker | undefined;
  /** The bars recorded since the last commit (inline commits). */
  #pending: OmsBarWrites[] = [];
  /** The same, encoded as they are recorded (commits on the worker). */
  readonly #encoder = new OmsCommitEncoder();
  /** Whether a bar recorded since the last commit changed the positions. */
  #positionsChanged = false;
  /** The worker's commit in flight. */
  #inFlight: Promise<void> | undefined;
  #batches = 0;
  #barsRecorded = 0;

  /** Creates a recorder; throws `UsageError` on a bad `commitEveryBars`. */
  constructor(db: OmsDatabase, options: OmsRecorderOptions) {
    const every = options.commitEveryBars ?? 1;
    if (!Number.isInteger(every) || every < 1) {
      throw new UsageError(`OmsRecorder: commitEveryBars must be a positive integer, got ${every}`);
    }
    this.db = db;
    this.runId = options.runId;
    this.strategyId = options.strategyId;
    this.commitEveryBars = every;
    this.#store = options.portfolioStore;
    this.#worker = options.worker;
    this.#tracker = new CurrentPositionsTracker({
      runId: options.runId,
      strategyId: options.strategyId,
      account: options.account,
    });
    const resume = options.resume;
    if (resume !== undefined) {
      this.#batches = resume.batches;
      // Live copies: the tracker keeps the open ones and sees their later changes.
      const rows = resume.orders.map((r) => ({ ...r })).sort((a, b) => a.orderId - b.orderId);
      const fills = [...resume.fills].sort((a, b) => a.fillId - b.fillId);
      this.#tracker.update(resume.now, { orders: rows, fills });
      const byId = new Map(rows.map((r) => [r.orderId, r]));
      for (const order of resume.open) {
        const row = byId.get(order.id);
        if (row === undefined) {
          throw new UsageError(
            `OmsRecorder: open order ${order.id} to resume is not among the run's order rows`,
          );
        }
        this.#open.set(order.id, { order, row });
      }
    }
  }

  /** Bars recorded so far (committed or not). */
  get barsRecorded(): number {
    return this.#barsRecorded;
  }

  /**
   * Records one bar of `processForecasts` (call once per bar, in time order, after the bar is
   * complete); commits when `commitEveryBars` bars are pending.
   */
  async recordBar(bar: ProcessForecastsBar): Promise<void> {
    await this.#record(bar.wallTime, bar.orders, bar.fills);
  }

  /**
   * Records, at `now`, the state changes of the orders of earlier bars (e.g. cancelled when a
   * run stops) outside any bar: no new order, no fill, no portfolio bar.
   */
  async recordOrderUpdates(now: number): Promise<void> {
    await this.#record(now, [], []);
  }

  async #record(now: number, orders: readonly Order[], fills: readonly Fill[]): Promise<void> {
    const runId = this.runId;
    const writes: OmsBarWrites = {
      batch: undefined,
      accepted: undefined,
      orders: [],
      fills: fills.map((f) => fillToRow(f, runId)),
      updates: [],
      portfolio: this.#store?.takePending() ?? [],
    };
    const filledBy = new Map<number, number>();
    for (const f of fills) filledBy.set(f.orderId, (filledBy.get(f.orderId) ?? 0) + f.shares);

    // Orders of earlier bars that filled or were cancelled during this bar.
    for (const [id, open] of this.#open) {
      const filled = filledBy.get(id);
      const state = open.order.state;
      if (state === open.row.state && filled === undefined) continue;
      open.row.state = state;
      if (filled !== undefined) open.row.filledShares += filled;
      open.row.updatedAt = now;
      writes.updates.push({
        orderId: id,
        state,
        filledShares: open.row.filledShares,
        updatedAt: now,
      });
      if (!_isOpen(state)) this.#open.delete(id);
    }

    // This bar's orders: one submitted batch, its acceptance, its order rows.
    if (orders.length > 0) {
      this.#batches += 1;
      const submitted = orders.map(_submittedText);
      const filename = `orders.${new Date(now).toISOString()}.${orders[0]?.id}`;
      // As `submitOrderBatch` writes it: the submitted one-line forms, one per line.
      writes.batch = { ordersAsTxt: submitted.join("\n"), timestampDb: now };
      let changed = 0;
      let refused = 0;
      orders.forEach((o, i) => {
        if (o.diffShares !== 0 || o.sizedAtFill) changed += 1;
        if (o.state === "rejected" || o.state === "cancelled") refused += 1;
        const row = orderToRow(o, {
          runId,
          filename,
          updatedAt: now,
          orderTxt: submitted[i] as string,
          filledShares: filledBy.get(o.id) ?? 0,
        });
        writes.orders.push(row);
        if (_isOpen(o.state)) this.#open.set(o.id, { order: o, row });
      });
      writes.accepted = {
        runId,
        filename,
        strategyId: this.strategyId,
        targetListId: this.#batches,
        tradeDate: tradeDateOf(now),
        instanceId: 0,
        timestampProcessed: now,
        timestampDb: now,
        targetCount: orders.length,
        changedCount: changed,
        unchangedCount: orders.length - changed,
        cancelCount: refused,
        success: true,
        reason: "",
      };
    }

    if (writes.orders.length > 0 || writes.fills.length > 0 || writes.updates.length > 0) {
      this.#positionsChanged = true;
      this.#tracker.record(now, {
        orders: writes.orders,
        fills: writes.fills,
      });
    }
    if (this.#worker === undefined) {
      // The database gets snapshots: later bars change the live rows in place.
      writes.orders = writes.orders.map((row) => ({ ...row }));
      this.#pending.push(writes);
    } else {
      this.#encoder.addBar(writes); // a snapshot too
    }
    this.#barsRecorded += 1;
    if (this.#pendingBars() >= this.commitEveryBars) await this.#commit();
  }

  /** Bars recorded since the last commit (held in `#pending`, or by the encoder). */
  #pendingBars(): number {
    return this.#worker === undefined ? this.#pending.length : this.#encoder.bars;
  }

  /**
   * Commits every pending bar (and the portfolio store's pending bars) in one transaction, and
   * waits until every commit (a worker's in flight included) is done.
   */
  async flush(): Promise<void> {
    await this.#commit();
    const inFlight = this.#inFlight;
    this.#inFlight = undefined;
    await inFlight;
  }

  /**
   * Commits the pending bars: inline, or on the worker once its commit in flight is done
   * (whose failure is thrown here).
   */
  async #commit(): Promise<void> {
    const portfolio = this.#store?.takePending() ?? [];
    if (this.#pendingBars() === 0 && portfolio.length === 0) return;
    const rest = {
      runId: this.runId,
      account: this.#tracker.account,
      portfolio,
      // The rows after the last bar that changed them: the live rows the tracker reads have
      // not changed since (a change is an update, which makes a new pass).
      positions: this.#positionsChanged ? this.#tracker.rows() : undefined,
    };
    this.#positionsChanged = false;
    if (this.#worker === undefined) {
      const bars = this.#pending;
      this.#pending = [];
      await commitOmsBatch(this.db, { ...rest, bars });
      return;
    }
    const encoded = this.#encoder.finish(rest);
    const previous = this.#inFlight;
    this.#inFlight = undefined;
    await previous;
    const next = this.#worker.commit(encoded);
    next.catch(() => {}); // thrown by the next #commit or flush
    this.#inFlight = next;
  }
}

/**
 * `order`'s one-line form in state `submitted` — what `toString()` of a copy in that state
 * prints — without building the copy: the fields before ` state=` are numbers, times, `None`
 * and the order type, none of which can hold that text.
 */
function _submittedText(order: Order): string {
  const text = order.toString();
  const from = ` state=${order.state} extra_params=`;
  const at = text.indexOf(from);
  return text.slice(0, at) + " state=submitted extra_params=" + text.slice(at + from.length);
}

function _isOpen(state: string): boolean {
  return state === "accepted" || state === "partially_filled" || state === "submitted";
}
