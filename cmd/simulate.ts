/**
 * `dagtrade simulate`: the production system on a replayed clock over a snapshot or store
 * (DESIGN §1, §9) — the DAG bar by bar as each bar becomes known, the optimizer, the simulated
 * broker, the portfolio and the OMS database, writing a system log directory. With the same
 * model, data window and portfolio settings it gives the same per-bar holdings and PnL as
 * `backtest`.
 */
import type { Command, CommandIo } from "./command.ts";
import {
  DAG_OPTION,
  DATA_OPTION,
  END_OPTION,
  fillOption,
  MONEY_OPTIONS,
  SIZING_OPTION,
  STYLE_OPTION,
  SYMBOLS_OPTION,
} from "./run_options.ts";
import { ProgressBar } from "./progress_bar.ts";
import { formatHeadlineStats } from "./headline_stats.ts";
import { type CommandSpec, parseCommandArgs, type ParsedArgs } from "./options.ts";
import { VERSION } from "./version.ts";
import { type JsonValue, loadConfigFile } from "../lib/config/mod.ts";
import { getBuilder, listBuilders } from "../lib/dag/mod.ts";
import { InterruptedError, UsageError } from "../lib/errors/mod.ts";
import type { PortfolioStatistics } from "../lib/report/mod.ts";
import { formatTime, parseDuration, RealClock } from "../lib/sim/mod.ts";
import {
  buildSimulateConfig,
  runSimulation,
  type SimulationResult,
  SYSTEM_LOG_PATHS,
} from "../lib/system/mod.ts";

const spec: CommandSpec = {
  name: "simulate",
  summary: "The production system on a replayed clock over a snapshot: DAG, OMS, logs",
  usage: "--dag <name> --data <snapshot|store> --start <t> --end <t> --dst-dir <dir> [options]",
  description:
    "Replays the data on a simulated clock and runs the production system on it: each bar is " +
    "processed when it becomes known (knowledge_timestamp + --knowledge-delay): the DAG on the " +
    "model's lookback window, then targets, orders and fills through the simulated broker and the " +
    "portfolio, recorded in the OMS database (SQLite <dst>/oms.sqlite, or --db postgres://...). " +
    "The model needs its lookback warm-up before --start in the data. Event-driven (as fast as " +
    "possible, deterministic) unless --speed paces it. Writes the system log directory: " +
    "run.json, system_config.{input,output}.{txt,json}, market_data/, dag/forecasts.parquet, " +
    "dag/profiling.csv, process_forecasts/{target_positions,orders,fills}.parquet, " +
    "process_forecasts/portfolio/{statistics,holdings_shares,holdings_notional," +
    "executed_trades_shares,executed_trades_notional,positions}.parquet, stats.json, log.txt; " +
    "bar by bar as CSV streams, consolidated to Parquet at the end (also after SIGINT/SIGTERM, " +
    "which stop after the bar in flight: status interrupted, exit 130). The effective config is " +
    "backtest's (<dag template> < --config < options < --set, keys dag.*, backtest.*) plus " +
    "simulate.knowledge_delay_ms, so --style/--sizing/--fill/--fee-bps/--initial-cash/--target-gmv " +
    "mean what they mean in backtest, and both give the same per-bar holdings and PnL. Dags: " +
    listBuilders().map((b) => b.name).join(", ") + ".",
  options: [
    DAG_OPTION,
    DATA_OPTION,
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Simulate bars ending after this UTC time",
    },
    END_OPTION,
    SYMBOLS_OPTION,
    {
      name: "dst-dir",
      type: "string",
      valueName: "<dir>",
      description: "The system log directory (new or empty)",
    },
    {
      name: "config",
      type: "string",
      valueName: "<file.json>",
      description: "Config file (dag, backtest, simulate keys)",
    },
    {
      name: "set",
      type: "string",
      valueName: "<key=value>",
      multiple: true,
      description: "Override a config key, e.g. dag.sma.fast=5 or backtest.fee_bps=10",
    },
    STYLE_OPTION,
    SIZING_OPTION,
    fillOption("Fill convention of the simulated broker"),
    ...MONEY_OPTIONS,
    {
      name: "knowledge-delay",
      type: "string",
      valueName: "<duration>",
      default: "0",
      description: "Extra delay added to every bar's knowledge_timestamp (e.g. 5s, 1m)",
    },
    {
      name: "speed",
      type: "string",
      valueName: "<x>",
      description: "Pace the replay at x times real time (event-driven, as fast as possible)",
    },
    {
      name: "db",
      type: "string",
      valueName: "<spec>",
      description:
        "OMS database: a SQLite file, or postgres://user@host:port/db[?schema=name] (<dst>/oms.sqlite)",
    },
    {
      name: "run-id",
      type: "string",
      valueName: "<id>",
      description: "The run's id in the OMS database (simulate-<dag>-<config hash>)",
    },
    {
      name: "db-commit-every",
      type: "string",
      valueName: "<bars>",
      default: "1 with --speed, else 100",
      description:
        "Commit the OMS database every n bars (1: each bar durable at once; the log streams are " +
        "written every bar either way)",
    },
    {
      name: "save-node-io",
      type: "boolean",
      description: "Save every node's output of every bar under dag/node_io/ (large)",
    },
    {
      name: "force",
      type: "boolean",
      description: "Replace the run already in --dst-dir",
    },
    { name: "print-config", type: "boolean", description: "Print the effective config and exit" },
    {
      name: "json",
      type: "boolean",
      description: "Print the statistics (stats.json, backtest's keys) as JSON",
    },
    { name: "quiet", type: "boolean", description: "No progress or log lines on stderr" },
  ],
  examples: [
    "dagtrade simulate --dag sma_cross --data fixtures/market_data/binance_spot_5m.parquet " +
    "--start 2025-01-08 --end 2025-01-15 --symbols BTC/USDT,ETH/USDT --sizing equity --dst-dir out/sim",
    "dagtrade simulate --dag cross_sectional --data fixtures/market_data/binance_spot_5m.parquet " +
    "--start 2025-01-08 --end 2025-01-10 --style cross_sectional --fee-bps 1 --fill twap --dst-dir out/sim_cs",
    "dagtrade simulate ... --knowledge-delay 30s --speed 600 --dst-dir out/paced   # 10 simulated minutes per second",
    "dagtrade simulate ... --db postgres://postgres@127.0.0.1:5432/dagtrade?schema=sims --dst-dir out/sim_pg",
    "dagtrade simulate ... --json --quiet > stats.json",
  ],
};

/** `--<option>` → `backtest.<key>`, parsed as `backtest` parses it. */
const _SETTINGS: readonly [string, string, (p: ParsedArgs, name: string) => JsonValue][] = [
  ["data", "data", (p, n) => p.required(n)],
  ["start", "start", (p, n) => new Date(p.time(n) as number).toISOString()],
  ["end", "end", (p, n) => new Date(p.time(n) as number).toISOString()],
  ["symbols", "symbols", (p, n) => p.list(n) ?? []],
  ["style", "style", (p, n) => p.required(n)],
  ["sizing", "sizing", (p, n) => p.required(n)],
  ["fill", "fill", (p, n) => p.required(n)],
  ["fee-bps", "fee_bps", (p, n) => p.number(n, { min: 0 }) as number],
  ["initial-cash", "initial_cash", (p, n) => p.number(n) as number],
  ["target-gmv", "target_gmv", (p, n) => p.number(n, { min: 0 }) as number],
];

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  const file = parsed.has("config") ? await loadConfigFile(parsed.required("config")) : undefined;
  let dagName = parsed.string("dag");
  const fromFile = file?.get("dag_builder", { default: undefined });
  if (dagName === undefined && typeof fromFile === "string") dagName = fromFile;
  if (dagName === undefined) {
    throw new UsageError(
      `Missing --dag: name the model to simulate (${listBuilders().map((b) => b.name).join(", ")})`,
    );
  }
  const builder = getBuilder(dagName);
  const settings: Record<string, JsonValue> = {};
  for (const [option, key, read] of _SETTINGS) {
    if (parsed.has(option)) settings[key] = read(parsed, option);
  }
  const simulate: Record<string, JsonValue> = {};
  if (parsed.has("knowledge-delay")) {
    simulate["knowledge_delay_ms"] = parseDuration(
      parsed.required("knowledge-delay"),
      "--knowledge-delay",
    );
  }
  const config = buildSimulateConfig({
    builder,
    file,
    settings,
    simulate,
    overrides: parsed.strings("set"),
  });
  if (parsed.flag("print-config")) {
    io.stdout(config.toString() + "\n");
    return 0;
  }
  const dstDir = parsed.required("dst-dir");
  let speed: number | undefined;
  if (parsed.has("speed")) {
    speed = parsed.number("speed");
    if (!(speed !== undefined && speed > 0)) {
      throw new UsageError(`Invalid value for --speed: '${parsed.string("speed")}' (expected > 0)`);
    }
  }
  // A paced replay behaves like production: each bar committed at once. As fast as possible, a
  // transaction per bar costs more than the bar itself (an fsync each): batch them.
  const commitEveryBars = parsed.has("db-commit-every")
    ? parsed.number("db-commit-every", { integer: true, min: 1 }) as number
    : speed === undefined
    ? 100
    : 1;
  const quiet = parsed.flag("quiet");
  const wallClock = new RealClock();
  const progress = !quiet && io.stderrIsTerminal
    ? new ProgressBar(io, { unit: "bars", showRate: true })
    : undefined;
  const result = await runSimulation(config, {
    dstDir,
    version: VERSION,
    wallClock,
    timer: () => performance.now(),
    speed,
    db: parsed.string("db"),
    runId: parsed.string("run-id"),
    saveNodeIo: parsed.flag("save-node-io"),
    force: parsed.flag("force"),
    commitEveryBars,
    signal: io.signal,
    onProgress: progress === undefined
      ? undefined
      : (p) => progress.update(p.done, p.total, formatTime(p.bar)),
    echo: quiet ? undefined : (message) => {
      if (progress === undefined) io.stderr(message + "\n");
      else progress.above(message);
    },
  });
  progress?.finish();
  if (result.status === "interrupted") {
    throw new InterruptedError(
      `simulate interrupted after ${result.barsProcessed} of ${result.barsTotal} bars; the ` +
        `outputs up to the last processed bar are consolidated in ${dstDir} (run.json status ` +
        `interrupted)`,
    );
  }
  io.stdout(
    parsed.flag("json")
      ? JSON.stringify(result.stats, null, 2) + "\n"
      : _statsTable(result, result.stats, dstDir, config.toJSON()),
  );
  return 0;
}

function _statsTable(
  result: SimulationResult,
  stats: PortfolioStatistics,
  dstDir: string,
  config: { [key: string]: JsonValue },
): string {
  const bt = (config["backtest"] ?? {}) as { [key: string]: JsonValue };
  const range = stats.start === null || stats.end === null
    ? "(no bars)"
    : `${formatTime(stats.start)} → ${formatTime(stats.end)}`;
  const lines = [
    `simulate ${result.dag}: ${result.fullSymbols.length} assets, ${range} (${stats.bars} bars)`,
    `style ${bt["style"]}, sizing ${bt["sizing"]}, fill ${bt["fill"]}, fee ${bt["fee_bps"]} bps; ` +
    `run ${result.runId} in ${result.dbLocation}`,
    "",
    ...formatHeadlineStats(stats),
    `output: ${dstDir} (${SYSTEM_LOG_PATHS.runJson}, ${SYSTEM_LOG_PATHS.statsJson}, ` +
    `process_forecasts/, dag/, market_data/)`,
  ];
  return lines.join("\n") + "\n";
}

/** The `simulate` command. */
export const simulateCommand: Command = { spec, run };
