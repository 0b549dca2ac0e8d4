/**
 * `dagtrade dump-market-data`: bring bars into a snapshot file or a store directory. Sources:
 * `freqtrade:<dir>` (a freqtrade data directory).
 */
import { resolve } from "node:path";
import type { Command, CommandIo } from "./command.ts";
import { type CommandSpec, parseCommandArgs } from "./options.ts";
import { UsageError } from "../lib/errors/mod.ts";
import {
  formatTime,
  importFreqtradeDir,
  parseDuration,
  parseTimeframe,
  RealClock,
  snapshotFormatOf,
  summarizeBars,
  writeSnapshot,
  writeStore,
} from "../lib/sim/mod.ts";
import { formatSummary, summaryToJson } from "./inspect_data.ts";

const spec: CommandSpec = {
  name: "dump-market-data",
  summary: "Import OHLCV bars into a snapshot file or a partitioned store",
  usage: "--source freqtrade:<dir> --dst <file.parquet|file.csv|file.csv.gz|dir> [options]",
  description:
    "Reads bars from a source, converts them to the bar contract (bars stamped at their END, asset_id, " +
    "full_symbol, knowledge_timestamp = bar end + --knowledge-delay), validates them, and writes a " +
    "snapshot (with <file>.meta.json) or merges them into a store directory " +
    "(asset_id=<id>/year=<Y>/month=<M>/data.parquet). Writes are atomic. Gaps are reported on stderr " +
    "and in the meta file.",
  options: [
    {
      name: "source",
      type: "string",
      valueName: "<kind:path>",
      description:
        "Where the bars come from: freqtrade:<dir> (freqtrade's user_data/data/<exchange>)",
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
      description: "Comma-separated pairs, e.g. BTC/USDT,ETH/USDT (all found)",
    },
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Keep bars ending after this UTC time (no bound)",
    },
    {
      name: "end",
      type: "string",
      valueName: "<time>",
      description: "Keep bars ending at or before this UTC time (no bound)",
    },
    {
      name: "timeframe",
      type: "string",
      valueName: "<tf>",
      description: "Bar period to import, e.g. 5m (the only one found)",
    },
    {
      name: "exchange",
      type: "string",
      valueName: "<id>",
      default: "binance",
      description: "Exchange id of the full symbols",
    },
    {
      name: "knowledge-delay",
      type: "string",
      valueName: "<duration>",
      default: "10s",
      description: "knowledge_timestamp = bar end + this delay",
    },
    { name: "json", type: "boolean", description: "Print the summary of what was written as JSON" },
    { name: "quiet", type: "boolean", description: "Print nothing on success" },
  ],
  examples: [
    "dagtrade dump-market-data --source freqtrade:fixtures/freqtrade/binance --dst out/ft.parquet",
    "dagtrade dump-market-data --source freqtrade:user_data/data/binance --symbols BTC/USDT,ETH/USDT \\\n" +
    "      --start 2025-01-01 --end 2025-02-01 --dst out/store",
  ],
};

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
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
      `Unsupported --source '${source}': expected freqtrade:<dir> (a freqtrade data directory)`,
    );
  }
  const dir = match[2] as string;
  const imported = await importFreqtradeDir(dir, {
    exchange: parsed.required("exchange"),
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

/** The `dump-market-data` command. */
export const dumpMarketDataCommand: Command = { spec, run };
