/**
 * `dagtrade backtest`: the tiled historical backtest of a DAG (DESIGN §7) — tiles of the model's
 * forecasts under `<dst>/tiled_results/`, then the portfolio and statistics from the forecast
 * evaluator. Resumable (finished tiles are skipped), parallel (`--workers`) and shardable
 * (`--shard i/N` on several machines, then `--merge`).
 */
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
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
import { type Config, type JsonValue, loadConfigFile } from "../lib/config/mod.ts";
import { getBuilder, listBuilders } from "../lib/dag/mod.ts";
import { formatTime, RealClock } from "../lib/sim/mod.ts";
import type { PortfolioStatistics } from "../lib/report/mod.ts";
import {
  type BacktestRunResult,
  buildEffectiveConfig,
  formatShard,
  parseShardSpec,
  readBacktestDirConfig,
  runBacktest,
  runBacktestWorker,
  type ShardSpec,
  TILE_FREQS,
  type WorkerCommand,
} from "../lib/backtest/mod.ts";
import { UsageError } from "../lib/errors/mod.ts";

const spec: CommandSpec = {
  name: "backtest",
  summary: "Tiled historical backtest of a DAG: forecasts, portfolio and statistics",
  usage: "--dag <name> --data <snapshot|store> (--backtest-config <str> | --start <t> --end <t> " +
    "[--symbols <list>]) --dst-dir <dir> [options]",
  description:
    "Runs the model over history in tiles (time tiles x asset tiles); each tile loads its period plus " +
    "the model's lookback warm-up and keeps its own period. Results go to <dst>/tiled_results/" +
    "asset_id=<id>/year=<Y>/month=<M>/ with a success marker per tile, then the forecast evaluator " +
    "builds <dst>/portfolio/ and <dst>/stats.json. Re-running the same command skips finished tiles; " +
    "a different config in an existing --dst-dir is refused unless --force. The effective config is " +
    "<dag template> < --config file < options < --set, saved as <dst>/config.json and config.txt; " +
    "with no --dag, the config of the existing --dst-dir is the base (resume, re-merge). " +
    "--shard i/N runs every N-th tile (Kubernetes Indexed Jobs, Slurm arrays: --shard auto/N), and " +
    "--merge then builds the portfolio once all shards are done. Dags: " +
    listBuilders().map((b) => b.name).join(", ") + ".",
  options: [
    DAG_OPTION,
    DATA_OPTION,
    {
      name: "backtest-config",
      type: "string",
      valueName: "<str>",
      description:
        "<universe>-<top N|all>.<period>.<start>_<end> (end date inclusive), instead of --start/--end/--symbols",
    },
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Backtest bars ending after this UTC time",
    },
    END_OPTION,
    SYMBOLS_OPTION,
    { name: "dst-dir", type: "string", valueName: "<dir>", description: "The backtest directory" },
    {
      name: "config",
      type: "string",
      valueName: "<file.json>",
      description: "Config file (dag, backtest keys)",
    },
    {
      name: "set",
      type: "string",
      valueName: "<key=value>",
      multiple: true,
      description: "Override a config key, e.g. dag.sma.fast=5 or backtest.fee_bps=10",
    },
    {
      name: "tile-freq",
      type: "string",
      valueName: "<freq>",
      default: "month",
      description: `Time tiles: ${TILE_FREQS.join(", ")}`,
    },
    {
      name: "asset-tile-size",
      type: "string",
      valueName: "<n>",
      description: "Assets per asset tile (all in one)",
    },
    {
      name: "workers",
      type: "string",
      valueName: "<n>",
      default: "1",
      description: "Worker processes computing tiles in parallel",
    },
    {
      name: "shard",
      type: "string",
      valueName: "<i/N|auto/N>",
      description:
        "Compute only tiles with index % N == i (auto: $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID)",
    },
    {
      name: "merge",
      type: "boolean",
      description: "Only merge the finished tiles of --dst-dir into the portfolio",
    },
    {
      name: "force",
      type: "boolean",
      description: "Accept a config different from the one in --dst-dir",
    },
    STYLE_OPTION,
    SIZING_OPTION,
    fillOption("Fill convention"),
    ...MONEY_OPTIONS,
    {
      name: "check-causality",
      type: "boolean",
      description:
        "Check the model's causality on the first tile before running (fails, exit 1, naming the node)",
    },
    { name: "print-config", type: "boolean", description: "Print the effective config and exit" },
    { name: "json", type: "boolean", description: "Print the statistics (stats.json) as JSON" },
    { name: "quiet", type: "boolean", description: "No progress or log lines on stderr" },
    { name: "worker", type: "boolean", description: "Internal: a worker process of --workers N" },
  ],
  examples: [
    "dagtrade backtest --dag sma_cross --data fixtures/market_data/binance_spot_5m.parquet " +
    "--start 2025-01-06 --end 2025-02-17 --symbols BTC/USDT --style signal --sizing equity --dst-dir out/bt",
    "dagtrade backtest --dag cross_sectional --data fixtures/market_data/binance_spot_5m.parquet " +
    "--backtest-config binance_v0-top5.5T.2025-01-07_2025-02-16 --style cross_sectional --workers 2 --dst-dir out/bt5",
    "dagtrade backtest --dst-dir out/bt5                       # resume / re-merge with the saved config",
    "dagtrade backtest --dag ridge --data fixtures/market_data/binance_spot_5m.parquet --start 2025-01-20 --end 2025-02-17 " +
    "--set dag.fit.start=2025-01-06 --set dag.fit.end=2025-01-20 --style longitudinal --dst-dir out/ridge",
    "dagtrade backtest ... --dst-dir /shared/bt --shard auto/3   # one pod of a 3-pod Indexed Job",
    "dagtrade backtest --dst-dir /shared/bt --merge              # once all shards are done",
  ],
};

/** `--<option>` → `backtest.<key>` with its parser, for the options that set the backtest config. */
const _SETTINGS: readonly [string, string, (p: ParsedArgs, name: string) => JsonValue][] = [
  ["data", "data", (p, n) => p.required(n)],
  ["backtest-config", "backtest_config", (p, n) => p.required(n)],
  ["start", "start", (p, n) => new Date(p.time(n) as number).toISOString()],
  ["end", "end", (p, n) => new Date(p.time(n) as number).toISOString()],
  ["symbols", "symbols", (p, n) => p.list(n) ?? []],
  ["tile-freq", "tile_freq", (p, n) => p.required(n)],
  [
    "asset-tile-size",
    "asset_tile_size",
    (p, n) => p.number(n, { integer: true, min: 1 }) as number,
  ],
  ["style", "style", (p, n) => p.required(n)],
  ["sizing", "sizing", (p, n) => p.required(n)],
  ["fill", "fill", (p, n) => p.required(n)],
  ["fee-bps", "fee_bps", (p, n) => p.number(n, { min: 0 }) as number],
  ["initial-cash", "initial_cash", (p, n) => p.number(n) as number],
  ["target-gmv", "target_gmv", (p, n) => p.number(n, { min: 0 }) as number],
];

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  const dstDir = parsed.required("dst-dir");
  const clock = new RealClock();
  if (parsed.flag("worker")) {
    await runBacktestWorker({
      dstDir,
      clock,
      input: Deno.stdin.readable,
      output: (line) => io.stdout(line + "\n"),
      signal: io.signal,
    });
    return 0;
  }
  const config = await _effectiveConfig(parsed, dstDir);
  if (parsed.flag("print-config")) {
    io.stdout(config.toString() + "\n");
    return 0;
  }
  let shard: ShardSpec | undefined;
  if (parsed.has("shard")) shard = parseShardSpec(parsed.required("shard"), { env: io.env });
  const mergeOnly = parsed.flag("merge");
  if (mergeOnly && shard !== undefined) {
    throw new UsageError("--merge and --shard exclude each other: merge once every shard is done");
  }
  const workers = parsed.number("workers", { integer: true, min: 1 }) ?? 1;
  const quiet = parsed.flag("quiet");
  const progress = !quiet && io.stderrIsTerminal
    ? new ProgressBar(io, { unit: "tiles" })
    : undefined;
  const result = await runBacktest(config, {
    dstDir,
    clock,
    force: parsed.flag("force"),
    shard,
    mergeOnly,
    workers,
    workerCommand: (i) => _workerCommand(dstDir, i),
    checkCausality: parsed.flag("check-causality"),
    signal: io.signal,
    onProgress: progress === undefined ? undefined : (p) => progress.update(p.done, p.total),
    echo: quiet ? undefined : (message) => {
      if (progress !== undefined && message.startsWith("tile ")) return;
      _above(io, progress, message);
    },
    onWorkerStderr: quiet
      ? undefined
      : (line, w) => _above(io, progress, `[worker ${w + 1}] ${line}`),
  });
  progress?.finish();
  io.stdout(_report(result, dstDir, shard, parsed.flag("json")));
  return 0;
}

/** The effective config: builder template (or the directory's config) < --config < options < --set. */
async function _effectiveConfig(parsed: ParsedArgs, dstDir: string): Promise<Config> {
  const file = parsed.has("config") ? await loadConfigFile(parsed.required("config")) : undefined;
  let dagName = parsed.string("dag");
  const fromFile = file?.get("dag_builder", { default: undefined });
  if (dagName === undefined && typeof fromFile === "string") dagName = fromFile;
  const builder = dagName === undefined ? undefined : getBuilder(dagName);
  const base = builder === undefined ? await readBacktestDirConfig(dstDir) : undefined;
  if (builder === undefined && base === undefined) {
    throw new UsageError(
      `Missing --dag: name the model to backtest (${
        listBuilders().map((b) => b.name).join(", ")
      }), ` +
        `or give the --dst-dir of an existing backtest to resume it`,
    );
  }
  const settings: Record<string, JsonValue> = {};
  for (const [option, key, read] of _SETTINGS) {
    if (parsed.has(option)) settings[key] = read(parsed, option);
  }
  return buildEffectiveConfig({ builder, base, file, settings, overrides: parsed.strings("set") });
}

/** How to start worker `i`: this same program with `backtest --worker`. */
function _workerCommand(dstDir: string, _index: number): WorkerCommand {
  const exec = Deno.execPath();
  const tail = ["backtest", "--worker", "--quiet", "--dst-dir", dstDir];
  if (!/^deno(\.exe)?$/.test(basename(exec))) return { command: exec, args: tail }; // deno compile
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const denoJson = fileURLToPath(new URL("../deno.json", import.meta.url));
  return { command: exec, args: ["run", "-A", "--config", denoJson, main, ...tail] };
}

function _report(
  result: BacktestRunResult,
  dstDir: string,
  shard: ShardSpec | undefined,
  json: boolean,
): string {
  const { plan, stats } = result;
  if (stats === undefined) {
    const s = shard as ShardSpec;
    if (json) {
      return JSON.stringify(
        {
          shard: formatShard(s),
          tiles_in_shard: result.tilesInRun,
          tiles_computed: result.tilesComputed,
          tiles_skipped: result.tilesSkipped,
          tiles_total: plan.tiles.length,
        },
        null,
        2,
      ) + "\n";
    }
    return `shard ${formatShard(s)}: ${result.tilesInRun} of ${plan.tiles.length} tiles ` +
      `(${result.tilesComputed} computed, ${result.tilesSkipped} already done) in ${dstDir}; ` +
      `run 'dagtrade backtest --dst-dir ${dstDir} --merge' once every shard is done\n`;
  }
  if (json) return JSON.stringify(stats, null, 2) + "\n";
  return _statsTable(result, stats, dstDir);
}

function _statsTable(
  result: BacktestRunResult,
  stats: PortfolioStatistics,
  dstDir: string,
): string {
  const { plan } = result;
  const s = plan.settings;
  const range = stats.start === null || stats.end === null
    ? "(no bars)"
    : `${formatTime(stats.start)} → ${formatTime(stats.end)}`;
  const lines = [
    `backtest ${plan.builder.name}: ${plan.fullSymbols.length} assets, ${range} (${stats.bars} bars)`,
    `style ${s.style}, sizing ${s.sizing}, fill ${s.fill}, fee ${s.feeBps} bps; ` +
    `${plan.tiles.length} tiles (${result.tilesComputed} computed, ${result.tilesSkipped} already done)`,
    "",
    ...formatHeadlineStats(stats),
    `output: ${dstDir} (stats.json, portfolio/, tiled_results/)`,
  ];
  return lines.join("\n") + "\n";
}

/** Writes a line on stderr, above the progress bar when there is one. */
function _above(io: CommandIo, progress: ProgressBar | undefined, line: string): void {
  if (progress === undefined) io.stderr(line + "\n");
  else progress.above(line);
}

/** The `backtest` command. */
export const backtestCommand: Command = { spec, run };
