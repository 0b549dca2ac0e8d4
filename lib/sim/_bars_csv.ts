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
  const times = TIME_COLUMNS.filter((c) => df.columns.includes(c));
  const out = df.withColumns(...times.map((c) => pl.col(c).dt.strftime(_ISO_OUT).alias(c)));
  return out.writeCSV();
}

/**
 * Parses CSV bytes into a bar frame: known columns are converted to the contract's types;
 * a cell that does not convert throws `DataError` naming the row and the column.
 */
export function _decodeBarsCsv(bytes: Uint8Array, path: string, context: string): pl.DataFrame {
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
  const conversions: [string, pl.Expr, string][] = [];
  for (const c of raw.columns) {
    if ((TIME_COLUMNS as readonly string[]).includes(c)) {
      const parsed = _ISO_IN
        .map((f) => pl.col(c).str.strptime(pl.Datetime("ms"), f).cast(pl.Datetime("ms", "UTC")))
        .reduce((a, b) => a.fillNull(b));
      conversions.push([c, parsed, "is not an ISO-8601 UTC time"]);
    } else if (c === "asset_id") {
      conversions.push([c, pl.col(c).cast(pl.Int64, false), "is not an integer"]);
    } else if (["open", "high", "low", "close", "volume"].includes(c)) {
      conversions.push([c, pl.col(c).cast(pl.Float64, false), "is not a number"]);
    }
  }
  const converted = raw.withColumns(...conversions.map(([c, e]) => e.alias(c)));
  if (conversions.length > 0) {
    const check = raw.withRowIndex("_row").lazy().select(
      pl.col("_row"),
      ...conversions.map(([c, e]) => pl.col(c).isNotNull().and(e.isNull()).alias(`_bad_${c}`)),
    );
    const bad = check
      .filter(conversions.map(([c]) => pl.col(`_bad_${c}`)).reduce((a, b) => a.or(b)))
      .head(1)
      .collectSync();
    if (bad.height > 0) {
      const index = Number(_cell(bad, "_row"));
      const row = raw.row(index) as (string | null)[];
      const at = (name: string) => row[raw.columns.indexOf(name)] ?? undefined;
      const which = conversions.find(([c]) => _cell(bad, `_bad_${c}`) === true);
      const [column, , rule] = which ?? ["?", pl.lit(0), "is invalid"];
      throw new DataError(
        `${context}: row ${at("timestamp") ?? "(no timestamp)"} ${
          at("full_symbol") ?? "(no full_symbol)"
        } (line ${index + 2} of ${path}): ${column} ${rule} ('${at(column)}')`,
      );
    }
  }
  return converted;
}
