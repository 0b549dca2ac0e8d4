/**
 * `ccxtExecution`: the execution of a `prod` run (DESIGN §1: real clock, live bars, ccxt
 * broker) — the `CcxtBroker` on the exchange (waves of child limit orders, or one market child,
 * every child with an idempotent client order id `<prefix>-<parent id>-<wave>`), its logs under
 * `<runDir>/broker/`.
 *
 * Recovery after a restart: the parents to resolve are the orders the OMS database has open
 * and the orders the broker journal (`readBrokerJournal`) shows submitted but the database
 * never recorded (the process died between submitting a bar's orders and committing that bar).
 * Their possible child client ids come from the journal, from the exchange's open orders that
 * carry the parent's prefix, and — for a parent the journal does not know — from its wave
 * schedule; `recoverParentOrders` resolves them on the exchange. Reconciliation reads the
 * account's balances and open orders (`fetchExchangeState`).
 *
 * The optimizer's orders are `twap` (or `market`, `run_prod.order_type`) and are sized at the
 * decision: a live broker cannot size an order at its fill.
 */
import { join } from "node:path";
import {
  CcxtBroker,
  type CcxtBrokerExchange,
  Order,
  type OrderType,
  waveTimes,
} from "../oms/mod.ts";
import { OPEN_ORDER_STATES, ordersFromText } from "../oms/db/mod.ts";
import { assetIdOf, ccxtSymbolOf } from "../sim/mod.ts";
import { readBrokerJournal } from "./broker_journal.ts";
import { type ParentToRecover, recoverParentOrders } from "./parent_order_recovery.ts";
import type {
  ProdBroker,
  ProdBrokerContext,
  ProdExchangeStateContext,
  ProdExecution,
  ProdRecovery,
  ProdRecoveryContext,
} from "./prod_execution.ts";
import type { RunProdSettings } from "./run_prod_settings.ts";
import {
  type ExchangeState,
  fetchExchangeState,
  type ReconciliationExchange,
} from "./startup_reconciliation.ts";

/** The exchange calls of a prod run: trading and reconciliation (a ccxt exchange). */
export type CcxtExecutionExchange = CcxtBrokerExchange & ReconciliationExchange;

/** The prod execution on `exchange` (see the module documentation). */
export function ccxtExecution(exchange: CcxtExecutionExchange): ProdExecution {
  return {
    name: "ccxt",
    orderType: (settings: RunProdSettings): OrderType => settings.orderType,
    sizesAtFill: () => false,
    createBroker: async (ctx: ProdBrokerContext): Promise<ProdBroker> => {
      const s = ctx.settings;
      const broker = await CcxtBroker.create(exchange, {
        clock: ctx.clock,
        runId: ctx.clientOrderIdPrefix,
        symbols: ctx.fullSymbols,
        runDir: ctx.runDir,
        executionFreqMs: s.executionFreqMs,
        minWaveRemainingMs: s.minWaveRemainingMs,
        passivityFactor: s.passivityFactor,
        quantityMode: s.quantityMode,
        fillIds: ctx.fillIds,
      });
      return broker;
    },
    recover: async (ctx: ProdRecoveryContext): Promise<ProdRecovery> => {
      const journal = await readBrokerJournal(join(ctx.runDir, "broker"));
      const symbols = new Map(ctx.fullSymbols.map((f) => [assetIdOf(f), ccxtSymbolOf(f)]));
      const prefix = ctx.clientOrderIdPrefix;
      const known = new Map(ctx.orders.map((r) => [r.orderId, r]));
      const parents = new Map<number, { order: Order; ids: Set<string> }>();
      for (const row of ctx.orders) {
        if (!OPEN_ORDER_STATES.includes(row.state) && row.state !== "submitted") continue;
        const [parsed] = ordersFromText(row.orderTxt, `order ${row.orderId}`);
        if (parsed === undefined) continue;
        const order = new Order({ ...parsed.toFields(), state: row.state as Order["state"] });
        const logged = journal.parents.get(row.orderId)?.clientOrderIds;
        const ids = new Set(logged ?? []);
        if (logged === undefined) {
          // Not in the journal (its logs were lost): every id its waves could have used.
          const waves = order.type === "market" ? 1 : waveTimes(
            order.startTimestamp,
            order.endTimestamp,
            { executionFreqMs: ctx.settings.executionFreqMs, minWaveRemainingMs: 0 },
          ).length;
          for (let w = 0; w < Math.max(1, waves); w++) ids.add(`${prefix}-${order.id}-${w}`);
        }
        parents.set(order.id, { order, ids });
      }
      const unknownToDb = new Set<number>();
      for (const [id, p] of journal.parents) {
        if (known.has(id)) continue;
        unknownToDb.add(id);
        parents.set(id, { order: p.order, ids: new Set(p.clientOrderIds) });
      }
      // Open orders of the run on the exchange name their parent.
      if (parents.size > 0) {
        const state = await fetchExchangeState(exchange, [...symbols.values()], {
          clock: ctx.clock,
          signal: ctx.signal,
        });
        for (const o of state.openOrders) {
          const cid = o.clientOrderId;
          if (cid === undefined || !cid.startsWith(`${prefix}-`)) continue;
          const parentId = Number(cid.slice(prefix.length + 1).split("-")[0]);
          parents.get(parentId)?.ids.add(cid);
        }
      }
      const list: ParentToRecover[] = [];
      for (const { order, ids } of [...parents.values()].sort((a, b) => a.order.id - b.order.id)) {
        const symbol = symbols.get(order.assetId);
        if (symbol === undefined) {
          ctx.log(
            `recovery: order ${order.id} is for asset ${order.assetId}, outside the universe; ` +
              `it cannot be looked up and is left as it is`,
          );
          continue;
        }
        list.push({ order, symbol, clientOrderIds: [...ids] });
      }
      const recovered = await recoverParentOrders(exchange, list, {
        clock: ctx.clock,
        fillIds: ctx.fillIds,
        signal: ctx.signal,
        log: ctx.log,
      });
      return { parents: recovered, unknownToDb, maxOrderId: journal.maxParentId };
    },
    fetchExchangeState: (ctx: ProdExchangeStateContext): Promise<ExchangeState> =>
      fetchExchangeState(exchange, ctx.fullSymbols.map(ccxtSymbolOf), {
        clock: ctx.clock,
        signal: ctx.signal,
      }),
  };
}
