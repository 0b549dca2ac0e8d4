/**
 * `CcxtBrokerLog`: the ccxt broker's append-only JSON-lines logs under `<runDir>/broker/`
 * (DESIGN §9, REFERENCE "OMS"):
 *
 * - `exchange_requests.jsonl` — every exchange call: clock time, method, arguments, and the
 *   response or the error (one line per attempt, retries included);
 * - `oms_parent_orders.jsonl` — parent order events (accepted, waves, state changes, the final
 *   state), with the order's one-line string form;
 * - `oms_child_orders.jsonl` — child order events (placed, adopted after a lookup, skipped,
 *   rejected, settled with what filled);
 * - `ccxt_trades.jsonl` — every trade of a child order, as ccxt returned it, once;
 * - `oms_fills.jsonl` — the parent fills (one per parent), with the fill's string form.
 *
 * Each record is one `write` of one line to a file opened in append mode, so a crash loses at
 * most the line being written (readers skip a truncated last line). Secrets never reach the
 * disk: values of keys named like `apiKey`, `secret`, `password`, `signature`, `token` are
 * replaced by `<redacted>`, and the registered secret strings (the exchange's API key and
 * secret) and `signature=…` query parameters are masked in the serialized line as well.
 */
import { join } from "node:path";

/** The log files, by record kind. */
export const CCXT_BROKER_LOG_FILES = {
  request: "exchange_requests.jsonl",
  parent: "oms_parent_orders.jsonl",
  child: "oms_child_orders.jsonl",
  trade: "ccxt_trades.jsonl",
  fill: "oms_fills.jsonl",
} as const;

/** A kind of broker log record. */
export type CcxtBrokerLogKind = keyof typeof CCXT_BROKER_LOG_FILES;

/** Options of `CcxtBrokerLog`. */
export interface CcxtBrokerLogOptions {
  /** Strings that must never be written (API key, secret); masked wherever they appear. Default: none. */
  secrets?: readonly (string | undefined)[];
}

const _SECRET_KEYS =
  /^(api_?key|secret|password|passphrase|signature|token|privatekey|x-mbx-apikey)$/i;
const _REDACTED = "<redacted>";

/** Append-only JSON-lines logs of the ccxt broker (see the module doc). */
export class CcxtBrokerLog {
  /** The directory written to (`<runDir>/broker`), or `undefined` when logging is off. */
  readonly dir: string | undefined;
  readonly #secrets: string[];
  readonly #files = new Map<CcxtBrokerLogKind, Deno.FsFile>();
  readonly #encoder = new TextEncoder();
  #closed = false;

  /**
   * Logs into `dir` (created when missing); `undefined` keeps nothing (tests, benchmarks).
   * Secrets shorter than 4 characters are ignored (masking them would mangle the logs).
   */
  constructor(dir: string | undefined, options: CcxtBrokerLogOptions = {}) {
    this.dir = dir;
    this.#secrets = (options.secrets ?? []).filter((s): s is string =>
      typeof s === "string" && s.length >= 4
    ).sort((a, b) => b.length - a.length);
    if (dir !== undefined) Deno.mkdirSync(dir, { recursive: true });
  }

  /** Appends `record` as one line to the file of `kind` (no-op when logging is off or closed). */
  write(kind: CcxtBrokerLogKind, record: Record<string, unknown>): void {
    if (this.dir === undefined || this.#closed) return;
    const line = this.redact(record) + "\n";
    let file = this.#files.get(kind);
    if (file === undefined) {
      file = Deno.openSync(join(this.dir, CCXT_BROKER_LOG_FILES[kind]), {
        append: true,
        create: true,
      });
      this.#files.set(kind, file);
    }
    const bytes = this.#encoder.encode(line);
    let offset = 0;
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
  }

  /** `record` serialized as JSON with every secret masked (see the module doc). */
  redact(record: unknown): string {
    let text = JSON.stringify(record, (key, value: unknown) => {
      if (key !== "" && _SECRET_KEYS.test(key) && value !== undefined && value !== null) {
        return _REDACTED;
      }
      if (typeof value === "number" && !Number.isFinite(value)) return String(value);
      if (typeof value === "bigint") return value.toString();
      if (value instanceof Error) return { name: value.name, message: value.message };
      return value;
    }) ?? "null";
    for (const s of this.#secrets) text = text.split(s).join(_REDACTED);
    for (const s of this.#secrets) {
      const escaped = JSON.stringify(s).slice(1, -1);
      if (escaped !== s) text = text.split(escaped).join(_REDACTED);
    }
    return text.replace(/signature=[0-9a-fA-F]+/g, `signature=${_REDACTED}`);
  }

  /** Closes the files; later writes are dropped. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const file of this.#files.values()) file.close();
    this.#files.clear();
  }
}
