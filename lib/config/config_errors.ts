/**
 * The errors of the Config write rules (DESIGN §4). All extend `ConfigError` (exit 2), so a
 * command that trips one fails as a configuration problem.
 */
import { ConfigError } from "../errors/mod.ts";

/** Setting a key that already exists with the default `updateMode: "assert_on_overwrite"`. */
export class OverwriteError extends ConfigError {}

/** Changing a leaf that was already used (`getAndMarkAsUsed`) to a different value. */
export class ClobberError extends ConfigError {}

/** Writing to a config (or a subconfig of one) that was frozen with `markReadOnly()`. */
export class ReadOnlyConfigError extends ConfigError {}
