/**
 * The effective config of a production run (`run-prod`, DESIGN §12): a backtest's effective
 * config — `dag_builder`, `dag` (the model) and the `backtest` portfolio settings (symbols,
 * style, sizing, fill, fee_bps, initial_cash, target_gmv; `data` is the fit data of a fitted
 * model), read with the same code as `backtest` and `simulate`, so the same settings mean the
 * same — plus a `run_prod` subtree for what only live trading has:
 *
 * ```
 * run_prod:
 *   exchange: binance              the ccxt exchange id
 *   timeframe: 5m                  the bar period polled from the exchange
 *   poll_delay_ms: 2000            first poll of a bar this long after its end
 *   poll_ms: 2000                  then every this long until it is there
 *   wait_timeout_ms: null          give up on a bar after this long (null: 3 bars)
 *   order_type: twap               ccxt broker: twap (waves of child limit orders) or market
 *   execution_freq_ms: 60000       time between waves
 *   min_wave_remaining_ms: 4000    no wave when less than this remains
 *   passivity_factor: 0.5          child limit price between the touch (0) and the own side (1)
 *   quantity_mode: dynamic         child quantities: dynamic (what remains) or static (parent/waves)
 *   max_order_notional: null       risk: largest |shares| x price of an order
 *   max_gross_exposure: null       risk: largest gross exposure after a batch
 *   max_loss: null                 risk: largest loss of net wealth since the run's start
 *   on_max_loss: cancel-and-stop   or halt-new-risk
 *   kill_switch_file: null         risk: a file whose existence cancels and stops
 * ```
 *
 * `backtest.start`, `end`, `backtest_config`, `tile_freq` and `asset_tile_size` are a
 * backtest's and are ignored (the run's range is `--start` and `--duration`/`--until`), so a
 * backtest config file runs unchanged. The run's identity — what a restart must not change —
 * is the model, the portfolio settings, the exchange and the timeframe (`runProdIdentityHash`);
 * execution and risk settings may change between sessions of a run.
 */
import { createHash } from "node:crypto";
import { Config, type ConfigLeaf, type JsonValue } from "../config/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import {
  BACKTEST_DEFAULTS,
  backtestConfigTemplate,
  buildEffectiveConfig,
  readBacktestSettings,
} from "../backtest/mod.ts";
import type { DagBuilder } from "../dag/mod.ts";
import type { ChildQuantityMode, FillConvention, Sizing, TargetStyle } from "../oms/mod.ts";
import { parseTimeframe } from "../sim/mod.ts";
import { MAX_LOSS_ACTIONS, type MaxLossAction, type RiskLimits } from "./risk_controls.ts";

/** Defaults of the `run_prod` subconfig. */
export const RUN_PROD_DEFAULTS: { readonly [key: string]: ConfigLeaf } = {
  exchange: "binance",
  timeframe: "5m",
  poll_delay_ms: 2_000,
  poll_ms: 2_000,
  wait_timeout_ms: null,
  order_type: "twap",
  execution_freq_ms: 60_000,
  min_wave_remaining_ms: 4_000,
  passivity_factor: 0.5,
  quantity_mode: "dynamic",
  max_order_notional: null,
  max_gross_exposure: null,
  max_loss: null,
  on_max_loss: "cancel-and-stop",
  kill_switch_file: null,
};

/** The live order types of the ccxt broker. */
export const PROD_ORDER_TYPES = ["twap", "market"] as const;

/** A live order type of the ccxt broker. */
export type ProdOrderType = typeof PROD_ORDER_TYPES[number];

/** The typed settings of a production run. */
export interface RunProdSettings {
  /** The builder's name. */
  dagBuilder: string;
  /** Fit data of a fitted model (snapshot or store), or `undefined`. */
  fitData: string | undefined;
  /** The universe (pairs or full symbols). */
  symbols: string[];
  /** Target style. */
  style: TargetStyle;
  /** Sizing. */
  sizing: Sizing;
  /** Fill convention (the simulated broker of paper runs). */
  fill: FillConvention;
  /** Fee, bps (the simulated broker; the optimizer's equity sizing). */
  feeBps: number;
  /** Cash before the first bar. */
  initialCash: number;
  /** Target GMV of `gmv` sizing (undefined: the initial cash). */
  targetGmv: number | undefined;
  /** ccxt exchange id. */
  exchange: string;
  /** The ccxt timeframe. */
  timeframe: string;
  /** Its length, ms. */
  barMs: number;
  /** First poll delay after a bar's end, ms. */
  pollDelayMs: number;
  /** Poll period, ms. */
  pollMs: number;
  /** Wait timeout for a bar, ms (undefined: 3 bars). */
  waitTimeoutMs: number | undefined;
  /** The ccxt broker's order type. */
  orderType: ProdOrderType;
  /** Time between waves, ms. */
  executionFreqMs: number;
  /** No wave when less than this remains, ms. */
  minWaveRemainingMs: number;
  /** Passivity factor in [0, 1]. */
  passivityFactor: number;
  /** Child quantity mode. */
  quantityMode: ChildQuantityMode;
  /** The risk limits. */
  risk: RiskLimits;
}

/** Inputs of `buildRunProdConfig`, lowest precedence first. */
export interface RunProdConfigInputs {
  /** The model's builder (its template is the base). Required. */
  builder: DagBuilder;
  /** A `--config` file's config. Default: none. */
  file?: Config | undefined;
  /** Explicit `backtest.*` values from the command line. Default: none. */
  settings?: { readonly [key: string]: JsonValue } | undefined;
  /** Explicit `run_prod.*` values from the command line. Default: none. */
  runProd?: { readonly [key: string]: JsonValue } | undefined;
  /** `--set key=value` overrides, applied last. Default: none. */
  overrides?: readonly string[] | undefined;
}

/** The template of a production run of `builder`: a backtest's plus the `run_prod` defaults. */
export function runProdConfigTemplate(builder: DagBuilder): Config {
  const config = backtestConfigTemplate(builder);
  config.set("run_prod", Config.fromObject(RUN_PROD_DEFAULTS, { writer: "default" }), {
    writer: "default",
  });
  return config;
}

/** Builds the effective config: template < `--config` < options < `--set`. */
export function buildRunProdConfig(inputs: RunProdConfigInputs): Config {
  const explicit: string[] = [];
  for (const [key, value] of Object.entries(inputs.runProd ?? {})) {
    if (!(key in RUN_PROD_DEFAULTS)) throw new UsageError(`Unknown run_prod setting '${key}'`);
    explicit.push(`run_prod.${key}=${JSON.stringify(value)}`);
  }
  return buildEffectiveConfig({
    base: runProdConfigTemplate(inputs.builder),
    file: inputs.file,
    settings: inputs.settings,
    overrides: [...explicit, ...(inputs.overrides ?? [])],
  });
}

/** The backtest keys run-prod does not read. */
const _IGNORED_BACKTEST_KEYS = ["start", "end", "backtest_config", "tile_freq", "asset_tile_size"];

/**
 * Validates and types the effective config (marking every leaf it reads as used). Unknown keys
 * and wrong types are `ConfigError`s, a missing universe a `UsageError` (exit 2).
 */
export function readRunProdSettings(config: Config): RunProdSettings {
  const tree = config.get("run_prod", { default: undefined });
  if (tree !== undefined && !(tree instanceof Config)) {
    throw new ConfigError("Config key 'run_prod' must be a subconfig");
  }
  for (const key of tree?.keys() ?? []) {
    if (!(key in RUN_PROD_DEFAULTS)) {
      throw new ConfigError(
        `Unknown config key 'run_prod.${key}'; run-prod reads ${
          Object.keys(RUN_PROD_DEFAULTS).map((k) => `run_prod.${k}`).join(", ")
        }`,
      );
    }
  }
  // The portfolio settings, read by backtest's own reader on a copy whose range is a dummy.
  const probe = config.copy();
  const leaf = (key: string) => probe.get(["backtest", key], { default: null });
  const fitData = leaf("data");
  const write = { updateMode: "overwrite", clobberMode: "allow_write_after_use" } as const;
  if (fitData === null) probe.set(["backtest", "data"], "-", write);
  for (const key of _IGNORED_BACKTEST_KEYS) {
    probe.set(["backtest", key], key === "tile_freq" ? "month" : null, write);
  }
  probe.set(["backtest", "start"], "2000-01-01", write);
  probe.set(["backtest", "end"], "2000-01-02", write);
  const bt = readBacktestSettings(probe);
  for (const key of Object.keys(BACKTEST_DEFAULTS)) {
    config.getAndMarkAsUsed(["backtest", key], { default: null });
  }
  config.getAndMarkAsUsed("dag_builder", { default: null });
  const unknown = config.unusedLeaves().filter((k) => !/^(dag\.|run_prod\.)/.test(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown config keys: ${unknown.join(", ")}; run-prod reads dag_builder, dag.* (the ` +
        `model), backtest.* (symbols and portfolio settings) and run_prod.*`,
    );
  }
  if (bt.symbols === undefined || bt.symbols.length === 0) {
    throw new UsageError("Missing --symbols: name the pairs to trade, e.g. BTC/USDT,ETH/USDT");
  }

  const get = (key: string): ConfigLeaf => {
    const v = config.getAndMarkAsUsed(["run_prod", key], { default: RUN_PROD_DEFAULTS[key] });
    if (v instanceof Config) throw new ConfigError(`Config key 'run_prod.${key}' must be a value`);
    return v as ConfigLeaf;
  };
  const bad = (key: string, what: string, v: unknown) =>
    new ConfigError(`Config key 'run_prod.${key}' must be ${what}, got ${JSON.stringify(v)}`);
  const str = (key: string): string => {
    const v = get(key);
    if (typeof v !== "string" || v === "") throw bad(key, "a non-empty string", v);
    return v;
  };
  const optStr = (key: string): string | undefined => {
    const v = get(key);
    if (v === null) return undefined;
    if (typeof v !== "string" || v === "") throw bad(key, "a non-empty string or null", v);
    return v;
  };
  const num = (key: string, min: number, strict = false): number => {
    const v = get(key);
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || (strict && v === min)) {
      throw bad(key, `a number ${strict ? ">" : ">="} ${min}`, v);
    }
    return v;
  };
  const optNum = (key: string): number | undefined => {
    const v = get(key);
    if (v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw bad(key, "a positive number or null", v);
    }
    return v;
  };
  const timeframe = str("timeframe");
  let barMs: number;
  try {
    barMs = parseTimeframe(timeframe);
  } catch (error) {
    throw new ConfigError(
      `Config key 'run_prod.timeframe': ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const orderType = str("order_type");
  if (!(PROD_ORDER_TYPES as readonly string[]).includes(orderType)) {
    throw bad("order_type", PROD_ORDER_TYPES.join(" or "), orderType);
  }
  const quantityMode = str("quantity_mode");
  if (quantityMode !== "static" && quantityMode !== "dynamic") {
    throw bad("quantity_mode", "static or dynamic", quantityMode);
  }
  const onMaxLoss = str("on_max_loss");
  if (!(MAX_LOSS_ACTIONS as readonly string[]).includes(onMaxLoss)) {
    throw bad("on_max_loss", MAX_LOSS_ACTIONS.join(" or "), onMaxLoss);
  }
  const passivityFactor = num("passivity_factor", 0);
  if (passivityFactor > 1) throw bad("passivity_factor", "in [0, 1]", passivityFactor);
  const waitTimeout = get("wait_timeout_ms");
  if (waitTimeout !== null && !(typeof waitTimeout === "number" && waitTimeout > 0)) {
    throw bad("wait_timeout_ms", "a positive number of ms or null", waitTimeout);
  }
  return {
    dagBuilder: bt.dagBuilder,
    fitData: typeof fitData === "string" ? fitData : undefined,
    symbols: bt.symbols,
    style: bt.style,
    sizing: bt.sizing,
    fill: bt.fill,
    feeBps: bt.feeBps,
    initialCash: bt.initialCash,
    targetGmv: bt.targetGmv,
    exchange: str("exchange"),
    timeframe,
    barMs,
    pollDelayMs: num("poll_delay_ms", 0),
    pollMs: num("poll_ms", 0, true),
    waitTimeoutMs: waitTimeout === null ? undefined : waitTimeout,
    orderType: orderType as ProdOrderType,
    executionFreqMs: num("execution_freq_ms", 0, true),
    minWaveRemainingMs: num("min_wave_remaining_ms", 0),
    passivityFactor,
    quantityMode,
    risk: {
      maxOrderNotional: optNum("max_order_notional"),
      maxGrossExposure: optNum("max_gross_exposure"),
      maxLoss: optNum("max_loss"),
      onMaxLoss: onMaxLoss as MaxLossAction,
      killSwitchFile: optStr("kill_switch_file"),
    },
  };
}

/**
 * SHA-256 of what identifies a production run across restarts: `dag_builder`, `dag`,
 * `backtest` and `run_prod.exchange` / `run_prod.timeframe` of the effective config.
 */
export function runProdIdentityHash(config: Config): string {
  const json = config.toJSON() as { [key: string]: JsonValue };
  const runProd = (json["run_prod"] ?? {}) as { [key: string]: JsonValue };
  const identity = {
    dag_builder: json["dag_builder"] ?? null,
    dag: json["dag"] ?? null,
    backtest: json["backtest"] ?? null,
    exchange: runProd["exchange"] ?? null,
    timeframe: runProd["timeframe"] ?? null,
  };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}
