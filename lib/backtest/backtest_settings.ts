/**
 * The effective config of a backtest (DESIGN §7, §12): one `Config` holding the model and the
 * run —
 *
 * ```
 * dag_builder: sma_cross          the builder's registry name
 * dag: {...}                      the builder's config (its template, filled)
 * backtest:
 *   data, backtest_config, start, end, symbols, tile_freq, asset_tile_size,   (tiles)
 *   style, sizing, fill, fee_bps, initial_cash, target_gmv                    (portfolio)
 * ```
 *
 * built from (lowest precedence first) the builder's template and the defaults below — or the
 * config of an existing run when no builder is named —, a `--config` file, the explicit
 * command-line options, and `--set key=value` overrides. `readBacktestSettings` validates the
 * `backtest` part into typed settings.
 */
import {
  applyOverrides,
  Config,
  type ConfigLeaf,
  type JsonValue,
  parseBacktestConfig,
} from "../config/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import type { DagBuilder } from "../dag/mod.ts";
import {
  DEFAULT_FILL_CONVENTION,
  type FillConvention,
  parseFillConvention,
  parseSizing,
  parseTargetStyle,
  type Sizing,
  type TargetStyle,
} from "../oms/mod.ts";
import { parseTime } from "../sim/mod.ts";
import { parseTileFreq, type TileFreq } from "./tile_plan.ts";

/** The typed `backtest` part of an effective config. */
export interface BacktestSettings {
  /** The builder's registry name (`dag_builder`). */
  dagBuilder: string;
  /** Snapshot file or store directory. */
  data: string;
  /** The backtest-config string, when the run is defined by one. */
  backtestConfig: string | undefined;
  /** Exclusive start of the bar ends, epoch ms. */
  start: number;
  /** Inclusive end of the bar ends, epoch ms. */
  end: number;
  /** Requested symbols (pairs or full symbols), or undefined for every symbol of the data. */
  symbols: string[] | undefined;
  /** Universe selection of the backtest config, when there is one. */
  universe: { name: string; top: number | "all"; text: string } | undefined;
  /** Bar period the backtest config asks for, ms, when there is one. */
  barMs: number | undefined;
  /** Time-tile frequency. */
  tileFreq: TileFreq;
  /** Assets per asset tile (undefined: all in one). */
  assetTileSize: number | undefined;
  /** Target style. */
  style: TargetStyle;
  /** Sizing. */
  sizing: Sizing;
  /** Fill convention. */
  fill: FillConvention;
  /** Fee, basis points of traded notional. */
  feeBps: number;
  /** Cash before the first bar. */
  initialCash: number;
  /** Target GMV (`gmv` sizing); undefined = the initial cash. */
  targetGmv: number | undefined;
}

/** Defaults of the `backtest` subconfig. */
export const BACKTEST_DEFAULTS: { readonly [key: string]: ConfigLeaf } = {
  data: null,
  backtest_config: null,
  start: null,
  end: null,
  symbols: null,
  tile_freq: "month",
  asset_tile_size: null,
  style: "signal",
  sizing: "gmv",
  fill: DEFAULT_FILL_CONVENTION,
  fee_bps: 0,
  initial_cash: 10_000,
  target_gmv: null,
};

/** Inputs of `buildEffectiveConfig`, lowest precedence first. */
export interface EffectiveConfigInputs {
  /** The builder (its template is the base); when absent, `base` must be given. */
  builder?: DagBuilder | undefined;
  /** An existing run's config, the base when no builder is given. Default: none. */
  base?: Config | undefined;
  /** A `--config` file's config. Default: none. */
  file?: Config | undefined;
  /** Explicit `backtest.*` values from the command line (keys of `BACKTEST_DEFAULTS`). Default: none. */
  settings?: { readonly [key: string]: JsonValue } | undefined;
  /** `--set key=value` overrides, applied last. Default: none. */
  overrides?: readonly string[] | undefined;
}

/** The template of a backtest of `builder`: `{dag_builder, dag: template, backtest: defaults}`. */
export function backtestConfigTemplate(builder: DagBuilder): Config {
  const config = Config.fromObject({ dag_builder: builder.name }, { writer: "backtest" });
  config.set("dag", builder.configTemplate(), { writer: builder.name });
  config.set("backtest", Config.fromObject(BACKTEST_DEFAULTS, { writer: "default" }), {
    writer: "default",
  });
  return config;
}

/**
 * Builds the effective config (see the module documentation). A `--config` file naming
 * another `dag_builder` than `builder` is a `UsageError`.
 */
export function buildEffectiveConfig(inputs: EffectiveConfigInputs): Config {
  let config: Config;
  if (inputs.builder !== undefined) config = backtestConfigTemplate(inputs.builder);
  else if (inputs.base !== undefined) config = inputs.base.copy();
  else throw new UsageError("Missing --dag: name the model to backtest (see --help)");
  if (inputs.file !== undefined) {
    const named = inputs.file.get("dag_builder", { default: undefined });
    const current = config.get("dag_builder", { default: undefined });
    if (named !== undefined && named !== current) {
      throw new UsageError(
        `The --config file is for dag_builder '${String(named)}' but the backtest runs '${
          String(current)
        }'; use the matching --dag`,
      );
    }
    config.update(inputs.file, { updateMode: "overwrite" });
  }
  for (const [key, value] of Object.entries(inputs.settings ?? {})) {
    if (!(key in BACKTEST_DEFAULTS)) {
      throw new UsageError(`Unknown backtest setting '${key}'`);
    }
    config.set(["backtest", key], value, { updateMode: "overwrite", writer: "command line" });
  }
  applyOverrides(config, inputs.overrides ?? []);
  return config;
}

/**
 * Validates and types the `backtest` part of an effective config (marking its leaves as used).
 * Wrong types are `ConfigError`s naming the key; missing or conflicting range options and bad
 * choices are `UsageError`s. Every error is exit 2.
 */
export function readBacktestSettings(config: Config): BacktestSettings {
  const leaf = (key: string): ConfigLeaf => {
    const value = config.getAndMarkAsUsed(["backtest", key], { default: null });
    if (value instanceof Config) {
      throw new ConfigError(`Config key 'backtest.${key}' must be a value, not a subconfig`);
    }
    return value;
  };
  const str = (key: string): string | undefined => {
    const v = leaf(key);
    if (v === null) return undefined;
    if (typeof v !== "string" || v === "") {
      throw new ConfigError(
        `Config key 'backtest.${key}' must be a non-empty string, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const num = (key: string, min: number, integer = false): number | undefined => {
    const v = leaf(key);
    if (v === null) return undefined;
    if (
      typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))
    ) {
      throw new ConfigError(
        `Config key 'backtest.${key}' must be ${
          integer ? "an integer" : "a number"
        } >= ${min}, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const builderName = config.getAndMarkAsUsed("dag_builder", { default: null });
  if (typeof builderName !== "string" || builderName === "") {
    throw new UsageError("Missing --dag: name the model to backtest (see --help)");
  }
  const data = str("data");
  if (data === undefined) {
    throw new UsageError("Missing --data: give a snapshot file or store directory");
  }
  const backtestConfig = str("backtest_config");
  const startText = str("start");
  const endText = str("end");
  const symbolsLeaf = leaf("symbols");
  let symbols: string[] | undefined;
  if (symbolsLeaf !== null) {
    const list = typeof symbolsLeaf === "string" ? symbolsLeaf.split(",") : symbolsLeaf;
    if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
      throw new ConfigError(
        `Config key 'backtest.symbols' must be a list of symbols, got ${
          JSON.stringify(symbolsLeaf)
        }`,
      );
    }
    symbols = (list as string[]).map((s) => s.trim()).filter((s) => s !== "");
    if (symbols.length === 0) throw new UsageError("--symbols lists no symbol");
  }
  let start: number;
  let end: number;
  let universe: BacktestSettings["universe"];
  let barMs: number | undefined;
  if (backtestConfig !== undefined) {
    const conflicts = [
      startText !== undefined ? "--start" : "",
      endText !== undefined ? "--end" : "",
      symbols !== undefined ? "--symbols" : "",
    ].filter((s) => s !== "");
    if (conflicts.length > 0) {
      throw new UsageError(
        `--backtest-config already sets the range and the symbols; drop ${conflicts.join(", ")}`,
      );
    }
    const parsed = parseBacktestConfig(backtestConfig);
    start = parsed.start;
    end = parsed.end;
    barMs = parsed.barMs;
    universe = { name: parsed.universe, top: parsed.top, text: parsed.text };
  } else {
    if (startText === undefined || endText === undefined) {
      throw new UsageError(
        `Missing ${
          startText === undefined ? "--start" : "--end"
        }: give --start and --end (or --backtest-config)`,
      );
    }
    start = parseTime(startText, "backtest.start");
    end = parseTime(endText, "backtest.end");
    if (!(start < end)) {
      throw new UsageError(`The backtest start ${startText} is not before its end ${endText}`);
    }
  }
  const choice = <T>(key: string, parse: (text: string) => T): T => {
    const v = str(key);
    if (v === undefined) throw new ConfigError(`Config key 'backtest.${key}' must be set`);
    return parse(v);
  };
  const initialCash = num("initial_cash", -Infinity) ?? 10_000;
  return {
    dagBuilder: builderName,
    data,
    backtestConfig,
    start,
    end,
    symbols,
    universe,
    barMs,
    tileFreq: choice("tile_freq", parseTileFreq),
    assetTileSize: num("asset_tile_size", 1, true),
    style: choice("style", parseTargetStyle),
    sizing: choice("sizing", parseSizing),
    fill: choice("fill", (t) => parseFillConvention(t)),
    feeBps: num("fee_bps", 0) ?? 0,
    initialCash,
    targetGmv: num("target_gmv", 0),
  };
}
