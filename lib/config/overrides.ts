/**
 * Command-line overrides (DESIGN §4): `--set market_data.start=2024-01-01`. The value is
 * parsed as JSON when it parses (`5`, `true`, `null`, `"5"`, `[1,2]`, `{"a":1}`), else kept as
 * the raw string; it is never evaluated as code.
 */
import { UsageError } from "../errors/mod.ts";
import { ConfigError } from "../errors/mod.ts";
import type { ClobberMode, Config, JsonValue } from "./config.ts";

/** One parsed `key=value` override. */
export interface ConfigOverride {
  /** The key's parts (`market_data.start` → `["market_data", "start"]`). */
  key: string[];
  /** The value: JSON when the text parses as JSON, else the text itself. */
  value: JsonValue;
  /** The override as given. */
  text: string;
}

/** Options of `applyOverrides()`. */
export interface ApplyOverridesOptions {
  /** The writer recorded with each overridden leaf. Default: `"--set"`. */
  writer?: string;
  /** Whether an override may change a leaf already used. Default: `"assert_on_write_after_use"`. */
  clobberMode?: ClobberMode;
}

const _FORM = "expected key=value, e.g. --set market_data.start=2024-01-01";

/**
 * Parses `key=value` (split at the first `=`; the key is trimmed, the value is not). A missing
 * `=`, an empty key or an empty key part is a `UsageError` saying the expected form.
 */
export function parseOverride(text: string): ConfigOverride {
  const eq = text.indexOf("=");
  if (eq < 0) throw new UsageError(`Cannot parse override '${text}': no '='; ${_FORM}`);
  const keyText = text.slice(0, eq).trim();
  if (keyText === "") throw new UsageError(`Cannot parse override '${text}': empty key; ${_FORM}`);
  const key = keyText.split(".");
  if (key.some((part) => part === "")) {
    throw new UsageError(
      `Cannot parse override '${text}': key '${keyText}' has an empty part; ${_FORM}`,
    );
  }
  const raw = text.slice(eq + 1);
  let value: JsonValue;
  try {
    value = JSON.parse(raw) as JsonValue;
  } catch {
    value = raw;
  }
  return { key, value, text };
}

/**
 * Applies `key=value` overrides in order with `updateMode: "overwrite"`, creating missing
 * subconfigs; an object value becomes a subconfig. Returns `config` (changed in place).
 * A malformed override is a `UsageError`; a rejected write (a leaf in the middle of the key,
 * a read-only config, a clobber) is a `ConfigError` naming the override.
 */
export function applyOverrides(
  config: Config,
  overrides: readonly string[],
  options: ApplyOverridesOptions = {},
): Config {
  const parsed = overrides.map(parseOverride);
  for (const override of parsed) {
    try {
      config.set(override.key, override.value, {
        updateMode: "overwrite",
        clobberMode: options.clobberMode ?? "assert_on_write_after_use",
        writer: options.writer ?? "--set",
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const ErrorClass = error.constructor as new (
        message: string,
        options: { cause: unknown },
      ) => ConfigError;
      throw new ErrorClass(`Cannot apply override '${override.text}': ${error.message}`, {
        cause: error,
      });
    }
  }
  return config;
}
