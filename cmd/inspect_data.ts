/** `dagtrade inspect-data`: load, validate and summarize a snapshot or store. */
import type { Command, CommandIo } from "./command.ts";
import { type CommandSpec, parseCommandArgs } from "./options.ts";
import {
  formatTime,
  formatTimeframe,
  parseTimeframe,
  readBars,
  readSnapshotMeta,
  summarizeBars,
} from "../lib/sim/mod.ts";
import type { BarsSummary } from "../lib/sim/mod.ts";

const spec: CommandSpec = {
  name: "inspect-data",
  summary: "Load, validate and summarize a market-data snapshot or store",
  usage: "--data <snapshot|store> [--symbols A/B,...] [--start <t>] [--end <t>] [--json]",
  description:
    "Loads the bars (a .parquet, .csv or .csv.gz snapshot with its .meta.json, or a partitioned store " +
    "directory), validates them against the bar contract, and prints pairs, range, rows, gaps and the " +
    "knowledge delay. A malformed file is refused with the file, row and rule (exit 2).",
  options: [
    {
      name: "data",
      type: "string",
      valueName: "<path>",
      description: "Snapshot file or store directory",
    },
    {
      name: "symbols",
      type: "string",
      valueName: "<list>",
      description: "Comma-separated pairs to keep (all)",
    },
    {
      name: "start",
      type: "string",
      valueName: "<time>",
      description: "Keep bars ending after this UTC time",
    },
    {
      name: "end",
      type: "string",
      valueName: "<time>",
      description: "Keep bars ending at or before this UTC time",
    },
    { name: "json", type: "boolean", description: "Print the summary as JSON" },
  ],
  examples: [
    "dagtrade inspect-data --data fixtures/market_data/binance_spot_5m.parquet",
    "dagtrade inspect-data --data out/store --symbols BTC/USDT --start 2025-01-10 --json",
  ],
};

/** Formats a summary as the table `inspect-data` prints. */
export function formatSummary(path: string, summary: BarsSummary): string {
  const tf = summary.barMs === undefined ? "?" : formatTimeframe(summary.barMs);
  const range = summary.first === undefined || summary.last === undefined
    ? "(no bars)"
    : `${formatTime(summary.first)} → ${formatTime(summary.last)} (bar ends)`;
  const delay = summary.knowledgeDelayMs === undefined
    ? "-"
    : summary.knowledgeDelayMs.min === summary.knowledgeDelayMs.max
    ? `${summary.knowledgeDelayMs.min / 1000}s`
    : `${summary.knowledgeDelayMs.min / 1000}s..${summary.knowledgeDelayMs.max / 1000}s`;
  const lines = [
    `data:            ${path}`,
    `timeframe:       ${tf}`,
    `range:           ${range}`,
    `rows:            ${summary.rows}`,
    `pairs:           ${summary.assets.length}`,
    `knowledge delay: ${delay}`,
    `gaps:            ${summary.gaps.length} (${
      summary.gaps.reduce((s, g) => s + g.missingBars, 0)
    } missing bars)`,
    "",
  ];
  const w = Math.max(11, ...summary.assets.map((a) => a.fullSymbol.length)) + 2;
  lines.push(
    `${"full_symbol".padEnd(w)}${"asset_id".padEnd(12)}${
      "rows".padStart(8)
    }  first bar end      last bar end       missing`,
  );
  for (const a of summary.assets) {
    lines.push(
      `${a.fullSymbol.padEnd(w)}${String(a.assetId).padEnd(12)}${String(a.rows).padStart(8)}  ` +
        `${formatTime(a.first).padEnd(19)}${formatTime(a.last).padEnd(19)}${a.missingBars}`,
    );
  }
  for (const g of summary.gaps.slice(0, 20)) {
    lines.push(
      `gap ${g.fullSymbol}: ${formatTime(g.from)} .. ${formatTime(g.to)} (${g.missingBars} bars)`,
    );
  }
  if (summary.gaps.length > 20) lines.push(`... and ${summary.gaps.length - 20} more gaps`);
  return lines.join("\n") + "\n";
}

/** The summary as plain JSON (times as ISO strings). */
export function summaryToJson(path: string, summary: BarsSummary): Record<string, unknown> {
  const iso = (t: number | undefined) => t === undefined ? null : new Date(t).toISOString();
  return {
    data: path,
    timeframe: summary.barMs === undefined ? null : formatTimeframe(summary.barMs),
    rows: summary.rows,
    first: iso(summary.first),
    last: iso(summary.last),
    knowledge_delay_ms: summary.knowledgeDelayMs ?? null,
    pairs: summary.assets.map((a) => ({
      full_symbol: a.fullSymbol,
      asset_id: a.assetId,
      rows: a.rows,
      first: iso(a.first),
      last: iso(a.last),
      missing_bars: a.missingBars,
    })),
    gaps: summary.gaps.map((g) => ({
      full_symbol: g.fullSymbol,
      asset_id: g.assetId,
      from: iso(g.from),
      to: iso(g.to),
      missing_bars: g.missingBars,
    })),
  };
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(spec, args);
  const path = parsed.required("data");
  const bars = await readBars(path, {
    start: parsed.time("start"),
    end: parsed.time("end"),
    symbols: parsed.list("symbols"),
  });
  const info = await Deno.stat(path);
  const meta = info.isFile ? await readSnapshotMeta(path) : undefined;
  const barMs = meta === undefined ? undefined : parseTimeframe(meta.timeframe);
  const summary = summarizeBars(bars, barMs === undefined ? {} : { barMs });
  if (parsed.flag("json")) io.stdout(JSON.stringify(summaryToJson(path, summary), null, 2) + "\n");
  else io.stdout(formatSummary(path, summary));
  return 0;
}

/** The `inspect-data` command. */
export const inspectDataCommand: Command = { spec, run };
