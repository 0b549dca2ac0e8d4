/**
 * Configuration (DESIGN §4): the nested mark-as-used `Config`, its diff, command-line
 * overrides, config files, backtest-config strings and versioned universes.
 */
export {
  type ClobberMode,
  Config,
  type ConfigBuildOptions,
  type ConfigKey,
  type ConfigLeaf,
  type ConfigLeafInfo,
  type ConfigValue,
  type ConfigWriteOptions,
  DUMMY,
  formatConfigLeaf,
  type JsonObject,
  type JsonValue,
  type TypedGetOptions,
  type UpdateMode,
} from "./config.ts";
export { ClobberError, OverwriteError, ReadOnlyConfigError } from "./config_errors.ts";
export { type ConfigDiffEntry, diff, formatDiff } from "./config_diff.ts";
export {
  applyOverrides,
  type ApplyOverridesOptions,
  type ConfigOverride,
  parseOverride,
} from "./overrides.ts";
export {
  loadConfigFile,
  type LoadConfigFileOptions,
  saveConfigFile,
  type SaveConfigFileOptions,
} from "./config_file.ts";
export { type BacktestConfig, parseBacktestConfig, resolveUniverse } from "./backtest_config.ts";
export {
  DEFAULT_UNIVERSE_DIR,
  listUniverses,
  loadUniverse,
  type Universe,
  type UniverseOptions,
} from "./universe.ts";
