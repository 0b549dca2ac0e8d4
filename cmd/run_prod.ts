/**
 * `dagtrade run-prod`: the production system on the real clock (DESIGN §1, §9) — bars polled
 * live from an exchange through ccxt, the DAG bar by bar, the optimizer, pre-trade risk
 * controls, and either the simulated broker (`--mode paper`) or the ccxt broker on the account
 * (`--mode prod`, API keys from the environment or a 0600 key file, `--confirm-live`),
 * recorded in the OMS database and a system log directory filed under
 * `<root>/<dag>/<mode>/<manual|scheduled>/<start>.<end>/system_log_dir`.
 *
 * This file only wires: the mode is the choice of the execution (`simulatedExecution` or
 * `ccxtExecution`), the clock (`RealClock`, or `--clock exchange`: the exchange's server time at
 * `--speed`), and the exchange client; `runProd` does the rest.
 */
import type { Command, CommandIo } from "./command.ts";
import { DAG_OPTION, fillOption, SIZING_OPTION, STYLE_OPTION } from "./run_options.ts";
import { type CommandSpec, parseCommandArgs, type ParsedArgs } from "./options.ts";
import { VERSION } from "./version.ts";
import { type Config, type JsonValue, loadConfigFile } from "../lib/config/mod.ts";
import { getBuilder, listBuilders } from "../lib/dag/mod.ts";
import { DagtradeError, UsageError } from "../lib/errors/mod.ts";
import {
  type Clock,
  createCcxtExchange,
  formatTime,
  parseDuration,
  RealClock,
} from "../lib/sim/mod.ts";
import {
  type ApiKeys,
  buildRunProdConfig,
  ccxtExecution,
  type CcxtExecutionExchange,
  loadApiKeys,
  MAX_LOSS_ACTIONS,
  type ProdMarketExchange,
  prodRunDir,
  type ProdRunResult,
  readProdRunInfo,
  redactSecrets,
  runProd,
  ScaledClock,
  simulatedExecution,
} from "../lib/system/mod.ts";

const spec: CommandSpec = {
  name: "run-prod",
  summary: "The production system on the real clock: paper or live trading through ccxt",
  usage: "--mode paper|prod --dag <name> --symbols <list> --duration <s> --root <dir> [options]",
  description:
    "Runs the production system on the real clock: every bar of --timeframe is polled from the " +
    "exchange through ccxt as it closes (the model's lookback is fetched first), the DAG runs " +
    "on it, the optimizer turns the forecasts into orders, the risk controls check them, and " +
    "--mode paper fills them with the simulated broker (at the --fill convention's price, with " +
    "--fee-bps) while --mode prod sends them to the exchange account through the ccxt broker " +
    "(waves of child limit orders, idempotent client order ids; needs API keys from " +
    "DAGTRADE_API_KEY and DAGTRADE_API_SECRET or --key-file <0600 file>, never printed or " +
    "written, and --confirm-live). Bars ending in (--start, --start + --duration] (or " +
    "--until) are traded; the run is filed in <root>/<dag>/<mode>/<manual|scheduled>/" +
    "<start>.<end>/system_log_dir (run.json, system_config.*, market_data/, dag/, " +
    "process_forecasts/, broker/, oms.sqlite, stats.json, log.txt). Starting again with the " +
    "same --root and --start (or --resume <dir>) resumes the run: the orders a killed session " +
    "left open are resolved on the exchange, and the positions of the OMS database are " +
    "reconciled with the account (fetchBalance, fetchOpenOrders) before any order — a mismatch " +
    "is reported and refused unless --adopt-exchange-state. Risk controls (--max-order-notional, " +
    "--max-gross-exposure, --max-loss with --on-max-loss, --kill-switch <file>) are checked " +
    "before every submission; each trip is logged in log.txt and run.json (risk_trips). " +
    "SIGINT/SIGTERM cancel the open orders, write the final state and exit 0 (status " +
    "interrupted). The config is backtest's (dag.*, backtest.*) plus run_prod.* (see " +
    "--print-config). Dags: " + listBuilders().map((b) => b.name).join(", ") + ".",
  options: [
    { name: "mode", type: "string", valueName: "<paper|prod>", description: "Paper or live" },
    DAG_OPTION,
    {
      name: "exchange",
      type: "string",
      valueName: "<id>",
      default: "binance",
      description: "The ccxt exchange id (run_prod.exchange)",
    },
    {
      name: "exchange-url",
      type: "string",
      valueName: "<url>",
      description: "Base URL replacing the exchange's API host (e.g. the exchange emulator)",
    },
    {
      name: "symbols",
      type: "string",
      valueName: "<list>",
      description: "Comma-separated pairs to trade (backtest.symbols)",
    },
    {
      name: "timeframe",
      type: "string",
      valueName: "<tf>",
      default: "5m",
      description: "Bar period polled from the exchange (run_prod.timeframe)",
    },
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Trade bars ending after this UTC time (now)",
    },
    {
      name: "duration",
      type: "string",
      valueName: "<s>",
      description: "Run length: seconds, or a duration like 90m, 8h, 7d",
    },
    {
      name: "until",
      type: "string",
      valueName: "<time>",
      description: "... or the UTC time of the last bar end to trade",
    },
    {
      name: "root",
      type: "string",
      valueName: "<dir>",
      description: "Production root under which the run is filed",
    },
    {
      name: "resume",
      type: "string",
      valueName: "<dir>",
      description: "Resume the run in this system_log_dir (its config, mode and range)",
    },
    {
      name: "scheduled",
      type: "boolean",
      description: "File the run under scheduled/ instead of manual/ (cron, timers)",
    },
    {
      name: "config",
      type: "string",
      valueName: "<file.json>",
      description: "Config file (dag, backtest, run_prod keys)",
    },
    {
      name: "set",
      type: "string",
      valueName: "<key=value>",
      multiple: true,
      description: "Override a config key, e.g. dag.sma.fast=5 or run_prod.passivity_factor=0",
    },
    STYLE_OPTION,
    SIZING_OPTION,
    fillOption("Paper: the simulated broker's fill convention"),
    {
      name: "fee-bps",
      type: "string",
      valueName: "<bps>",
      default: "0",
      description: "Paper: fee per trade, bps of notional (prod: the exchange's fees)",
    },
    {
      name: "initial-cash",
      type: "string",
      valueName: "<cash>",
      default: "10000",
      description: "The strategy's cash at the start (quote currency)",
    },
    {
      name: "target-gmv",
      type: "string",
      valueName: "<gmv>",
      description: "Target gross market value for --sizing gmv (the initial cash)",
    },
    {
      name: "data",
      type: "string",
      valueName: "<path>",
      description: "Fit data (snapshot or store) of a fitted model such as ridge",
    },
    {
      name: "poll-delay",
      type: "string",
      valueName: "<duration>",
      default: "2s",
      description: "First poll of a bar this long after its end (run_prod.poll_delay_ms)",
    },
    {
      name: "max-order-notional",
      type: "string",
      valueName: "<quote>",
      description: "Risk: deny an order worth more (run_prod.max_order_notional)",
    },
    {
      name: "max-gross-exposure",
      type: "string",
      valueName: "<quote>",
      description: "Risk: deny orders that would take the gross exposure above this",
    },
    {
      name: "max-loss",
      type: "string",
      valueName: "<quote>",
      description: "Risk: largest loss of net wealth since the run's start",
    },
    {
      name: "on-max-loss",
      type: "string",
      valueName: "<action>",
      default: "cancel-and-stop",
      description: `What crossing --max-loss does: ${MAX_LOSS_ACTIONS.join(", ")}`,
    },
    {
      name: "kill-switch",
      type: "string",
      valueName: "<file>",
      description: "Risk: when this file exists, cancel the open orders and stop",
    },
    {
      name: "db",
      type: "string",
      valueName: "<spec>",
      description:
        "OMS database: a SQLite file, or postgres://user@host:port/db[?schema=name] (<run dir>/oms.sqlite)",
    },
    {
      name: "key-file",
      type: "string",
      valueName: "<file>",
      description: "Prod: API key and secret from this 0600 file (else DAGTRADE_API_KEY/_SECRET)",
    },
    {
      name: "confirm-live",
      type: "boolean",
      description: "Prod: confirm that orders go to the exchange account",
    },
    {
      name: "adopt-exchange-state",
      type: "boolean",
      description: "Proceed when the startup reconciliation differs, from the account's positions",
    },
    {
      name: "clock",
      type: "string",
      valueName: "<real|exchange>",
      default: "real",
      description:
        "real: the wall clock; exchange: the exchange's server time at --speed (emulator rehearsals)",
    },
    {
      name: "speed",
      type: "string",
      valueName: "<x>",
      default: "1",
      description: "With --clock exchange: simulated seconds per real second of the exchange",
    },
    { name: "print-config", type: "boolean", description: "Print the effective config and exit" },
    { name: "json", type: "boolean", description: "Print the result as JSON" },
    { name: "quiet", type: "boolean", description: "No log lines on stderr" },
  ],
  examples: [
    "dagtrade run-prod --mode paper --dag sma_cross --symbols BTC/USDT,ETH/USDT --duration 8h " +
    "--root /srv/prod",
    "DAGTRADE_API_KEY=... DAGTRADE_API_SECRET=... dagtrade run-prod --mode prod --confirm-live " +
    "--dag sma_cross --sizing equity --symbols BTC/USDT,ETH/USDT,SOL/USDT --start " +
    "2025-03-03T00:00Z --duration 1d --max-loss 500 --kill-switch /srv/prod/STOP --root /srv/prod",
    "dagtrade run-prod --mode prod --confirm-live --key-file ~/.dagtrade/keys.json --resume " +
    "/srv/prod/sma_cross/prod/manual/20250303T000000Z.20250304T000000Z/system_log_dir",
    "dagtrade exchange-emulator --data out/store --start 2025-01-10 --speed 60 --port 8765 &  # rehearsal",
    "DAGTRADE_API_KEY=dagtrade-emulator-key DAGTRADE_API_SECRET=$DAGTRADE_EMULATOR_SECRET " +
    "dagtrade run-prod --mode prod --confirm-live --exchange-url http://127.0.0.1:8765 --clock " +
    "exchange --speed 60 --dag sma_cross --symbols BTC/USDT --duration 1h --root out/rehearsal",
  ],
};

/** `--<option>` → `backtest.<key>`. */
const _SETTINGS: readonly [string, string, (p: ParsedArgs, name: string) => JsonValue][] = [
  ["symbols", "symbols", (p, n) => p.list(n) ?? []],
  ["style", "style", (p, n) => p.required(n)],
  ["sizing", "sizing", (p, n) => p.required(n)],
  ["fill", "fill", (p, n) => p.required(n)],
  ["fee-bps", "fee_bps", (p, n) => p.number(n, { min: 0 }) as number],
  ["initial-cash", "initial_cash", (p, n) => p.number(n) as number],
  ["target-gmv", "target_gmv", (p, n) => p.number(n, { min: 0 }) as number],
  ["data", "data", (p, n) => p.required(n)],
];

/** `--<option>` → `run_prod.<key>`. */
const _RUN_PROD: readonly [string, string, (p: ParsedArgs, name: string) => JsonValue][] = [
  ["exchange", "exchange", (p, n) => p.required(n)],
  ["timeframe", "timeframe", (p, n) => p.required(n)],
  ["poll-delay", "poll_delay_ms", (p, n) => parseDuration(p.required(n), `--${n}`)],
  ["max-order-notional", "max_order_notional", (p, n) => _positive(p, n)],
  ["max-gross-exposure", "max_gross_exposure", (p, n) => _positive(p, n)],
  ["max-loss", "max_loss", (p, n) => _positive(p, n)],
  ["on-max-loss", "on_max_loss", (p, n) => p.choice(n, MAX_LOSS_ACTIONS) as string],
  ["kill-switch", "kill_switch_file", (p, n) => p.required(n)],
];

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  let secrets: string[] = [];
  try {
    return await _run(parsed, io, (s) => (secrets = s));
  } catch (error) {
    _redactError(error, secrets);
    throw error;
  }
}

async function _run(
  parsed: ParsedArgs,
  io: CommandIo,
  setSecrets: (secrets: string[]) => void,
): Promise<number> {
  const mode = parsed.choice("mode", ["paper", "prod"] as const);
  const resumeDir = parsed.string("resume");
  const previous = resumeDir === undefined ? undefined : await readProdRunInfo(resumeDir);
  if (resumeDir !== undefined && previous === undefined) {
    throw new UsageError(`--resume ${resumeDir}: no run.json there; give a run's system_log_dir`);
  }
  const runMode = mode ?? (previous?.["mode"] as "paper" | "prod" | undefined);
  if (runMode === undefined) throw new UsageError("Missing --mode: paper or prod");
  if (previous !== undefined && previous["mode"] !== runMode) {
    throw new UsageError(
      `--resume ${resumeDir} holds a ${String(previous["mode"])} run, not ${runMode}`,
    );
  }
  const config = await _config(parsed, resumeDir);
  if (parsed.flag("print-config")) {
    io.stdout(config.toString() + "\n");
    return 0;
  }
  if (runMode === "prod" && !parsed.flag("confirm-live")) {
    throw new UsageError(
      "--mode prod sends orders to the exchange account: pass --confirm-live to confirm (or use " +
        "--mode paper)",
    );
  }
  const keys: ApiKeys | undefined = runMode === "prod"
    ? await loadApiKeys({ env: io.env, keyFile: parsed.string("key-file") })
    : undefined;
  const secrets = keys?.secrets() ?? [];
  setSecrets(secrets);

  const exchangeId = String(config.get(["run_prod", "exchange"], { default: "binance" }));
  const exchangeUrl = parsed.string("exchange-url");
  const clockKind = parsed.choice("clock", ["real", "exchange"] as const) ?? "real";
  const speed = parsed.number("speed") ?? 1;
  if (!(speed > 0)) throw new UsageError(`Invalid value for --speed: ${speed} (expected > 0)`);
  if (clockKind === "real" && parsed.has("speed")) {
    throw new UsageError("--speed applies to --clock exchange only");
  }
  const real = new RealClock();
  let clock: Clock = real;
  const ccxtOptions: Record<string, unknown> = {};
  if (exchangeId === "binance") {
    ccxtOptions["options"] = {
      defaultType: "spot",
      fetchMarkets: { types: ["spot"] },
      fetchCurrencies: false,
      fetchMargins: false,
    };
  }
  if (keys !== undefined) {
    ccxtOptions["apiKey"] = keys.apiKey;
    ccxtOptions["secret"] = keys.secret;
  }
  if (clockKind === "exchange") {
    // Signed requests are stamped with the exchange's time, a little early: an exchange refuses
    // a timestamp ahead of its clock, and a sync error of a few real ms is seconds at --speed
    // 100 (an emulator's paced clock also moves in steps of a tenth of a real second).
    const early = Math.min(30_000, Math.ceil(150 * speed));
    ccxtOptions["nonce"] = () => clock.now() - early;
    if (speed > 1 && exchangeId === "binance") {
      (ccxtOptions["options"] as Record<string, unknown>)["recvWindow"] = 60_000;
    }
  }
  const exchange = await createCcxtExchange(exchangeId, {
    baseUrl: exchangeUrl,
    ccxtOptions,
  }) as unknown as ProdMarketExchange & CcxtExecutionExchange & {
    fetchTime(): Promise<number | undefined>;
  };
  if (clockKind === "exchange") clock = await _exchangeClock(exchange, real, speed);

  // The range and the run directory.
  let start: number;
  let end: number;
  let runDir: string;
  let schedule: "manual" | "scheduled";
  if (resumeDir !== undefined && previous !== undefined) {
    if (parsed.has("start") || parsed.has("duration") || parsed.has("until")) {
      throw new UsageError(
        "--resume takes the run's range from its run.json; drop --start/--duration/--until",
      );
    }
    start = Date.parse(String(previous["start"]));
    end = Date.parse(String(previous["end"]));
    schedule = previous["schedule"] === "scheduled" ? "scheduled" : "manual";
    runDir = resumeDir;
  } else {
    start = parsed.time("start") ?? clock.now();
    end = _end(parsed, start);
    schedule = parsed.flag("scheduled") ? "scheduled" : "manual";
    const root = parsed.string("root");
    if (root === undefined) {
      throw new UsageError("Missing --root: the production root the run is filed under");
    }
    runDir = prodRunDir(root, {
      dag: String(config.get("dag_builder")),
      mode: runMode,
      schedule,
      start,
      end,
    });
  }
  const quiet = parsed.flag("quiet");
  const result = await runProd(config, {
    runDir,
    mode: runMode,
    schedule,
    start,
    end,
    version: VERSION,
    clock,
    wallClock: clock,
    exchange,
    execution: runMode === "prod" ? ccxtExecution(exchange) : simulatedExecution(),
    db: parsed.string("db"),
    adoptExchangeState: parsed.flag("adopt-exchange-state"),
    timer: () => performance.now(),
    secrets,
    exchangeUrl,
    signal: io.signal,
    echo: quiet ? undefined : (message) => io.stderr(message + "\n"),
  });
  io.stdout(parsed.flag("json") ? _json(result, runDir) : _summary(result, runDir));
  if (result.status === "stopped" && result.stopTrip?.control === "max_loss") {
    throw new DagtradeError(
      `run-prod stopped by risk control max_loss: ${result.stopTrip.reason} (see ${runDir}/run.json)`,
    );
  }
  return 0;
}

/** The effective config: the resumed run's input config, or the builder's template; then options. */
async function _config(parsed: ParsedArgs, resumeDir: string | undefined): Promise<Config> {
  let file = parsed.has("config") ? await loadConfigFile(parsed.required("config")) : undefined;
  if (resumeDir !== undefined) {
    const saved = await loadConfigFile(`${resumeDir}/system_config.input.json`);
    if (file !== undefined) saved.update(file, { updateMode: "overwrite" });
    file = saved;
  }
  let dagName = parsed.string("dag");
  const fromFile = file?.get("dag_builder", { default: undefined });
  if (dagName === undefined && typeof fromFile === "string") dagName = fromFile;
  if (dagName === undefined) {
    throw new UsageError(
      `Missing --dag: name the model to run (${listBuilders().map((b) => b.name).join(", ")})`,
    );
  }
  const settings: Record<string, JsonValue> = {};
  for (const [option, key, read] of _SETTINGS) {
    if (parsed.has(option)) settings[key] = read(parsed, option);
  }
  const runProd: Record<string, JsonValue> = {};
  for (const [option, key, read] of _RUN_PROD) {
    if (parsed.has(option)) runProd[key] = read(parsed, option);
  }
  return buildRunProdConfig({
    builder: getBuilder(dagName),
    file,
    settings,
    runProd,
    overrides: parsed.strings("set"),
  });
}

function _end(parsed: ParsedArgs, start: number): number {
  const duration = parsed.string("duration");
  const until = parsed.time("until");
  if ((duration === undefined) === (until === undefined)) {
    throw new UsageError("Give the run's length: --duration <s> or --until <time> (one of them)");
  }
  if (until !== undefined) return until;
  const text = duration as string;
  const ms = /^\d+(\.\d+)?$/.test(text.trim())
    ? Number(text) * 1000
    : parseDuration(text, "--duration");
  if (!(ms > 0)) throw new UsageError(`Invalid --duration '${text}': expected a positive length`);
  return start + Math.round(ms);
}

/** The exchange's server time, followed at `speed` × the wall clock. */
async function _exchangeClock(
  exchange: { fetchTime(): Promise<number | undefined>; id: string },
  real: RealClock,
  speed: number,
): Promise<ScaledClock> {
  // The sample with the shortest round trip of three.
  let best: { server: number; anchor: number; rtt: number } | undefined;
  for (let i = 0; i < 3; i++) {
    const before = real.now();
    let server: number | undefined;
    try {
      server = await exchange.fetchTime();
    } catch (error) {
      throw new UsageError(
        `--clock exchange: cannot read ${exchange.id}'s server time: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    const after = real.now();
    if (typeof server !== "number" || !Number.isFinite(server)) {
      throw new UsageError(`--clock exchange: ${exchange.id} gave no server time`);
    }
    if (best === undefined || after - before < best.rtt) {
      best = { server, anchor: (before + after) / 2, rtt: after - before };
    }
  }
  const { server, anchor } = best as { server: number; anchor: number };
  return new ScaledClock({ base: real, start: server, anchor, speed });
}

function _positive(p: ParsedArgs, name: string): number {
  const v = p.number(name);
  if (!(v !== undefined && v > 0)) {
    throw new UsageError(`Invalid value for --${name}: '${p.string(name)}' (expected > 0)`);
  }
  return v;
}

function _summary(r: ProdRunResult, runDir: string): string {
  const s = r.stats;
  const num = (x: number | null, d = 2) => x === null ? "-" : x.toFixed(d);
  const lines = [
    `run-prod ${r.dag} session ${r.session}: ${r.status.toUpperCase()}` +
    (r.stopTrip === undefined ? "" : ` (${r.stopTrip.control}: ${r.stopTrip.reason})`),
    `${r.fullSymbols.length} assets, ${r.barsProcessed} of ${r.barsTotal} bars this session` +
    (r.barsTotal > 0 ? ` (${formatTime(r.firstBar)} .. ${formatTime(r.lastBar)})` : ""),
    `final_net_wealth    ${num(s.final_net_wealth)}`,
    `total_pnl           ${num(s.total_pnl)}`,
    `fees                ${num(s.fees)}`,
    `num_trades          ${s.num_trades}`,
    `risk trips          ${r.riskTrips.length}`,
  ];
  if (r.reconciliation !== undefined) {
    lines.push(`reconciliation      ${r.reconciliation.ok ? "ok" : "adopted the account's state"}`);
  }
  if (r.recovered.length > 0) lines.push(`recovered orders    ${r.recovered.length}`);
  if (r.decisionLatency !== undefined) {
    lines.push(
      `decision latency    p50 ${r.decisionLatency.p50_ms} ms, p99 ${r.decisionLatency.p99_ms} ms`,
    );
  }
  lines.push(`output: ${runDir}`);
  return lines.join("\n") + "\n";
}

function _json(r: ProdRunResult, runDir: string): string {
  return JSON.stringify(
    {
      status: r.status,
      run_dir: runDir,
      run_id: r.runId,
      session: r.session,
      bars_processed: r.barsProcessed,
      bars_total: r.barsTotal,
      stop: r.stopTrip ?? null,
      risk_trips: r.riskTrips,
      reconciliation_ok: r.reconciliation?.ok ?? null,
      recovered_orders: r.recovered.length,
      decision_latency: r.decisionLatency ?? null,
      stats: r.stats,
    },
    null,
    2,
  ) + "\n";
}

/** Masks the secrets in an error's message, stack and causes (they are printed by main.ts). */
function _redactError(error: unknown, secrets: readonly string[]): void {
  if (secrets.length === 0) return;
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    try {
      e.message = redactSecrets(e.message, secrets);
      if (e.stack !== undefined) e.stack = redactSecrets(e.stack, secrets);
    } catch {
      // A frozen error: left as it is.
    }
    e = e.cause;
  }
}

/** The `run-prod` command. */
export const runProdCommand: Command = { spec, run };
