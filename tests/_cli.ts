/** Runs the dagtrade CLI as a real subprocess, for end-to-end tests. */
import { join } from "node:path";

/** Repository root. */
export const ROOT: string = new URL("..", import.meta.url).pathname;
/** The bundled fixture snapshot. */
export const FIXTURE_SNAPSHOT: string = join(
  ROOT,
  "fixtures",
  "market_data",
  "binance_spot_5m.parquet",
);
/** The bundled freqtrade data directory. */
export const FIXTURE_FREQTRADE: string = join(ROOT, "fixtures", "freqtrade", "binance");

/** What a CLI run printed and returned. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** Runs `dagtrade <args>` in a subprocess and collects its output. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...(options.env ?? {}) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
