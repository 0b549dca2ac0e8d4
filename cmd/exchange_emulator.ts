/**
 * `dagtrade exchange-emulator`: serve a snapshot (or store) as a Binance-spot-speaking HTTP
 * venue for ccxt clients (DESIGN §11), until SIGINT/SIGTERM.
 */
import type { Command, CommandIo } from "./command.ts";
import { type CommandSpec, parseCommandArgs, type ParsedArgs } from "./options.ts";
import { UsageError } from "../lib/errors/mod.ts";
import { type Clock, formatTime, readBars, RealClock, ReplayedClock } from "../lib/sim/mod.ts";
import {
  type ExchangeEmulatorOptions,
  FAULT_KINDS,
  type FaultKind,
  startExchangeEmulator,
} from "../lib/sim/exchange_emulator/mod.ts";
import pl from "nodejs-polars";

const _DAY = 86_400_000;

const spec: CommandSpec = {
  name: "exchange-emulator",
  summary: "Serve a snapshot as an emulated Binance spot venue for ccxt (HTTP on loopback)",
  usage: "--data <snapshot|store> [--port <p>] [--start <t>] [--speed <x>] [options]",
  description:
    "Serves the bars over the subset of Binance's spot REST API that ccxt's binance class uses " +
    "(exchangeInfo, klines, tickers, depth, account, orders, trades), with Binance's error " +
    "bodies. Prints its base URL on stdout; point ccxt at it by replacing the host of every " +
    "urls.api entry (dump-market-data --exchange-url does), with the options defaultType: spot, " +
    "fetchMarkets: {types: [spot]}, fetchCurrencies: false.\n\n" +
    "Time: --clock replayed (default) starts at --start and runs at --speed × real time; a bar is " +
    "served once its knowledge_timestamp has passed, the forming bar never. --clock real serves " +
    "on the wall clock. Market orders fill at once at the last close ± the half-spread; limit " +
    "orders rest and fill at their price on later bars that trade through them, at most " +
    "--volume-share of each bar's volume; fees are charged in the quote asset.\n\n" +
    "Signed requests need the API key (--api-key) and secret ($DAGTRADE_EMULATOR_SECRET, else " +
    "the default 'dagtrade-emulator-secret'); their timestamp is checked against the emulator's " +
    "clock (clients on another clock: ccxt option adjustForTimeDifference, at --speed 1; or " +
    "--skip-timestamp-check). Stops cleanly on SIGINT/SIGTERM (exit 0).",
  options: [
    { name: "data", type: "string", valueName: "<path>", description: "Snapshot file or store" },
    {
      name: "symbols",
      type: "string",
      valueName: "<list>",
      description: "Comma-separated pairs to serve (all)",
    },
    {
      name: "port",
      type: "string",
      valueName: "<p>",
      default: "0",
      description: "TCP port (0: a free one)",
    },
    {
      name: "host",
      type: "string",
      valueName: "<addr>",
      default: "127.0.0.1",
      description: "Interface to listen on",
    },
    {
      name: "clock",
      type: "string",
      valueName: "<replayed|real>",
      default: "replayed",
      description: "Simulated time from --start, or the wall clock",
    },
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Replayed clock start (first bar's knowledge time + 1 day)",
    },
    {
      name: "speed",
      type: "string",
      valueName: "<x>",
      default: "1",
      description: "Replayed clock pace: simulated seconds per real second",
    },
    {
      name: "balance",
      type: "string",
      valueName: "<ASSET=amount>",
      multiple: true,
      description: "Initial free balance (if none: USDT=100000)",
    },
    {
      name: "api-key",
      type: "string",
      valueName: "<key>",
      default: "dagtrade-emulator-key",
      description: "API key signed requests must send",
    },
    {
      name: "half-spread-bps",
      type: "string",
      valueName: "<bps>",
      default: "1",
      description: "Bid/ask = last close ∓ this many basis points",
    },
    {
      name: "fee-bps",
      type: "string",
      valueName: "<bps>",
      default: "10",
      description: "Maker and taker fee, basis points",
    },
    {
      name: "volume-share",
      type: "string",
      valueName: "<f>",
      default: "0.1",
      description: "Largest share of a bar's volume resting orders fill",
    },
    {
      name: "fault-rate",
      type: "string",
      valueName: "<p>",
      default: "0",
      description: "Probability that a request gets a fault",
    },
    {
      name: "fault-kinds",
      type: "string",
      valueName: "<list>",
      default: "429,5xx,drop",
      description: `Faults to draw from: ${FAULT_KINDS.join(",")}`,
    },
    {
      name: "fault-endpoints",
      type: "string",
      valueName: "<list>",
      description: "Paths the faults apply to (all), e.g. /api/v3/klines",
    },
    {
      name: "fault-seed",
      type: "string",
      valueName: "<n>",
      default: "1",
      description: "Seed of the fault PRNG",
    },
    {
      name: "latency",
      type: "string",
      valueName: "<ms>",
      default: "1000",
      description: "Delay of a 'latency' fault, ms",
    },
    {
      name: "skip-timestamp-check",
      type: "boolean",
      description: "Accept signed requests whatever their timestamp",
    },
  ],
  examples: [
    "dagtrade exchange-emulator --data fixtures/market_data/binance_spot_5m.parquet --port 8080",
    "dagtrade exchange-emulator --data out/store --start 2025-01-10 --speed 60 --balance USDT=5000",
    "dagtrade exchange-emulator --data fixtures/market_data/binance_spot_5m.parquet \\\n" +
    "      --fault-rate 0.1 --fault-kinds 429,5xx --fault-endpoints /api/v3/klines",
  ],
};

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  const path = parsed.required("data");
  const clockKind = parsed.choice("clock", ["replayed", "real"] as const) ?? "replayed";
  if (clockKind === "real" && (parsed.has("start") || parsed.has("speed"))) {
    throw new UsageError("--start and --speed apply to --clock replayed only");
  }
  const options = _emulatorOptions(parsed, io);
  const bars = await readBars(path, { symbols: parsed.list("symbols") });
  if (bars.height === 0) throw new UsageError(`No bars to serve in ${path}`);
  let clock: Clock;
  let speed = 1;
  if (clockKind === "real") {
    clock = new RealClock();
  } else {
    speed = _positive(parsed, "speed") ?? 1;
    clock = new ReplayedClock(parsed.time("start") ?? _defaultStart(bars), { speed });
  }
  const emulator = await startExchangeEmulator(bars, { ...options, clock });
  io.stdout(`${emulator.url}\n`);
  io.stderr(
    `exchange emulator: ${emulator.markets.size} symbols (${
      [...emulator.markets.values()].map((m) => m.ccxtSymbol).join(", ")
    }), clock ${clockKind}${
      clockKind === "replayed" ? ` from ${formatTime(clock.now())} at ${speed}×` : ""
    }, ` +
      `api key ${emulator.apiKey}; stop with Ctrl-C\n`,
  );
  try {
    if (clock instanceof ReplayedClock) {
      // A paced clock's now() moves only at wake-ups: step it ten times per real second.
      const step = 100 * speed;
      for (;;) {
        if (io.signal.aborted) break;
        try {
          await clock.sleepUntil(clock.now() + step, io.signal);
        } catch (error) {
          if (io.signal.aborted) break;
          throw error;
        }
        emulator.tick();
      }
    } else {
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) resolve();
        else io.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  } finally {
    await emulator.close();
  }
  io.stderr(`exchange emulator stopped after ${emulator.requestCount()} requests\n`);
  return 0;
}

/** The emulator options of the command line (everything but the clock). */
function _emulatorOptions(
  parsed: ParsedArgs,
  io: CommandIo,
): Omit<ExchangeEmulatorOptions, "clock"> {
  const port = parsed.number("port", { integer: true, min: 0 }) ?? 0;
  if (port > 65535) throw new UsageError(`Invalid value for --port: '${port}' (0..65535)`);
  const balances: Record<string, number> = {};
  for (const text of parsed.strings("balance")) {
    const m = /^([A-Za-z0-9]+)=(\d+(?:\.\d+)?)$/.exec(text.trim());
    if (!m) {
      throw new UsageError(
        `Invalid value for --balance: '${text}' (expected ASSET=amount, e.g. USDT=10000)`,
      );
    }
    balances[(m[1] as string).toUpperCase()] = Number(m[2]);
  }
  const feeBps = parsed.number("fee-bps", { min: 0 }) ?? 10;
  const rate = parsed.number("fault-rate", { min: 0 }) ?? 0;
  if (rate > 1) throw new UsageError(`Invalid value for --fault-rate: '${rate}' (0..1)`);
  const kinds = parsed.list("fault-kinds") ?? [];
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new UsageError(
        `Invalid value for --fault-kinds: '${k}' (expected some of ${FAULT_KINDS.join(", ")})`,
      );
    }
  }
  const endpoints = parsed.list("fault-endpoints");
  const options: Omit<ExchangeEmulatorOptions, "clock"> = {
    port,
    hostname: parsed.string("host") ?? "127.0.0.1",
    apiKey: parsed.string("api-key") ?? "dagtrade-emulator-key",
    secret: io.env("DAGTRADE_EMULATOR_SECRET") ?? "dagtrade-emulator-secret",
    balances: Object.keys(balances).length > 0 ? balances : { USDT: 100_000 },
    halfSpreadBps: parsed.number("half-spread-bps", { min: 0 }) ?? 1,
    makerFeeBps: feeBps,
    takerFeeBps: feeBps,
    volumeShare: _positive(parsed, "volume-share") ?? 0.1,
    checkTimestamp: !parsed.flag("skip-timestamp-check"),
  };
  if (rate > 0) {
    options.faults = {
      rate,
      kinds: kinds as FaultKind[],
      seed: parsed.number("fault-seed", { integer: true, min: 0 }) ?? 1,
      latencyMs: parsed.number("latency", { min: 0 }) ?? 1000,
      ...(endpoints === undefined ? {} : { endpoints }),
    };
  }
  return options;
}

function _positive(parsed: ParsedArgs, name: string): number | undefined {
  const v = parsed.number(name, { min: 0 });
  if (v === 0) throw new UsageError(`Invalid value for --${name}: '0' (expected > 0)`);
  return v;
}

/** The first bar's knowledge time + 1 day (one day of history visible), at most the last one. */
function _defaultStart(bars: pl.DataFrame): number {
  const known = bars.getColumn("knowledge_timestamp").cast(pl.Float64);
  const first = known.min() as number;
  const last = known.max() as number;
  return Math.min(first + _DAY, last);
}

/** The `exchange-emulator` command. */
export const exchangeEmulatorCommand: Command = { spec, run };
