/**
 * The effective config of a simulation (DESIGN §12): a backtest's effective config — the same
 * `dag_builder`, `dag` (the builder's template, filled) and `backtest` settings (data, range,
 * symbols, style, sizing, fill, fee_bps, initial_cash, target_gmv), built the same way
 * (`buildEffectiveConfig`: template < `--config` file < options < `--set`) — plus a `simulate`
 * subtree for what only a replay has:
 *
 * ```
 * simulate:
 *   knowledge_delay_ms: 0      added to every bar's knowledge_timestamp (FrameMarketData delay)
 * ```
 *
 * So a config file written for `backtest` runs unchanged in `simulate`, and the two read the
 * portfolio settings with the same code (`readBacktestSettings`): `--fill next_open` means the
 * same in both. Run options that do not change results (`--speed`, `--db`, `--save-node-io`,
 * `--run-id`) are not config.
 */
import { Config, type ConfigLeaf, type JsonValue } from "../config/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import { backtestConfigTemplate, buildEffectiveConfig } from "../backtest/mod.ts";
import type { DagBuilder } from "../dag/mod.ts";

/** Defaults of the `simulate` subconfig. */
export const SIMULATE_DEFAULTS: { readonly [key: string]: ConfigLeaf } = {
  knowledge_delay_ms: 0,
};

/** The typed `simulate` part of an effective config. */
export interface SimulateSettings {
  /** Extra delay added to every bar's knowledge time, ms. */
  knowledgeDelayMs: number;
}

/** Inputs of `buildSimulateConfig`, lowest precedence first. */
export interface SimulateConfigInputs {
  /** The model's builder (its template is the base). Required. */
  builder: DagBuilder;
  /** A `--config` file's config. Default: none. */
  file?: Config | undefined;
  /** Explicit `backtest.*` values from the command line (keys of `BACKTEST_DEFAULTS`). Default: none. */
  settings?: { readonly [key: string]: JsonValue } | undefined;
  /** Explicit `simulate.*` values from the command line (keys of `SIMULATE_DEFAULTS`). Default: none. */
  simulate?: { readonly [key: string]: JsonValue } | undefined;
  /** `--set key=value` overrides, applied last. Default: none. */
  overrides?: readonly string[] | undefined;
}

/** The template of a simulation of `builder`: a backtest's template plus `simulate` defaults. */
export function simulateConfigTemplate(builder: DagBuilder): Config {
  const config = backtestConfigTemplate(builder);
  config.set("simulate", Config.fromObject(SIMULATE_DEFAULTS, { writer: "default" }), {
    writer: "default",
  });
  return config;
}

/** Builds the effective config of a simulation (see the module documentation). */
export function buildSimulateConfig(inputs: SimulateConfigInputs): Config {
  const explicit: string[] = [];
  for (const [key, value] of Object.entries(inputs.simulate ?? {})) {
    if (!(key in SIMULATE_DEFAULTS)) throw new UsageError(`Unknown simulate setting '${key}'`);
    explicit.push(`simulate.${key}=${JSON.stringify(value)}`);
  }
  return buildEffectiveConfig({
    base: simulateConfigTemplate(inputs.builder),
    file: inputs.file,
    settings: inputs.settings,
    // Command-line simulate options rank with the other options: after the file, before --set.
    overrides: [...explicit, ...(inputs.overrides ?? [])],
  });
}

/**
 * Validates and types the `simulate` part of an effective config (marking its leaves as used).
 * Unknown keys under `simulate` and wrong types are `ConfigError`s (exit 2).
 */
export function readSimulateSettings(config: Config): SimulateSettings {
  const tree = config.get("simulate", { default: undefined });
  if (tree !== undefined && !(tree instanceof Config)) {
    throw new ConfigError("Config key 'simulate' must be a subconfig");
  }
  for (const key of tree?.keys() ?? []) {
    if (!(key in SIMULATE_DEFAULTS)) {
      throw new ConfigError(
        `Unknown config key 'simulate.${key}'; simulate reads ${
          Object.keys(SIMULATE_DEFAULTS).map((k) => `simulate.${k}`).join(", ")
        }`,
      );
    }
  }
  const delay = config.getAndMarkAsUsed(["simulate", "knowledge_delay_ms"], { default: 0 });
  if (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0) {
    throw new ConfigError(
      `Config key 'simulate.knowledge_delay_ms' must be a number of ms >= 0, got ${
        JSON.stringify(delay instanceof Config ? delay.toObject() : delay)
      }`,
    );
  }
  return { knowledgeDelayMs: delay };
}
