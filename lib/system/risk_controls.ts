/**
 * `RiskControls`: the pre-trade checks of `run-prod`, run on every batch of orders before it
 * is submitted (`RiskControlledBroker`), in this order:
 *
 * 1. **kill switch** — when the file `killSwitchFile` exists: every order is denied, open
 *    orders are cancelled and the run stops;
 * 2. **max loss** — when the net wealth (at the decision prices) has fallen more than `maxLoss`
 *    below the run's initial net wealth: `cancel-and-stop` (default) denies every order,
 *    cancels the open ones and stops the run; `halt-new-risk` denies from then on every order
 *    that increases an absolute position (orders that reduce risk still go through);
 * 3. **max order notional** — an order whose |shares| × price exceeds `maxOrderNotional` is
 *    denied (a reducing order too: it is a fat-finger limit);
 * 4. **max gross exposure** — when the gross exposure after the batch, Σ |holdings + orders| ×
 *    price, would exceed `maxGrossExposure`, the batch's risk-increasing orders are denied
 *    (reducing ones go through).
 *
 * An order is risk-increasing when |holdings + shares| > |holdings|. An order for an asset
 * without a price cannot be checked against notional limits and is denied. Every trip is a
 * `RiskTrip` (control, reason, action, orders denied), returned with the decision: the caller
 * logs it (log.txt, `run.json` `risk_trips`). The halted state of `halt-new-risk` persists for
 * the run (`halted`), and is tripped once.
 */
import { UsageError } from "../errors/mod.ts";
import type { Order } from "../oms/mod.ts";

/** What to do when the max loss is crossed. */
export type MaxLossAction = "cancel-and-stop" | "halt-new-risk";

/** The accepted `MaxLossAction`s. */
export const MAX_LOSS_ACTIONS: readonly MaxLossAction[] = ["cancel-and-stop", "halt-new-risk"];

/** The limits; an absent limit is not checked. */
export interface RiskLimits {
  /** Largest |shares| × price of one order, quote currency. Default: none. */
  maxOrderNotional?: number | undefined;
  /** Largest gross exposure Σ |holdings| × price after a batch, quote currency. Default: none. */
  maxGrossExposure?: number | undefined;
  /** Largest loss of net wealth since the run's start, quote currency (> 0). Default: none. */
  maxLoss?: number | undefined;
  /** What crossing `maxLoss` does. Default: `cancel-and-stop`. */
  onMaxLoss?: MaxLossAction | undefined;
  /** A file whose existence stops the run. Default: none. */
  killSwitchFile?: string | undefined;
}

/** A control that can trip. */
export type RiskControlName =
  | "kill_switch"
  | "max_loss"
  | "max_order_notional"
  | "max_gross_exposure";

/** What a trip did. */
export type RiskAction = "cancel_and_stop" | "halt_new_risk" | "deny_orders";

/** One trip of a control. */
export interface RiskTrip {
  /** The clock time of the check, epoch ms. */
  time: number;
  /** The control. */
  control: RiskControlName;
  /** Why, with the numbers. */
  reason: string;
  /** What it did. */
  action: RiskAction;
  /** The orders it denied. */
  deniedOrderIds: number[];
}

/** One batch to check. */
export interface RiskCheckInput {
  /** The clock time, epoch ms. Required. */
  time: number;
  /** The batch, in submission order. Required. */
  orders: readonly Order[];
  /** Current holdings by asset id, shares. Required. */
  holdings: ReadonlyMap<number, number>;
  /** Prices by asset id (the last known closes). Required. */
  prices: ReadonlyMap<number, number>;
  /** Net wealth at `prices`. Required. */
  netWealth: number;
}

/** The outcome of a check. */
export interface RiskDecision {
  /** Orders that may be submitted, in submission order. */
  allowed: Order[];
  /** Orders denied (the caller rejects them). */
  denied: Order[];
  /** Controls that tripped in this check. */
  trips: RiskTrip[];
  /** Whether the run must cancel its open orders and stop. */
  stop: boolean;
}

/** Options of `RiskControls`. */
export interface RiskControlsOptions {
  /** Net wealth at the start of the run (the max-loss reference). Required when `maxLoss` is set. */
  initialNetWealth?: number | undefined;
  /** Whether the max loss already tripped with `halt-new-risk` (a resumed run). Default: false. */
  halted?: boolean | undefined;
  /** Tells whether a file exists. Default: `Deno.statSync`. */
  fileExists?: ((path: string) => boolean) | undefined;
}

/** The pre-trade checks of a run (see the module documentation). */
export class RiskControls {
  /** The limits. */
  readonly limits: Readonly<RiskLimits>;
  /** The max-loss reference. */
  readonly initialNetWealth: number | undefined;
  readonly #fileExists: (path: string) => boolean;
  #halted: boolean;

  /** Checks the limits (positive numbers); throws `UsageError`. */
  constructor(limits: RiskLimits, options: RiskControlsOptions = {}) {
    for (
      const [name, value] of [
        ["max order notional", limits.maxOrderNotional],
        ["max gross exposure", limits.maxGrossExposure],
        ["max loss", limits.maxLoss],
      ] as const
    ) {
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new UsageError(`The ${name} must be a positive number, got ${value}`);
      }
    }
    if (limits.onMaxLoss !== undefined && !MAX_LOSS_ACTIONS.includes(limits.onMaxLoss)) {
      throw new UsageError(
        `Unknown max-loss action '${limits.onMaxLoss}': expected ${MAX_LOSS_ACTIONS.join(" or ")}`,
      );
    }
    if (limits.maxLoss !== undefined && !Number.isFinite(options.initialNetWealth)) {
      throw new UsageError("RiskControls: a max loss needs the run's initial net wealth");
    }
    this.limits = { ...limits };
    this.initialNetWealth = options.initialNetWealth;
    this.#halted = options.halted ?? false;
    this.#fileExists = options.fileExists ?? _exists;
  }

  /** Whether new risk is halted (max loss crossed with `halt-new-risk`). */
  get halted(): boolean {
    return this.#halted;
  }

  /** Whether the kill-switch file exists now. */
  killSwitchEngaged(): boolean {
    const file = this.limits.killSwitchFile;
    return file !== undefined && this.#fileExists(file);
  }

  /** Checks one batch (see the module documentation). */
  check(input: RiskCheckInput): RiskDecision {
    const { time, orders } = input;
    const trips: RiskTrip[] = [];
    const all = (control: RiskControlName, reason: string): RiskDecision => {
      trips.push({
        time,
        control,
        reason,
        action: "cancel_and_stop",
        deniedOrderIds: orders.map((o) => o.id),
      });
      return { allowed: [], denied: [...orders], trips, stop: true };
    };
    if (this.killSwitchEngaged()) {
      return all(
        "kill_switch",
        `the kill-switch file ${this.limits.killSwitchFile} exists: cancelling open orders and ` +
          `stopping`,
      );
    }
    const maxLoss = this.limits.maxLoss;
    if (maxLoss !== undefined) {
      const initial = this.initialNetWealth as number;
      const loss = initial - input.netWealth;
      if (loss > maxLoss || !Number.isFinite(input.netWealth)) {
        const reason = `loss since start ${_money(loss)} (net wealth ${_money(input.netWealth)} ` +
          `from ${_money(initial)}) exceeds the max loss ${_money(maxLoss)}`;
        if ((this.limits.onMaxLoss ?? "cancel-and-stop") === "cancel-and-stop") {
          return all("max_loss", `${reason}: cancelling open orders and stopping`);
        }
        if (!this.#halted) {
          this.#halted = true;
          trips.push({
            time,
            control: "max_loss",
            reason: `${reason}: new risk halted (only orders reducing positions go through)`,
            action: "halt_new_risk",
            deniedOrderIds: [],
          });
        }
      }
    }
    const denied = new Set<Order>();
    const increases = (o: Order) => {
      const h = input.holdings.get(o.assetId) ?? 0;
      return Math.abs(h + o.diffShares) > Math.abs(h) * (1 + 1e-12);
    };
    if (this.#halted) {
      const ids: number[] = [];
      for (const o of orders) {
        if (increases(o)) {
          denied.add(o);
          ids.push(o.id);
        }
      }
      const last = trips[trips.length - 1];
      if (last !== undefined && last.control === "max_loss") last.deniedOrderIds = ids;
    }

    const maxOrder = this.limits.maxOrderNotional;
    const maxGross = this.limits.maxGrossExposure;
    if (maxOrder !== undefined || maxGross !== undefined) {
      const unpriced: number[] = [];
      for (const o of orders) {
        if (denied.has(o)) continue;
        const price = input.prices.get(o.assetId);
        if (!(price !== undefined && Number.isFinite(price) && price > 0)) {
          denied.add(o);
          unpriced.push(o.id);
        }
      }
      if (unpriced.length > 0) {
        trips.push({
          time,
          control: maxOrder !== undefined ? "max_order_notional" : "max_gross_exposure",
          reason: `no price to value order(s) ${unpriced.join(", ")} against the limits`,
          action: "deny_orders",
          deniedOrderIds: unpriced,
        });
      }
    }
    if (maxOrder !== undefined) {
      for (const o of orders) {
        if (denied.has(o)) continue;
        const notional = Math.abs(o.diffShares) * (input.prices.get(o.assetId) as number);
        if (notional > maxOrder) {
          denied.add(o);
          trips.push({
            time,
            control: "max_order_notional",
            reason: `order ${o.id} (asset ${o.assetId}, ${o.diffShares} shares) is worth ` +
              `${_money(notional)}, above the max order notional ${_money(maxOrder)}`,
            action: "deny_orders",
            deniedOrderIds: [o.id],
          });
        }
      }
    }
    if (maxGross !== undefined) {
      const after = new Map(input.holdings);
      for (const o of orders) {
        if (!denied.has(o)) after.set(o.assetId, (after.get(o.assetId) ?? 0) + o.diffShares);
      }
      let gross = 0;
      for (const [assetId, shares] of after) {
        if (shares === 0) continue;
        const price = input.prices.get(assetId);
        gross += Math.abs(shares) * (price !== undefined && Number.isFinite(price) ? price : 0);
      }
      if (gross > maxGross) {
        const ids: number[] = [];
        for (const o of orders) {
          if (!denied.has(o) && increases(o)) {
            denied.add(o);
            ids.push(o.id);
          }
        }
        if (ids.length > 0) {
          trips.push({
            time,
            control: "max_gross_exposure",
            reason: `the gross exposure after the batch would be ${_money(gross)}, above the ` +
              `max gross exposure ${_money(maxGross)}: ${ids.length} risk-increasing order(s) ` +
              `denied`,
            action: "deny_orders",
            deniedOrderIds: ids,
          });
        }
      }
    }
    return {
      allowed: orders.filter((o) => !denied.has(o)),
      denied: orders.filter((o) => denied.has(o)),
      trips,
      stop: false,
    };
  }
}

function _money(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : String(x);
}

function _exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    // Cannot tell (permissions): treat the switch as engaged, the safe side.
    return true;
  }
}
