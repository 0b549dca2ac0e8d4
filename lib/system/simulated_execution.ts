/**
 * `simulatedExecution`: the execution of a `paper` run (DESIGN §1: real clock, live bars,
 * simulated broker) — the `SimulatedBroker` on the run's live market data, filling each order at
 * its fill convention's price (`backtest.fill`) with `backtest.fee_bps`, sized at the fill under
 * equity sizing, exactly as in `simulate`.
 *
 * Nothing is on an exchange: the simulated broker's pending orders die with the process, so a
 * restarted paper run cancels the orders its database still has open (no fill), and there is
 * no account to reconcile with.
 */
import { Order, type OrderType, SimulatedBroker } from "../oms/mod.ts";
import { OPEN_ORDER_STATES, ordersFromText } from "../oms/db/mod.ts";
import type {
  ProdBroker,
  ProdBrokerContext,
  ProdExecution,
  ProdRecovery,
  ProdRecoveryContext,
} from "./prod_execution.ts";
import type { RecoveredParent } from "./parent_order_recovery.ts";
import type { RunProdSettings } from "./run_prod_settings.ts";

/** The paper execution (see the module documentation). */
export function simulatedExecution(): ProdExecution {
  return {
    name: "simulated",
    orderType: (settings: RunProdSettings): OrderType => settings.fill,
    sizesAtFill: () => true,
    createBroker: (ctx: ProdBrokerContext): Promise<ProdBroker> => {
      const broker = new SimulatedBroker(ctx.marketData, {
        feeBps: ctx.settings.feeBps,
        sizer: ctx.optimizer.atFillSizer(ctx.portfolio),
        fillIds: ctx.fillIds,
      });
      const prod: ProdBroker = {
        submitOrders: (orders, options) => broker.submitOrders(orders, options),
        getFills: () => broker.getFills(),
        cancelOrders: (ids, options) => broker.cancelOrders(ids, options),
        openOrders: () => broker.openOrders(),
        close: async () => {
          const open = broker.openOrders().map((o) => o.id);
          if (open.length > 0) await broker.cancelOrders(open, { wallTime: ctx.clock.now() });
        },
      };
      return Promise.resolve(prod);
    },
    recover: (ctx: ProdRecoveryContext): Promise<ProdRecovery> => {
      const parents: RecoveredParent[] = [];
      for (const row of ctx.orders) {
        if (!OPEN_ORDER_STATES.includes(row.state) && row.state !== "submitted") continue;
        const [parsed] = ordersFromText(row.orderTxt, `order ${row.orderId}`);
        if (parsed === undefined) continue;
        const order = new Order({ ...parsed.toFields(), state: row.state as Order["state"] });
        order.transition("cancelled");
        ctx.log(
          `recovery: paper order ${order.id} was open when the earlier session ended; the ` +
            `simulated broker's pending orders do not survive a restart: cancelled, no fill`,
        );
        parents.push({ order, fill: undefined, children: [] });
      }
      return Promise.resolve({ parents, unknownToDb: new Set(), maxOrderId: undefined });
    },
  };
}
