/** The subcommands `dagtrade --help` lists; only commands that work are registered here. */
import type { Command } from "./command.ts";
import { dumpMarketDataCommand } from "./dump_market_data.ts";
import { inspectDataCommand } from "./inspect_data.ts";
import { exchangeEmulatorCommand } from "./exchange_emulator.ts";
import { backtestCommand } from "./backtest.ts";
import { simulateCommand } from "./simulate.ts";
import { runProdCommand } from "./run_prod.ts";
import { reportCommand } from "./report.ts";

/** Every registered subcommand, in help order. */
export const COMMANDS: readonly Command[] = [
  backtestCommand,
  simulateCommand,
  runProdCommand,
  dumpMarketDataCommand,
  inspectDataCommand,
  exchangeEmulatorCommand,
  reportCommand,
];
