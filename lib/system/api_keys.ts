/**
 * `loadApiKeys`: the exchange API key and secret of a prod run (DESIGN §12: "secrets come from
 * the environment or a 0600 file, are never printed or written into any output").
 *
 * Sources, in order: a key file (`--key-file`), else the environment variables
 * `DAGTRADE_API_KEY` and `DAGTRADE_API_SECRET`. A key file is refused when its permissions let
 * the group or others read it (`chmod 600 <file>`), and holds either JSON
 * (`{"apiKey": "…", "secret": "…"}`; `api_key` / `apiSecret` also accepted) or `KEY=VALUE` lines
 * (`DAGTRADE_API_KEY=…`, `DAGTRADE_API_SECRET=…`; `#` comments, optional quotes).
 *
 * The returned `ApiKeys` never shows its values: `String(keys)`, `JSON.stringify(keys)` and
 * `Deno.inspect(keys)` print `<redacted>`; the values are read only through `apiKey` and
 * `secret`. `redactSecrets(text, secrets)` masks them in any text about to be printed or
 * written (error messages, log lines).
 */
import { UsageError } from "../errors/mod.ts";

/** Environment variable holding the API key. */
export const API_KEY_ENV = "DAGTRADE_API_KEY";
/** Environment variable holding the API secret. */
export const API_SECRET_ENV = "DAGTRADE_API_SECRET";

const _REDACTED = "<redacted>";

/** An API key and secret that never print themselves. */
export class ApiKeys {
  /** Where they came from (`environment`, or `key file <path>`), for logs. */
  readonly source: string;
  readonly #apiKey: string;
  readonly #secret: string;

  /**
   * Wraps a key and a secret (`options.source`: where they came from, required); throws
   * `UsageError` when either is empty.
   */
  constructor(apiKey: string, secret: string, options: { source: string }) {
    const source = options.source;
    if (apiKey.trim() === "" || secret.trim() === "") {
      throw new UsageError(`The API key or secret from ${source} is empty`);
    }
    this.#apiKey = apiKey.trim();
    this.#secret = secret.trim();
    this.source = source;
  }

  /** The API key (pass it to the exchange client only). */
  get apiKey(): string {
    return this.#apiKey;
  }

  /** The secret (pass it to the exchange client only). */
  get secret(): string {
    return this.#secret;
  }

  /** Both values, for `redactSecrets`. */
  secrets(): string[] {
    return [this.#apiKey, this.#secret];
  }

  /** `<redacted>`. */
  toString(): string {
    return `ApiKeys(${_REDACTED} from ${this.source})`;
  }

  /** `{source, apiKey: "<redacted>", secret: "<redacted>"}`. */
  toJSON(): { source: string; apiKey: string; secret: string } {
    return { source: this.source, apiKey: _REDACTED, secret: _REDACTED };
  }

  /** Deno.inspect / console.log form. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** Node's util.inspect form. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Options of `loadApiKeys`. */
export interface LoadApiKeysOptions {
  /** Reads an environment variable. Required. */
  env: (name: string) => string | undefined;
  /** A key file (mode 0600 or stricter). Default: none (the environment). */
  keyFile?: string | undefined;
}

/**
 * Loads the API keys (see the module documentation). Throws `UsageError` (exit 2) when none
 * are given, the key file is missing, unreadable, too open, or does not hold both values.
 */
export async function loadApiKeys(options: LoadApiKeysOptions): Promise<ApiKeys> {
  const file = options.keyFile;
  if (file !== undefined) return await _fromFile(file);
  const key = options.env(API_KEY_ENV);
  const secret = options.env(API_SECRET_ENV);
  if (key === undefined || key === "" || secret === undefined || secret === "") {
    const missing = [
      key === undefined || key === "" ? API_KEY_ENV : "",
      secret === undefined || secret === "" ? API_SECRET_ENV : "",
    ].filter((s) => s !== "");
    throw new UsageError(
      `prod mode needs the exchange API key and secret: ${missing.join(" and ")} ` +
        `${missing.length > 1 ? "are" : "is"} not set; set ${API_KEY_ENV} and ` +
        `${API_SECRET_ENV}, or pass --key-file <file> (mode 0600)`,
    );
  }
  return new ApiKeys(key, secret, { source: "environment" });
}

/** `text` with every secret (of 4 characters or more) replaced by `<redacted>`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  const sorted = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  for (const s of sorted) out = out.split(s).join(_REDACTED);
  return out;
}

async function _fromFile(path: string): Promise<ApiKeys> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new UsageError(`Cannot read the key file ${path}: ${_message(error)}`, { cause: error });
  }
  if (!info.isFile) throw new UsageError(`The key file ${path} is not a file`);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, "0");
    throw new UsageError(
      `The key file ${path} is readable by others (mode 0${mode}); restrict it with ` +
        `'chmod 600 ${path}' and start again`,
    );
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read the key file ${path}: ${_message(error)}`, { cause: error });
  }
  const source = `key file ${path}`;
  const trimmed = text.trim();
  let key: string | undefined;
  let secret: string | undefined;
  if (trimmed.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      // Never echo the parser's message: it may quote the file.
      throw new UsageError(`The key file ${path} starts with '{' but is not valid JSON`);
    }
    const o = (value ?? {}) as Record<string, unknown>;
    const pick = (...names: string[]) => {
      for (const n of names) if (typeof o[n] === "string") return o[n] as string;
      return undefined;
    };
    key = pick("apiKey", "api_key", "key");
    secret = pick("secret", "apiSecret", "api_secret");
  } else {
    for (const raw of trimmed.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const name = line.slice(0, eq).trim().replace(/^export\s+/, "");
      const value = line.slice(eq + 1).trim().replace(/^(['"])(.*)\1$/, "$2");
      if (name === API_KEY_ENV || name === "apiKey" || name === "api_key") key = value;
      if (name === API_SECRET_ENV || name === "secret" || name === "api_secret") secret = value;
    }
  }
  if (key === undefined || key === "" || secret === undefined || secret === "") {
    throw new UsageError(
      `The key file ${path} does not hold both the API key and the secret: write JSON ` +
        `{"apiKey": "...", "secret": "..."} or the lines ${API_KEY_ENV}=... and ${API_SECRET_ENV}=...`,
    );
  }
  return new ApiKeys(key, secret, { source });
}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
