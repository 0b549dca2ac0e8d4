/**
 * Command-line options of every subcommand: a declarative spec that drives both parsing
 * (`node:util` `parseArgs`, strict) and the `--help` text (every option with its default, and
 * worked examples). Parse failures become `UsageError`s (exit 2).
 */
import { parseArgs } from "node:util";
import { UsageError } from "../lib/errors/mod.ts";
import { parseTime } from "../lib/sim/bar_schema.ts";

/** One option of a command. */
export interface OptionSpec {
  /** Long name without the dashes (`dst-dir`). */
  name: string;
  /** `string` takes a value; `boolean` is a flag. */
  type: "string" | "boolean";
  /** The value's placeholder in the help text (`<dir>`). Default: `<value>`. */
  valueName?: string;
  /** Whether the option may be repeated (values collected in order). Default: false. */
  multiple?: boolean;
  /** The default shown in the help text and returned when the option is absent. */
  default?: string;
  /** One line of help. */
  description: string;
}

/** A command's name, summary, options and examples. */
export interface CommandSpec {
  /** The subcommand name (`backtest`). */
  name: string;
  /** One line for `dagtrade --help`. */
  summary: string;
  /** The usage line after `dagtrade <name>`. */
  usage: string;
  /** A paragraph of description. Default: none. */
  description?: string;
  /** The options, in help order (`--help` and `--verbose` are added by `main.ts`). */
  options: OptionSpec[];
  /** Worked examples, one command line each. */
  examples: string[];
}

/** Options every command accepts. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: "help", type: "boolean", description: "Print this help and exit." },
  { name: "verbose", type: "boolean", description: "Print stack traces on errors." },
];

/** Renders `dagtrade <cmd> --help`. */
export function renderHelp(spec: CommandSpec): string {
  const lines = [
    `dagtrade ${spec.name} — ${spec.summary}`,
    "",
    `Usage: dagtrade ${spec.name} ${spec.usage}`,
  ];
  if (spec.description) lines.push("", spec.description);
  lines.push("", "Options:");
  const all = [...spec.options, ...COMMON_OPTIONS];
  const heads = all.map((o) =>
    `  --${o.name}${o.type === "string" ? ` ${o.valueName ?? "<value>"}` : ""}`
  );
  const width = Math.min(34, Math.max(...heads.map((h) => h.length)) + 2);
  all.forEach((o, i) => {
    const head = heads[i] as string;
    const extra = [
      o.multiple ? "repeatable" : "",
      o.default !== undefined ? `default: ${o.default}` : "",
    ]
      .filter((s) => s !== "").join("; ");
    const text = extra ? `${o.description} (${extra})` : o.description;
    lines.push(
      head.length + 1 > width
        ? `${head}\n${" ".repeat(width)}${text}`
        : `${head.padEnd(width)}${text}`,
    );
  });
  if (spec.examples.length > 0) {
    lines.push("", "Examples:");
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join("\n") + "\n";
}

type _RawValue = string | boolean | (string | boolean)[] | undefined;

/** Parsed options with typed accessors; every accessor error is a `UsageError`. */
export class ParsedArgs {
  readonly #values: Record<string, _RawValue>;
  readonly #specs: Map<string, OptionSpec>;
  /** Positional arguments, in order. */
  readonly positionals: readonly string[];

  /** Wraps `parseArgs` output; use `parseCommandArgs` to build one. */
  constructor(specs: OptionSpec[], values: Record<string, _RawValue>, positionals: string[]) {
    this.#specs = new Map(specs.map((s) => [s.name, s]));
    this.#values = values;
    this.positionals = positionals;
  }

  /** Whether the option was given on the command line. */
  has(name: string): boolean {
    return this.#values[name] !== undefined;
  }

  /** A flag's value (false when absent). */
  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  /** A string option's value, or its spec default, or undefined. */
  string(name: string): string | undefined {
    const v = this.#values[name];
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.length > 0 ? String(v[v.length - 1]) : undefined;
    return this.#specs.get(name)?.default;
  }

  /** A string option that must be given. */
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined || v === "") {
      throw new UsageError(`Missing required option --${name}; see --help`);
    }
    return v;
  }

  /** All values of a repeatable option, in order. */
  strings(name: string): string[] {
    const v = this.#values[name];
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === "string") return [v];
    return [];
  }

  /** A comma-separated list option (`BTC/USDT,ETH/USDT`), empty items dropped. */
  list(name: string): string[] | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }

  /** A numeric option; `integer` and `min` are checked. */
  number(name: string, options: { integer?: boolean; min?: number } = {}): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    const bad = v.trim() === "" || !Number.isFinite(n) ||
      (options.integer === true && !Number.isInteger(n)) ||
      (options.min !== undefined && n < options.min);
    if (bad) {
      const what = options.integer ? "an integer" : "a number";
      const min = options.min !== undefined ? ` >= ${options.min}` : "";
      throw new UsageError(`Invalid value for --${name}: '${v}' (expected ${what}${min})`);
    }
    return n;
  }

  /** A UTC time option (`2025-01-03`, `2025-01-03T10:05Z`, epoch ms). */
  time(name: string): number | undefined {
    const v = this.string(name);
    return v === undefined ? undefined : parseTime(v, `--${name}`);
  }

  /** One of a fixed set of choices. */
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(choices as readonly string[]).includes(v)) {
      throw new UsageError(
        `Invalid value for --${name}: '${v}' (expected one of: ${choices.join(", ")})`,
      );
    }
    return v as T;
  }
}

/** Parses a command's arguments strictly against its spec (plus `COMMON_OPTIONS`). */
export function parseCommandArgs(
  spec: CommandSpec,
  args: readonly string[],
  options: { maxPositionals?: number } = {},
): ParsedArgs {
  const all = [...spec.options, ...COMMON_OPTIONS];
  const config: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const o of all) {
    config[o.name] = o.multiple ? { type: o.type, multiple: true } : { type: o.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `dagtrade ${spec.name}: ${_cleanParseError(message)}; see 'dagtrade ${spec.name} --help'`,
      {
        cause: error,
      },
    );
  }
  const max = options.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    throw new UsageError(
      `dagtrade ${spec.name}: unexpected argument '${
        parsed.positionals[max]
      }'; see 'dagtrade ${spec.name} --help'`,
    );
  }
  return new ParsedArgs(all, parsed.values as Record<string, _RawValue>, parsed.positionals);
}

function _cleanParseError(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `option '${missing[1]}' needs a value`;
  return message.split("\n")[0]?.replace(/\. To specify.*$/, "") ?? message;
}
