/** Config files: JSON read into a `Config` (`--config`), and written back atomically. */
import { atomicWrite } from "../fs/mod.ts";
import { ConfigError } from "../errors/mod.ts";
import { Config } from "./config.ts";

/** Options of `loadConfigFile()`. */
export interface LoadConfigFileOptions {
  /** The writer recorded with every leaf. Default: the file path. */
  writer?: string;
}

/**
 * Reads a JSON config file (an object at the top level) keeping its key order. A missing or
 * unreadable file or bad JSON is a `ConfigError` naming the file (and line/column for JSON).
 */
export async function loadConfigFile(
  path: string,
  options: LoadConfigFileOptions = {},
): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : String(error instanceof Error ? error.message : error);
    throw new ConfigError(`Cannot load config file '${path}': ${why}; check the path`, {
      cause: error,
    });
  }
  try {
    return Config.fromJSON(text, { writer: options.writer ?? path });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const why = error.message.replace(/^Cannot parse config JSON: /, "invalid JSON: ");
    throw new ConfigError(`Cannot load config file '${path}': ${why}; fix the file`, {
      cause: error,
    });
  }
}

/** Options of `saveConfigFile()`. */
export interface SaveConfigFileOptions {
  /** Spaces per indentation level. Default: 2. */
  indent?: number;
}

/** Writes `config` as JSON (its key order, trailing newline) atomically to `path`. */
export async function saveConfigFile(
  path: string,
  config: Config,
  options: SaveConfigFileOptions = {},
): Promise<void> {
  await atomicWrite(path, config.toJSONString({ indent: options.indent ?? 2 }) + "\n");
}
