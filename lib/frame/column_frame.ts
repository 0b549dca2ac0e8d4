/**
 * `ColumnFrame`: an immutable long-format frame held in JS arrays — Float64 numbers (NaN =
 * null), epoch-ms times, safe integers and strings — for computations where Polars' per-call
 * overhead (≈ 15–40 µs for each getColumn, cast or new frame) dominates: the node library
 * computes on it, and the production loop passes one bar's few rows through the DAG, the OMS
 * and the logs without a Polars call. `fromPolars` / `toPolars` convert at the boundaries.
 *
 * Null ⇄ NaN: a numeric column has one missing value, NaN; `toPolars` writes it as null (the
 * node library's convention: a Polars NaN read in comes back as null).
 */
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";

/** A numeric column: `f64` (Float64), `i64` (Int64, safe integers), `time` (Datetime ms UTC, epoch ms). NaN = null. */
export interface NumericColumn {
  /** The column's type. */
  readonly kind: "f64" | "i64" | "time";
  /** The values; NaN for null. Never modified once in a frame. */
  readonly values: Float64Array;
}

/**
 * A string column, dictionary-encoded (bar frames repeat a few symbols over millions of
 * rows): row `i` holds `dictionary[codes[i]]`, or null where the code is −1.
 */
export interface StringColumn {
  /** `str`. */
  readonly kind: "str";
  /** Per row, an index into `dictionary`, or −1 for null. Never modified once in a frame. */
  readonly values: Int32Array;
  /** The distinct strings. */
  readonly dictionary: readonly string[];
}

/** A string column of `values` (dictionary-encoded). */
export function strColumn(values: readonly (string | null)[]): StringColumn {
  const codes = new Int32Array(values.length);
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      codes[i] = -1;
      continue;
    }
    let k = index.get(v);
    if (k === undefined) {
      k = dictionary.length;
      dictionary.push(v);
      index.set(v, k);
    }
    codes[i] = k;
  }
  return { kind: "str", values: codes, dictionary };
}

/** Row `i` of a string column (`null` for null). */
export function stringAt(column: StringColumn, i: number): string | null {
  const k = column.values[i] as number;
  return k < 0 ? null : column.dictionary[k] ?? null;
}

/** One column of a `ColumnFrame`. */
export type Column = NumericColumn | StringColumn;

/** A Float64 column of `values` (NaN = null). */
export function f64Column(values: Float64Array): NumericColumn {
  return { kind: "f64", values };
}

/** A Datetime(ms, UTC) column of epoch-ms `values` (NaN = null). */
export function timeColumn(values: Float64Array): NumericColumn {
  return { kind: "time", values };
}

/** An Int64 column of safe-integer `values` (NaN = null). */
export function i64Column(values: Float64Array): NumericColumn {
  return { kind: "i64", values };
}

const _TIME = pl.Datetime("ms", "UTC");
const _LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An immutable frame of equally long JS columns, in a fixed column order. */
export class ColumnFrame {
  /** Number of rows. */
  readonly height: number;
  /** Column names in order. */
  readonly columns: readonly string[];
  readonly #data: ReadonlyMap<string, Column>;
  readonly #keyCache: Map<string, unknown>;

  /**
   * Creates a frame from `[name, column]` pairs (names unique, columns equally long).
   * `keyCache`: see `keyCache()` (the caller vouches that the keys are the same). Default: new.
   */
  constructor(
    columns: Iterable<readonly [string, Column]>,
    options: { keyCache?: Map<string, unknown> } = {},
  ) {
    const data = new Map<string, Column>();
    let height: number | undefined;
    for (const [name, column] of columns) {
      if (data.has(name)) throw new DataError(`ColumnFrame: duplicate column '${name}'`);
      const n = column instanceof _PolarsColumn ? column.length : column.values.length;
      if (height !== undefined && n !== height) {
        throw new DataError(
          `ColumnFrame: column '${name}' has ${n} rows, the frame's other columns ${height}`,
        );
      }
      height = n;
      data.set(name, column);
    }
    this.height = height ?? 0;
    this.columns = [...data.keys()];
    this.#data = data;
    this.#keyCache = options.keyCache ?? new Map();
  }

  /** Whether the frame has column `name`. */
  has(name: string): boolean {
    return this.#data.has(name);
  }

  /** Column `name`; throws `DataError` listing the columns when there is none. */
  column(name: string): Column {
    const c = this.#data.get(name);
    if (c === undefined) {
      throw new DataError(
        `ColumnFrame: no column '${name}' (columns: ${this.columns.join(", ")})`,
      );
    }
    return c;
  }

  /** The values of numeric column `name` (NaN = null); throws for a string or missing column. */
  values(name: string): Float64Array {
    const c = this.column(name);
    if (c.kind === "str") throw new DataError(`ColumnFrame: column '${name}' holds strings`);
    return c.values;
  }

  /**
   * A cache for values derived from the rows' keys (`timestamp`, `asset_id`) — e.g. the
   * per-asset row layout — shared by the frames `with` derives without writing a key.
   */
  keyCache(): Map<string, unknown> {
    return this.#keyCache;
  }

  /**
   * A frame with `columns` added (at the end, in order) or replaced (in place); the other
   * columns are shared. Shares `keyCache()` unless a key column is written.
   */
  with(columns: Iterable<readonly [string, Column]>): ColumnFrame {
    const next = new Map(this.#data);
    let keys = false;
    for (const [name, column] of columns) {
      const n = column instanceof _PolarsColumn ? column.length : column.values.length;
      if (n !== this.height) {
        throw new DataError(
          `ColumnFrame: column '${name}' has ${n} rows, the frame ${this.height}`,
        );
      }
      if (name === "timestamp" || name === "asset_id") keys = true;
      next.set(name, column);
    }
    return keys ? new ColumnFrame(next) : new ColumnFrame(next, { keyCache: this.#keyCache });
  }

  /** The frame with only `names`, in that order (same rows: shares `keyCache()` when it keeps both keys). */
  select(names: readonly string[]): ColumnFrame {
    const keep = names.includes("timestamp") && names.includes("asset_id");
    const cols = names.map((n) => [n, this.column(n)] as const);
    return keep ? new ColumnFrame(cols, { keyCache: this.#keyCache }) : new ColumnFrame(cols);
  }

  /** Rows `start .. start + length − 1` (typed arrays are views, not copies). */
  slice(start: number, length: number): ColumnFrame {
    const a = Math.max(0, Math.min(start, this.height));
    const b = Math.max(a, Math.min(a + length, this.height));
    if (a === 0 && b === this.height) return this;
    return new ColumnFrame(
      [...this.#data].map(([name, c]) => {
        if (c instanceof _PolarsColumn && !c.materialized) {
          return [name, new _PolarsColumn(c.series.slice(a, b - a), c.kind, b - a)] as const;
        }
        const sliced: Column = c.kind === "str"
          ? { kind: "str", values: c.values.subarray(a, b), dictionary: c.dictionary }
          : { kind: c.kind, values: c.values.subarray(a, b) };
        return [name, sliced] as const;
      }),
    );
  }

  /**
   * The frame with every column read into JS now (a frame from `fromPolars` reads a column
   * when it is first asked for; slices of an eager frame make no Polars call).
   */
  materialize(): ColumnFrame {
    return new ColumnFrame(
      [...this.#data].map(([name, c]) => {
        if (!(c instanceof _PolarsColumn)) return [name, c] as const;
        const eager: Column = c.kind === "str"
          ? { kind: "str", values: c.values, dictionary: c.dictionary }
          : { kind: c.kind, values: c.values };
        return [name, eager] as const;
      }),
      { keyCache: this.#keyCache },
    );
  }

  /** The rows at `rows` (indices into this frame), in that order. */
  gather(rows: ArrayLike<number>): ColumnFrame {
    const n = rows.length;
    return new ColumnFrame(
      [...this.#data].map(([name, c]) => {
        if (c.kind === "str") {
          const out = new Int32Array(n);
          for (let i = 0; i < n; i++) out[i] = c.values[rows[i] as number] as number;
          return [name, { kind: "str", values: out, dictionary: c.dictionary }] as const;
        }
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = c.values[rows[i] as number] as number;
        return [name, { kind: c.kind, values: out }] as const;
      }),
    );
  }

  /** The rows one after another (same columns and kinds in every frame, else `DataError`). */
  static concat(frames: readonly ColumnFrame[]): ColumnFrame {
    const [first] = frames;
    if (first === undefined) return new ColumnFrame([]);
    if (frames.length === 1) return first;
    const n = frames.reduce((s, f) => s + f.height, 0);
    return new ColumnFrame(first.columns.map((name) => {
      const kind = first.column(name).kind;
      for (const f of frames) {
        if (
          !f.has(name) || f.column(name).kind !== kind || f.columns.length !== first.columns.length
        ) {
          throw new DataError(
            `ColumnFrame.concat: frames differ in columns (${first.columns.join(", ")} vs ${
              f.columns.join(", ")
            })`,
          );
        }
      }
      if (kind === "str") {
        const values: (string | null)[] = [];
        for (const f of frames) {
          const c = f.column(name) as StringColumn;
          for (let i = 0; i < f.height; i++) values.push(stringAt(c, i));
        }
        return [name, strColumn(values)] as const;
      }
      const out = new Float64Array(n);
      let at = 0;
      for (const f of frames) {
        out.set(f.values(name), at);
        at += f.height;
      }
      return [name, { kind, values: out }] as const;
    }));
  }

  /**
   * Reads a Polars frame: Float64/Float32 → `f64`, integer types → `i64`, Datetime → `time`
   * (as ms UTC), String → `str`; nulls become NaN (`null` for strings). Other types throw
   * `DataError` naming the column. Columns are read into JS when first asked for, and a
   * column never read or replaced goes back to Polars as the very series it came from.
   */
  static fromPolars(df: pl.DataFrame): ColumnFrame {
    const names = df.columns;
    const types = df.dtypes;
    return new ColumnFrame(names.map((name, i) => {
      const dtype = types[i] as pl.DataType;
      const series = df.getColumn(name);
      return [name, new _PolarsColumn(series, _kindOf(name, dtype), df.height)] as const;
    }));
  }

  /** The frame as Polars: `f64` → Float64, `i64` → Int64, `time` → Datetime(ms, UTC), `str` → String; NaN → null. */
  toPolars(): pl.DataFrame {
    return pl.DataFrame(
      [...this.#data].map(([name, c]) =>
        c instanceof _PolarsColumn
          ? (c.series.name === name ? c.series : c.series.alias(name))
          : _series(name, c)
      ),
    );
  }

  /** The frame's rows as objects (times as epoch ms, nulls as `null`), for tests and messages. */
  toRecords(): Record<string, number | string | null>[] {
    const out: Record<string, number | string | null>[] = [];
    for (let i = 0; i < this.height; i++) {
      const row: Record<string, number | string | null> = {};
      for (const [name, c] of this.#data) {
        if (c.kind === "str") {
          row[name] = stringAt(c, i);
          continue;
        }
        const v = c.values[i] as number;
        row[name] = Number.isNaN(v) ? null : v;
      }
      out.push(row);
    }
    return out;
  }
}

/**
 * A column of a Polars frame, read into JS (`values`, `dictionary`) on first access; until
 * then `toPolars` and `slice` use the series itself.
 */
class _PolarsColumn {
  readonly series: pl.Series;
  readonly kind: Column["kind"];
  readonly length: number;
  #column: Column | undefined;

  constructor(series: pl.Series, kind: Column["kind"], length: number) {
    this.series = series;
    this.kind = kind;
    this.length = length;
  }

  get materialized(): boolean {
    return this.#column !== undefined;
  }

  get values(): Float64Array & Int32Array {
    this.#column ??= _readColumn(this.series, this.series.name, this.series.dtype);
    return this.#column.values as Float64Array & Int32Array;
  }

  get dictionary(): readonly string[] {
    this.#column ??= _readColumn(this.series, this.series.name, this.series.dtype);
    return this.#column.kind === "str" ? this.#column.dictionary : [];
  }
}

function _kindOf(name: string, dtype: pl.DataType): Column["kind"] {
  const v = dtype.variant;
  if (v === "String" || v === "Utf8" || v === "Categorical") return "str";
  if (v === "Float64" || v === "Float32") return "f64";
  if (v === "Datetime") return "time";
  if (
    v === "Int64" || v === "Int32" || v === "Int16" || v === "Int8" || v === "UInt64" ||
    v === "UInt32" || v === "UInt16" || v === "UInt8"
  ) return "i64";
  throw new DataError(
    `Column '${name}' has type ${v}, which the node library cannot read; cast it to Float64, ` +
      `Int64, Datetime or String`,
  );
}

function _readColumn(series: pl.Series, name: string, dtype: pl.DataType): Column {
  const df = pl.DataFrame([series.alias(name)]);
  const v = dtype.variant;
  if (v === "String" || v === "Utf8" || v === "Categorical") {
    return _readStrings(df.getColumn(name));
  }
  if (v === "Float64" || v === "Float32") {
    const s = df.getColumn(name);
    if (v === "Float64" && s.nullCount() === 0) {
      return { kind: "f64", values: s.toTypedArray() as Float64Array };
    }
    return { kind: "f64", values: _floats(df, pl.col(name).cast(pl.Float64), name) };
  }
  if (
    v === "Int64" || v === "Int32" || v === "Int16" || v === "Int8" || v === "UInt64" ||
    v === "UInt32" || v === "UInt16" || v === "UInt8"
  ) {
    const s = df.getColumn(name);
    const values = v === "Int64" && s.nullCount() === 0
      ? int64Numbers(s.toTypedArray() as BigInt64Array)
      : _floats(df, pl.col(name).cast(pl.Float64), name);
    for (let i = 0; i < values.length; i++) {
      if (!(Math.abs(values[i] as number) <= Number.MAX_SAFE_INTEGER) && values[i] === values[i]) {
        throw new DataError(
          `Column '${name}' holds the integer ${values[i]}, beyond ±2^53: it cannot be read ` +
            `exactly; use smaller ids`,
        );
      }
    }
    return { kind: "i64", values };
  }
  if (v === "Datetime") {
    const s = df.getColumn(name);
    if (dtype.equals(_TIME) && s.nullCount() === 0) {
      return {
        kind: "time",
        values: int64Numbers(s.cast(pl.Int64).toTypedArray() as BigInt64Array),
      };
    }
    const e = pl.col(name).cast(_TIME).cast(pl.Int64).cast(pl.Float64);
    return { kind: "time", values: _floats(df, e, name) };
  }
  throw new DataError(
    `Column '${name}' has type ${v}, which the node library cannot read; cast it to Float64, ` +
      `Int64, Datetime or String`,
  );
}

/** Frames up to this many rows move strings as JS arrays; larger ones as categorical codes. */
const _SMALL_ROWS = 4096;

function _readStrings(s: pl.Series): StringColumn {
  const n = s.length;
  if (n <= _SMALL_ROWS) return strColumn(s.cast(pl.Utf8).toArray() as (string | null)[]);
  // Large: the categorical's physical codes (one native pass), re-numbered densely here.
  let phys = s.cast(pl.Categorical).cast(pl.UInt32);
  const isNull = phys.nullCount() > 0
    ? phys.isNull().cast(pl.UInt8).toTypedArray() as Uint8Array
    : undefined;
  if (isNull !== undefined) phys = phys.fillNull("zero");
  const raw = phys.toTypedArray() as Uint32Array;
  const codes = new Int32Array(n);
  const dense = new Map<number, number>();
  const firstRows: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = raw[i] as number;
    if (isNull !== undefined && isNull[i] === 1) {
      codes[i] = -1;
      continue;
    }
    let k = dense.get(r);
    if (k === undefined) {
      k = firstRows.length;
      dense.set(r, k);
      firstRows.push(i);
    }
    codes[i] = k;
  }
  const dictionary = s.cast(pl.Utf8).gather(firstRows).toArray() as string[];
  return { kind: "str", values: codes, dictionary };
}

function _floats(df: pl.DataFrame, e: pl.Expr, name: string): Float64Array {
  return df.select(e.fillNull(Number.NaN).alias(name)).getColumn(name)
    .toTypedArray() as Float64Array;
}

/**
 * Int64 values (read with `toTypedArray`) as numbers, each rounded exactly like Polars' cast
 * to Float64 (hi·2^32 is exact and lo < 2^32, so the sum's one rounding is the cast's).
 */
export function int64Numbers(big: BigInt64Array): Float64Array {
  const n = big.length;
  const out = new Float64Array(n);
  if (_LITTLE_ENDIAN) {
    const w = new Int32Array(big.buffer, big.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) {
      out[i] = (w[2 * i + 1] as number) * 4294967296 + ((w[2 * i] as number) >>> 0);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(big[i] as bigint);
  }
  return out;
}

/** Largest frame for which leading nulls are written by a shift rather than a scatter. */
const _SHIFT_ROWS = 65_536;

/** A Polars series of a column (NaN → null). */
function _series(name: string, c: Column): pl.Series {
  if (c.kind === "str") {
    if (c.values.length <= _SMALL_ROWS || c.dictionary.length === 0) {
      return pl.Series(name, Array.from(c.values, (k) => k < 0 ? null : c.dictionary[k]), pl.Utf8);
    }
    const codes = pl.DataFrame([pl.Series("c", c.values)]);
    const old = c.dictionary.map((_, k) => k);
    return codes.select(
      pl.col("c").replaceStrict(old, [...c.dictionary], pl.lit(null), pl.Utf8).alias(name),
    ).getColumn(name);
  }
  const v = c.values;
  let nulls = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) nulls++;
  let s: pl.Series;
  if (nulls === 0) {
    s = pl.Series(name, v);
  } else if (nulls === v.length) {
    s = pl.Series(name, new Float64Array(v.length)).shift(v.length);
  } else {
    let lead = 0;
    while (lead < v.length && v[lead] !== v[lead]) lead++;
    if (lead === nulls && v.length <= _SHIFT_ROWS) {
      const up = new Float64Array(v.length);
      up.set(v.subarray(lead));
      s = pl.Series(name, up).shift(lead);
    } else {
      const rows = new Uint32Array(nulls);
      for (let i = 0, k = 0; i < v.length; i++) if (v[i] !== v[i]) rows[k++] = i;
      s = pl.Series(name, v);
      s.scatter(pl.Series("", rows), null);
    }
  }
  if (c.kind === "i64") return s.cast(pl.Int64);
  if (c.kind === "time") return s.cast(pl.Int64).cast(_TIME);
  return s;
}
