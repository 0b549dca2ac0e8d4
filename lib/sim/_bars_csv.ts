/**
 * Private CSV codec of bar frames: times as ISO-8601 UTC text (`2025-01-03T10:05:00.000Z`),
 * read back into the bar contract's types. Floats are written with Polars' shortest
 * round-trip form, so a write/read round trip is exact.
 */
import pl from "nodejs-polars";
import { TIME_COLUMNS } from "./bar_schema.ts";
import { _cell, _messageOf } from "./_bars_frame.ts";
import { DataError } from "../errors/mod.ts";

const _ISO_OUT = "%Y-%m-%dT%H:%M:%S%.3fZ";
/** Accepted time forms, tried in order: with a zone, then zone-less (read as UTC). */
const _ISO_IN = ["%+", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%MZ"];

/** CSV bytes of a bar frame, times as ISO-8601 UTC. */
export function _encodeBarsCsv(df: pl.DataFrame): Uint8Array {
  return df.writeCSV({ datetimeFormat: _ISO_OUT });
}

/**
 * Parses CSV bytes into a bar frame: known columns are converted to the contract's types;
 * a cell that does not convert throws `DataError` naming the row and the column.
 */
export function _decodeBarsCsv(
  bytes: Uint8Array,
  where: { path: string; context: string },
): pl.DataFrame {
  const { path, context } = where;
  let raw: pl.DataFrame;
  try {
    raw = pl.readCSV(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      inferSchemaLength: 0,
      hasHeader: true,
    });
  } catch (error) {
    throw new DataError(`${context}: not a readable CSV file (${_messageOf(error)})`, {
      cause: error,
    });
  }
  const conversions: [string, string][] = [];
  const converted: pl.Series[] = [];
  for (const c of raw.columns) {
    if ((TIME_COLUMNS as readonly string[]).includes(c)) {
      conversions.push([c, "is not an ISO-8601 UTC time"]);
      converted.push(_parseTimes(raw, c));
    } else if (c === "asset_id" || _FLOAT_COLUMNS.includes(c)) {
      const dtype = c === "asset_id" ? pl.Int64 : pl.Float64;
      conversions.push([c, c === "asset_id" ? "is not an integer" : "is not a number"]);
      converted.push(raw.getColumn(c).cast(dtype, false));
    }
  }
  if (conversions.length === 0) return raw;
  const parsed = pl.DataFrame(converted);
  // A cell that was set but did not convert is an error; report the first such row.
  const check = raw.select(...conversions.map(([c]) => pl.col(c).alias(`_raw_${c}`)))
    .hstack(parsed)
    .withRowIndex("_row");
  const failed = (c: string) => pl.col(`_raw_${c}`).isNotNull().and(pl.col(c).isNull());
  const bad = check.lazy()
    .filter(conversions.map(([c]) => failed(c)).reduce((a, b) => a.or(b)))
    .head(1)
    .withColumns(...conversions.map(([c]) => failed(c).alias(`_bad_${c}`)))
    .collectSync();
  if (bad.height > 0) {
    const index = Number(_cell(bad, "_row"));
    const row = raw.row(index) as (string | null)[];
    const at = (name: string) => row[raw.columns.indexOf(name)] ?? undefined;
    const [column, rule] = conversions.find(([c]) => _cell(bad, `_bad_${c}`) === true) ??
      ["?", "is invalid"];
    throw new DataError(
      `${context}: row ${at("timestamp") ?? "(no timestamp)"} ${
        at("full_symbol") ?? "(no full_symbol)"
      } (line ${index + 2} of ${path}): ${column} ${rule} ('${at(column)}')`,
    );
  }
  return raw.withColumns(...converted);
}

const _FLOAT_COLUMNS = ["open", "high", "low", "close", "volume"];

/**
 * Parses one time column: the zoned ISO form first (fast: what `_encodeBarsCsv` writes);
 * the zone-less forms only when some cells did not parse (slow; foreign files).
 */
function _parseTimes(raw: pl.DataFrame, column: string): pl.Series {
  const parse = (format: string) =>
    pl.col(column).str.strptime(pl.Datetime("ms"), format).cast(pl.Datetime("ms", "UTC"));
  const [first, ...rest] = _ISO_IN as [string, ...string[]];
  const primary = raw.select(parse(first).alias(column)).getColumn(column);
  if (primary.nullCount() === raw.getColumn(column).nullCount()) return primary;
  return raw.select(
    [first, ...rest].map(parse).reduce((a, b) => a.fillNull(b)).alias(column),
  ).getColumn(column);
}
