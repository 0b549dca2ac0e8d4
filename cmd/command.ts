/** The contract between `main.ts` and the subcommands in `cmd/`. */
import type { CommandSpec } from "./options.ts";

/** Where a command writes and what it may read of its environment. */
export interface CommandIo {
  /** Writes results and summaries (stdout). */
  stdout(text: string): void;
  /** Writes logs, warnings and progress (stderr). */
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  readonly stderrIsTerminal: boolean;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Aborted on SIGINT/SIGTERM; long commands stop cleanly after the work in flight. */
  readonly signal: AbortSignal;
}

/** A subcommand: its spec (options, help, examples) and what it does. */
export interface Command {
  /** Name, options and help text. */
  readonly spec: CommandSpec;
  /** Runs the command on its arguments (after the command name); returns the exit code. */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}
