/**
 * dagtrade's entry point: parses the subcommand, dispatches to `cmd/`, and maps errors to exit
 * codes (DESIGN §12: 0 ok, 1 failure while running, 2 usage/config/input, 130 interrupted).
 * This is the only place that exits the process.
 */
import { COMMANDS } from "./cmd/commands.ts";
import type { CommandIo } from "./cmd/command.ts";
import { renderHelp } from "./cmd/options.ts";
import { VERSION } from "./cmd/version.ts";
import { describeError, exitCodeOf, UsageError } from "./lib/errors/mod.ts";

const _encoder = new TextEncoder();

function _writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = _encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

function _mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  const lines = [
    `dagtrade ${VERSION} — quant models from research to production without changing them`,
    "",
    "Usage: dagtrade <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    "",
    "Global options:",
    "  --help       Print help (also: dagtrade <command> --help)",
    "  --version    Print the version",
    "  --verbose    Print stack traces on errors",
    "",
    "Exit codes: 0 success, 1 failure while running, 2 usage/config/input error, 130 interrupted.",
  ];
  return lines.join("\n") + "\n";
}

/** Runs the CLI on `args`; returns the exit code. Exported for in-process tests. */
export async function main(args: readonly string[], io: CommandIo): Promise<number> {
  const verbose = args.includes("--verbose");
  try {
    const [name, ...rest] = args;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout(_mainHelp());
      return name === undefined ? 2 : 0;
    }
    if (name === "--version" || name === "-V") {
      io.stdout(`dagtrade ${VERSION}\n`);
      return 0;
    }
    if (name === "--verbose" && rest.length === 0) {
      io.stdout(_mainHelp());
      return 2;
    }
    const command = COMMANDS.find((c) => c.spec.name === name);
    if (command === undefined) {
      const known = COMMANDS.map((c) => c.spec.name).join(", ");
      throw new UsageError(
        `Unknown command '${name}'; known commands: ${known}. See 'dagtrade --help'`,
      );
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(renderHelp(command.spec));
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    io.stderr(`error: ${describeError(error, { verbose })}\n`);
    return exitCodeOf(error);
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) Deno.exit(130);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const io: CommandIo = {
    stdout: (text) => _writeAll(Deno.stdout, text),
    stderr: (text) => _writeAll(Deno.stderr, text),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    env: (name) => Deno.env.get(name),
    signal: controller.signal,
  };
  const code = await main(Deno.args, io);
  Deno.exit(code);
}
