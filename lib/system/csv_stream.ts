/**
 * `CsvStream`: an append-only CSV file of a system log (DESIGN §9 "streams are appended bar by
 * bar"), read back with its column types.
 *
 * Format: a header line, then rows; times as ISO 8601 UTC with milliseconds
 * (`2025-01-08T12:00:00.000Z`), numbers in JavaScript's shortest round-trip form (`NaN`, `inf`,
 * `-inf`, `-0` spelled out; Polars parses every one of them back to the same double), empty
 * fields for nulls, strings quoted when they hold a comma, a quote or a line break.
 *
 * Crash safety: each append is one write of whole lines (one bar's rows), so a process that
 * is killed leaves whole lines only — a bar's rows are in the file or not. Data reaches the
 * kernel at each append (it survives the process being killed); `sync()` also forces it to the
 * disk (it survives the machine crashing).
 */
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";

/** One column of a stream: its name and the Polars type it is read back as. */
export interface CsvStreamColumn {
  /** Column name (the header). */
  readonly name: string;
  /** Type of the column when read back (`Datetime` columns are written as ISO text). */
  readonly dtype: pl.DataType;
}

/** The `datetimeFormat` that makes `DataFrame.writeCSV` write times as streams do. */
export const CSV_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ";

const _encoder = new TextEncoder();

/** An open append-only CSV stream. */
export class CsvStream {
  /** The file. */
  readonly path: string;
  /** The columns, in file order. */
  readonly columns: readonly CsvStreamColumn[];
  readonly #file: Deno.FsFile;
  #closed = false;

  private constructor(path: string, columns: readonly CsvStreamColumn[], file: Deno.FsFile) {
    this.path = path;
    this.columns = columns;
    this.#file = file;
  }

  /** Creates (or truncates) the file at `path` and writes the header line. */
  static async create(path: string, columns: readonly CsvStreamColumn[]): Promise<CsvStream> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const stream = new CsvStream(path, columns, file);
    stream.append(columns.map((c) => csvText(c.name)).join(",") + "\n");
    return stream;
  }

  /**
   * Appends `text` (whole lines, each ending in `\n`) in one synchronous write: a few µs, and
   * the lines are in the file when it returns.
   */
  append(text: string): void {
    if (text === "") return;
    let bytes = _encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(this.#file.writeSync(bytes));
  }

  /**
   * Appends `text` like `append`, through an asynchronous write: slower (a round trip through
   * the runtime's I/O threads), but it lets the event loop run meanwhile — timers, signal
   * handlers, other I/O — which a loop of synchronous work never does.
   */
  async appendAsync(text: string): Promise<void> {
    if (text === "") return;
    let bytes = _encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(await this.#file.write(bytes));
  }

  /** Forces what was appended to the disk (`fdatasync`). */
  async sync(): Promise<void> {
    await this.#file.syncData();
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  /**
   * Reads the stream at `path` back into a frame with `columns`' types (time columns parsed
   * from their ISO text). Throws `DataError` naming the file when it does not parse.
   */
  static read(path: string, columns: readonly CsvStreamColumn[]): pl.DataFrame {
    const dtypes: Record<string, pl.DataType> = {};
    for (const c of columns) dtypes[c.name] = c.dtype.variant === "Datetime" ? pl.Utf8 : c.dtype;
    try {
      const raw = pl.readCSV(path, { dtypes, hasHeader: true });
      const times = columns.filter((c) => c.dtype.variant === "Datetime");
      const frame = times.length === 0 ? raw : raw.withColumns(
        ...times.map((c) =>
          pl.col(c.name).str.strptime(pl.Datetime("ms"), CSV_DATETIME_FORMAT)
            .dt.replaceTimeZone("UTC").cast(c.dtype)
        ),
      );
      return frame.select(...columns.map((c) => c.name));
    } catch (error) {
      throw new DataError(
        `Cannot read log stream ${path}: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
  }
}

/** A number as a stream field (shortest round-trip form; `NaN`, `inf`, `-inf`, `-0`). */
export function csvNumber(x: number): string {
  if (Number.isFinite(x)) return x === 0 && Object.is(x, -0) ? "-0" : String(x);
  if (Number.isNaN(x)) return "NaN";
  return x > 0 ? "inf" : "-inf";
}

/** An epoch-ms time as a stream field (`2025-01-08T12:00:00.000Z`). */
export function csvTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A string as a stream field (quoted when needed; empty reads back as null). */
export function csvText(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
