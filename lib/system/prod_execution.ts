/**
 * `ProdExecution`: how a production run executes its orders — the choice that makes a run
 * `paper` or `prod` (DESIGN §1: "a mode is a choice of implementations made in `cmd/`").
 * `runProd` is the same for both; `cmd/run_prod.ts` passes `simulatedExecution()` (paper: the
 * simulated broker on the live bars) or `ccxtExecution(exchange)` (prod: the ccxt broker on the
 * exchange, with startup recovery and reconciliation against the account).
 *
 * An execution gives the optimizer's order type, creates the broker, recovers the orders an
 * earlier session of the run left open, and — when it trades on a real account — reads the
 * account's state for the startup reconciliation.
 */
import type { Broker, IdCounter, Optimizer, OrderType, Portfolio } from "../oms/mod.ts";
import type { OrderRow } from "../oms/db/mod.ts";
import type { Clock, MarketData } from "../sim/mod.ts";
import type { RecoveredParent } from "./parent_order_recovery.ts";
import type { RunProdSettings } from "./run_prod_settings.ts";
import type { ExchangeState } from "./startup_reconciliation.ts";

/** A broker of a production run. */
export interface ProdBroker extends Broker {
  /**
   * Cancels every open order (a filled part becomes a fill, returned by the next `getFills`)
   * and stops any background work. Called once, when the run ends.
   */
  close(): Promise<void>;
}

/** What `ProdExecution.createBroker` gets. */
export interface ProdBrokerContext {
  /** The system log directory (the ccxt broker logs under `broker/`). */
  runDir: string;
  /** The run's clock. */
  clock: Clock;
  /** The run's market data. */
  marketData: MarketData;
  /** The run's portfolio. */
  portfolio: Portfolio;
  /** The run's optimizer. */
  optimizer: Optimizer;
  /** The run's fill id counter. */
  fillIds: IdCounter;
  /** The universe, as full symbols (`binance::BTC_USDT`). */
  fullSymbols: readonly string[];
  /** The prefix of the run's client order ids (letters, digits, `_`). */
  clientOrderIdPrefix: string;
  /** The run's settings. */
  settings: RunProdSettings;
}

/** What `ProdExecution.recover` gets. */
export interface ProdRecoveryContext {
  /** The system log directory. */
  runDir: string;
  /** The run's clock. */
  clock: Clock;
  /** The run's fill id counter (recovered fills take the next ids). */
  fillIds: IdCounter;
  /** Every order row of the run in the OMS database. */
  orders: readonly OrderRow[];
  /** The universe, as full symbols. */
  fullSymbols: readonly string[];
  /** The prefix of the run's client order ids. */
  clientOrderIdPrefix: string;
  /** The run's settings. */
  settings: RunProdSettings;
  /** Aborts the recovery's waits. */
  signal?: AbortSignal | undefined;
  /** Receives a line per thing recovered (log.txt). */
  log: (line: string) => void;
}

/** What `ProdExecution.recover` found. */
export interface ProdRecovery {
  /** Orders left open (in the database, or only in the broker's journal), now final, with fills. */
  parents: RecoveredParent[];
  /** Ids of the recovered orders the database does not have yet. */
  unknownToDb: ReadonlySet<number>;
  /** The largest order id the execution has seen (journal), to continue the ids after it. */
  maxOrderId: number | undefined;
}

/** What `ProdExecution.fetchExchangeState` gets. */
export interface ProdExchangeStateContext {
  /** The run's clock. */
  clock: Clock;
  /** The universe, as full symbols. */
  fullSymbols: readonly string[];
  /** Aborts the waits. */
  signal?: AbortSignal | undefined;
}

/** How a production run executes its orders (see the module documentation). */
export interface ProdExecution {
  /** `simulated` or `ccxt`, for logs and run.json. */
  readonly name: string;
  /** The optimizer's order type. */
  orderType(settings: RunProdSettings): OrderType;
  /** Whether equity sizing may size orders at their fill (only a simulated broker can). */
  sizesAtFill(): boolean;
  /** Creates the run's broker. */
  createBroker(context: ProdBrokerContext): Promise<ProdBroker>;
  /** Resolves the orders an earlier session left open. */
  recover(context: ProdRecoveryContext): Promise<ProdRecovery>;
  /** The account's state for the startup reconciliation; absent: nothing to reconcile. */
  fetchExchangeState?(context: ProdExchangeStateContext): Promise<ExchangeState>;
}
