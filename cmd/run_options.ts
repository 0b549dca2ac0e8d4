/** Options shared by `backtest`, `simulate` and `run-prod`: the model, its data, how predictions become positions. */
import type { OptionSpec } from "./options.ts";
import { FILL_CONVENTIONS, SIZINGS, TARGET_STYLES } from "../lib/oms/mod.ts";

/** `--dag`: the model. */
export const DAG_OPTION: OptionSpec = {
  name: "dag",
  type: "string",
  valueName: "<name>",
  description: "The model (builder name)",
};

/** `--data`: the bars, a snapshot file or a store directory. */
export const DATA_OPTION: OptionSpec = {
  name: "data",
  type: "string",
  valueName: "<path>",
  description: "Snapshot file or store directory",
};

/** `--end`: the last bar end of a run (inclusive). */
export const END_OPTION: OptionSpec = {
  name: "end",
  type: "string",
  valueName: "<time>",
  description: "... and at or before this UTC time",
};

/** `--symbols`: which pairs of the data to run. */
export const SYMBOLS_OPTION: OptionSpec = {
  name: "symbols",
  type: "string",
  valueName: "<list>",
  description: "Comma-separated pairs (all of the data)",
};

/** `--style`: how predictions become weights. */
export const STYLE_OPTION: OptionSpec = {
  name: "style",
  type: "string",
  valueName: "<style>",
  default: "signal",
  description: `How predictions become weights: ${TARGET_STYLES.join(", ")}`,
};

/** `--sizing`: how weights become notionals. */
export const SIZING_OPTION: OptionSpec = {
  name: "sizing",
  type: "string",
  valueName: "<sizing>",
  default: "gmv",
  description: `How weights become notionals: ${SIZINGS.join(", ")}`,
};

/** `--fill`, described as `what` (e.g. "Fill convention"), listing the conventions. */
export function fillOption(what: string): OptionSpec {
  return {
    name: "fill",
    type: "string",
    valueName: "<fill>",
    default: "next_open",
    description: `${what}: ${FILL_CONVENTIONS.join(", ")}`,
  };
}

/** `--fee-bps`, `--initial-cash` and `--target-gmv`: the portfolio's money settings. */
export const MONEY_OPTIONS: readonly OptionSpec[] = [
  {
    name: "fee-bps",
    type: "string",
    valueName: "<bps>",
    default: "0",
    description: "Fee per trade, bps of notional",
  },
  {
    name: "initial-cash",
    type: "string",
    valueName: "<cash>",
    default: "10000",
    description: "Cash before the first bar (quote currency)",
  },
  {
    name: "target-gmv",
    type: "string",
    valueName: "<gmv>",
    description: "Target gross market value for --sizing gmv (the initial cash)",
  },
];
