/**
 * `dagtrade dump-market-data`: bring bars into a snapshot file or a store directory. Sources:
 * an exchange through ccxt (`--exchange <id>`, optionally at `--exchange-url`), or
 * `--source freqtrade:<dir>` (a freqtrade data directory).
 */
import { basename, resolve } from "node:path";
import type { Command, CommandIo } from "./command.ts";
import { ProgressBar } from "./progress_bar.ts";
import { type CommandSpec, parseCommandArgs, type ParsedArgs } from "./options.ts";
import { UsageError } from "../lib/errors/mod.ts";
import {
  CcxtOhlcvFetcher,
  createCcxtExchange,
  dumpOhlcv,
  type DumpOhlcvResult,
  type DumpProgress,
  formatTime,
  importFreqtradeDir,
  parseDuration,
  parseTimeframe,
  RealClock,
  type RetryEvent,
  snapshotFormatOf,
  summarizeBars,
  writeSnapshot,
  writeStore,
} from "../lib/sim/mod.ts";
import { formatSummary, summaryToJson } from "./inspect_data.ts";

const spec: CommandSpec = {
  name: "dump-market-data",
  summary: "Download or import OHLCV bars into a snapshot file or a partitioned store",
  usage:
    "(--exchange <id> | --source freqtrade:<dir>) --dst <file.parquet|file.csv|file.csv.gz|dir> " +
    "[options]",
  description: "Brings bars into a snapshot (with <file>.meta.json) or a store directory " +
    "(asset_id=<id>/year=<Y>/month=<M>/data.parquet), in the bar contract (bars stamped at their " +
    "END, asset_id, full_symbol, knowledge_timestamp), validated; writes are atomic; gaps are " +
    "reported on stderr and in the meta file.\n\n" +
    "--exchange <id> downloads through ccxt: fetchOHLCV paginated by --page-limit, ccxt's rate " +
    "limiter on, network errors, rate limits (Retry-After honoured) and 5xx retried with capped " +
    "exponential backoff (--max-retries, --retry-delay, --max-retry-delay); an unknown symbol, an " +
    "unsupported timeframe or a rejected request fail at once (exit 2), retries running out exit 1. " +
    "Only bars closed when received are kept; knowledge_timestamp is the time each page was " +
    "received, unless --knowledge-delay is given. Into a store, only what is missing is fetched " +
    "(complete month partitions are skipped, partial ones resumed from their last bar) and each " +
    "month is written as soon as it is fetched, so an interrupted dump resumes where it stopped.\n\n" +
    "--source freqtrade:<dir> imports freqtrade's candle files; full symbols are named after the " +
    "directory (user_data/data/<exchange>); knowledge_timestamp = bar end + --knowledge-delay.",
  options: [
    {
      name: "exchange",
      type: "string",
      valueName: "<id>",
      description: "Download from this ccxt exchange (binance, ...); exclusive with --source",
    },
    {
      name: "exchange-url",
      type: "string",
      valueName: "<url>",
      description:
        "Point ccxt at this base URL instead of the exchange's (e.g. the exchange emulator)",
    },
    {
      name: "source",
      type: "string",
      valueName: "<kind:path>",
      description:
        "Import from freqtrade:<dir> (freqtrade's user_data/data/<exchange>); exclusive with --exchange",
    },
    {
      name: "dst",
      type: "string",
      valueName: "<path>",
      description: "Snapshot file (.parquet, .csv, .csv.gz) or store directory",
    },
    {
      name: "symbols",
      type: "string",
      valueName: "<list>",
      description:
        "Comma-separated pairs, e.g. BTC/USDT,ETH/USDT (freqtrade: all found; ccxt: required)",
    },
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Bars ending after this UTC time (freqtrade: no bound; ccxt: required)",
    },
    {
      name: "end",
      type: "string",
      valueName: "<time>",
      description: "Bars ending at or before this UTC time (freqtrade: no bound; ccxt: now)",
    },
    {
      name: "timeframe",
      type: "string",
      valueName: "<tf>",
      description: "Bar period, e.g. 5m (freqtrade: the only one found; ccxt: 5m)",
    },
    {
      name: "knowledge-delay",
      type: "string",
      valueName: "<duration>",
      default: "10s",
      description:
        "knowledge_timestamp = bar end + this delay (ccxt: only when given; else receipt time)",
    },
    {
      name: "page-limit",
      type: "string",
      valueName: "<n>",
      description: "ccxt: candles per request (the exchange's limit; binance 1000)",
    },
    {
      name: "max-retries",
      type: "string",
      valueName: "<n>",
      default: "8",
      description: "ccxt: retries of a failing request before giving up (exit 1)",
    },
    {
      name: "retry-delay",
      type: "string",
      valueName: "<duration>",
      default: "500ms",
      description: "ccxt: wait before the first retry, doubled at each next one",
    },
    {
      name: "max-retry-delay",
      type: "string",
      valueName: "<duration>",
      default: "30s",
      description: "ccxt: cap of the wait between retries (a longer Retry-After is honoured)",
    },
    {
      name: "request-timeout",
      type: "string",
      valueName: "<duration>",
      default: "10s",
      description: "ccxt: timeout of one request (a timeout is retried)",
    },
    { name: "json", type: "boolean", description: "Print the summary of what was written as JSON" },
    {
      name: "quiet",
      type: "boolean",
      description: "Print nothing on success, no progress, no retry logs",
    },
  ],
  examples: [
    "dagtrade dump-market-data --exchange binance --symbols BTC/USDT,ETH/USDT --timeframe 5m \\\n" +
    "      --start 2025-01-01 --end 2025-02-01 --dst out/binance_5m.parquet",
    "dagtrade dump-market-data --exchange binance --symbols BTC/USDT --start 2024-01-01 --dst out/store",
    "dagtrade dump-market-data --exchange binance --exchange-url http://127.0.0.1:8080 \\\n" +
    "      --symbols BTC/USDT --start 2025-01-06 --end 2025-01-08 --dst out/emulated.csv.gz",
    "dagtrade dump-market-data --source freqtrade:fixtures/freqtrade/binance --dst out/ft.parquet",
    "dagtrade dump-market-data --source freqtrade:user_data/data/binance --symbols BTC/USDT,ETH/USDT \\\n" +
    "      --start 2025-01-01 --end 2025-02-01 --dst out/store",
  ],
};

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  if (parsed.has("exchange") && parsed.has("source")) {
    throw new UsageError(
      "--exchange and --source are exclusive: --exchange downloads through ccxt, --source " +
        "freqtrade:<dir> imports files (named after the directory's exchange)",
    );
  }
  if (parsed.has("exchange")) return await _runCcxt(parsed, io);
  if (!parsed.has("source")) {
    throw new UsageError(
      "Missing the source: give --exchange <id> (download through ccxt) or --source " +
        "freqtrade:<dir>; see --help",
    );
  }
  for (const o of ["exchange-url", "page-limit"]) {
    if (parsed.has(o)) throw new UsageError(`--${o} applies to --exchange downloads only`);
  }
  return await _runFreqtrade(parsed, io);
}

async function _runCcxt(parsed: ParsedArgs, io: CommandIo): Promise<number> {
  const id = parsed.required("exchange");
  const dst = parsed.required("dst");
  const symbols = parsed.list("symbols");
  if (symbols === undefined || symbols.length === 0) {
    throw new UsageError("Missing --symbols: the pairs to download, e.g. BTC/USDT,ETH/USDT");
  }
  const start = parsed.time("start");
  if (start === undefined) throw new UsageError("Missing --start: the first bar end to download");
  const clock = new RealClock();
  const end = parsed.time("end") ?? clock.now();
  if (end <= start) {
    throw new UsageError(`--end ${formatTime(end)} is not after --start ${formatTime(start)}`);
  }
  const timeframe = parsed.string("timeframe") ?? "5m";
  parseTimeframe(timeframe);
  const knowledgeDelayMs = parsed.has("knowledge-delay")
    ? parseDuration(parsed.required("knowledge-delay"), "--knowledge-delay")
    : undefined;
  const pageLimit = parsed.number("page-limit", { integer: true, min: 1 });
  const retry = {
    maxRetries: parsed.number("max-retries", { integer: true, min: 0 }) as number,
    baseDelayMs: parseDuration(parsed.required("retry-delay"), "--retry-delay"),
    maxDelayMs: parseDuration(parsed.required("max-retry-delay"), "--max-retry-delay"),
  };
  const timeoutMs = parseDuration(parsed.required("request-timeout"), "--request-timeout");
  if (timeoutMs <= 0) throw new UsageError("--request-timeout must be positive");
  const baseUrl = parsed.string("exchange-url");
  const quiet = parsed.flag("quiet");
  const json = parsed.flag("json");
  const progress = io.stderrIsTerminal && !quiet && !json
    ? new ProgressBar(io, { unit: "pages" })
    : undefined;
  const exchange = await createCcxtExchange(id, { baseUrl, timeoutMs });
  const fetcher = new CcxtOhlcvFetcher(exchange, {
    clock,
    timeframe,
    pageLimit,
    retry,
    signal: io.signal,
    onRetry: (e: RetryEvent) => {
      if (quiet) return;
      const line = `retry ${e.retry}/${e.maxRetries} in ${e.delayMs / 1000}s: ${e.error.message}`;
      if (progress === undefined) io.stderr(line + "\n");
      else progress.above(line);
    },
  });
  let result: DumpOhlcvResult;
  try {
    result = await dumpOhlcv(fetcher, {
      dst,
      symbols,
      range: { start, end },
      clock,
      knowledgeDelayMs,
      source: baseUrl === undefined ? `ccxt ${id}` : `ccxt ${id} at ${baseUrl}`,
      onProgress: (p: DumpProgress) =>
        progress?.update(p.pages, p.expectedPages, `${p.bars} bars ${p.symbol}`),
    });
  } finally {
    progress?.finish();
  }
  for (const g of result.gaps) {
    io.stderr(
      `warning: gap ${g.fullSymbol}: ${formatTime(g.from)} .. ${
        formatTime(g.to)
      } (${g.missingBars} bars)\n`,
    );
  }
  const summary = summarizeBars(result.bars, { barMs: parseTimeframe(timeframe) });
  const skipped = result.months.filter((m) => m.status === "complete").length;
  if (json) {
    const out = {
      ...summaryToJson(dst, summary),
      source: `ccxt ${id}`,
      exchange_url: baseUrl ?? null,
      requested: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      pages: result.pages,
      requests: result.requests,
      retries: result.retries,
      fetched_bars: result.fetchedBars,
      unclosed_dropped: result.unclosed,
      partitions_written: result.partitionsWritten,
      months: result.months.map((m) => ({
        full_symbol: m.fullSymbol,
        year: m.year,
        month: m.month,
        status: m.status,
      })),
      range_gaps: result.gaps.map((g) => ({
        full_symbol: g.fullSymbol,
        from: new Date(g.from).toISOString(),
        to: new Date(g.to).toISOString(),
        missing_bars: g.missingBars,
      })),
    };
    io.stdout(JSON.stringify(out, null, 2) + "\n");
  } else if (!quiet) {
    const store = result.kind === "store"
      ? `; ${result.partitionsWritten} partition files written, ${skipped} complete month ` +
        `partitions skipped`
      : "";
    io.stdout(
      `wrote ${dst}: fetched ${result.fetchedBars} bars in ${result.pages} pages ` +
        `(${result.requests} requests, ${result.retries} retries)${store}\n` +
        formatSummary(dst, summary),
    );
  }
  return 0;
}

async function _runFreqtrade(parsed: ParsedArgs, io: CommandIo): Promise<number> {
  const source = parsed.required("source");
  const dst = parsed.required("dst");
  const start = parsed.time("start");
  const end = parsed.time("end");
  if (start !== undefined && end !== undefined && end <= start) {
    throw new UsageError(`--end ${formatTime(end)} is not after --start ${formatTime(start)}`);
  }
  const timeframe = parsed.string("timeframe");
  if (timeframe !== undefined) parseTimeframe(timeframe);
  const delayMs = parseDuration(parsed.required("knowledge-delay"), "--knowledge-delay");
  const match = /^([a-z]+):(.+)$/.exec(source);
  if (!match || match[1] !== "freqtrade") {
    throw new UsageError(
      `Unsupported --source '${source}': expected freqtrade:<dir> (a freqtrade data directory); ` +
        `to download from an exchange use --exchange <id>`,
    );
  }
  const dir = match[2] as string;
  const exchange = _exchangeOfFreqtradeDir(dir, io);
  const imported = await importFreqtradeDir(dir, {
    exchange,
    symbols: parsed.list("symbols"),
    start,
    end,
    timeframe,
    knowledgeDelayMs: delayMs,
  });
  const createdAt = new RealClock().now();
  const requested = start !== undefined && end !== undefined ? { start, end } : undefined;
  if (snapshotFormatOf(dst) !== undefined) {
    await writeSnapshot(imported.bars, dst, {
      createdAt,
      timeframe: imported.timeframe,
      symbols: imported.symbols,
      knowledgeDelayMs: delayMs,
      source: `freqtrade ${resolve(dir)}`,
      ...(requested === undefined ? {} : { requested }),
    });
  } else {
    await writeStore(imported.bars, dst, { timeframe: imported.timeframe });
  }
  const summary = summarizeBars(imported.bars, { barMs: parseTimeframe(imported.timeframe) });
  for (const g of summary.gaps) {
    io.stderr(
      `warning: gap ${g.fullSymbol}: ${formatTime(g.from)} .. ${
        formatTime(g.to)
      } (${g.missingBars} bars)\n`,
    );
  }
  if (parsed.flag("json")) io.stdout(JSON.stringify(summaryToJson(dst, summary), null, 2) + "\n");
  else if (!parsed.flag("quiet")) io.stdout(`wrote ${dst}\n` + formatSummary(dst, summary));
  return 0;
}

/**
 * freqtrade keeps an exchange's candles in `user_data/data/<exchange>`: the directory's name is
 * the exchange of the full symbols. A name that is not an exchange id falls back to binance,
 * with a warning.
 */
function _exchangeOfFreqtradeDir(dir: string, io: CommandIo): string {
  const name = basename(resolve(dir)).toLowerCase();
  if (/^[a-z][a-z0-9]*$/.test(name)) return name;
  io.stderr(
    `warning: ${dir} is not named after an exchange (freqtrade's user_data/data/<exchange>); ` +
      `naming its pairs binance::<BASE>_<QUOTE>\n`,
  );
  return "binance";
}

/** The `dump-market-data` command. */
export const dumpMarketDataCommand: Command = { spec, run };
