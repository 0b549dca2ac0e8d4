import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import {
  CSV_DATETIME_FORMAT,
  csvNumber,
  CsvStream,
  type CsvStreamColumn,
  csvText,
  csvTime,
} from "./csv_stream.ts";

const COLUMNS: CsvStreamColumn[] = [
  { name: "timestamp", dtype: pl.Datetime("ms", "UTC") },
  { name: "asset_id", dtype: pl.Int64 },
  { name: "name", dtype: pl.Utf8 },
  { name: "x", dtype: pl.Float64 },
];

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CsvStream round-trips times, ids, strings and every double exactly", async () => {
  await inTemp(async (dir) => {
    const path = join(dir, "s.csv");
    const stream = await CsvStream.create(path, COLUMNS);
    const xs = [
      0.1 + 0.2,
      1 / 3,
      -0,
      0,
      5e-324,
      1.7976931348623157e308,
      NaN,
      Infinity,
      -Infinity,
      -123456.789e-300,
      96707.77,
    ];
    const names = [
      "binance::BTC_USDT",
      'a,"b"',
      "line\nbreak",
      "plain",
      "x",
      "y",
      "z",
      "",
      "c",
      "d",
      "e",
    ];
    const t0 = Date.UTC(2025, 0, 8, 12, 0, 0, 7);
    let text = "";
    xs.forEach((x, i) => {
      text += `${csvTime(t0 + i)},${1467591036 + i},${csvText(names[i] as string)},${
        csvNumber(x)
      }\n`;
    });
    await stream.append(text);
    await stream.sync();
    stream.close();
    const df = CsvStream.read(path, COLUMNS);
    assert.deepEqual(df.columns, ["timestamp", "asset_id", "name", "x"]);
    assert.ok(df.getColumn("timestamp").dtype.equals(pl.Datetime("ms", "UTC")));
    const ts = df.getColumn("timestamp").cast(pl.Float64).toArray() as number[];
    assert.deepEqual(ts, xs.map((_, i) => t0 + i));
    const back = df.getColumn("x").toArray() as number[];
    xs.forEach((x, i) => assert.ok(Object.is(back[i], x), `${x} read back as ${back[i]}`));
    const got = df.getColumn("name").toArray() as (string | null)[];
    assert.deepEqual(got, names.map((n) => n === "" ? null : n));
  });
});

Deno.test("CsvStream reads Polars-written rows (the frames' writer) like its own", async () => {
  await inTemp(async (dir) => {
    const path = join(dir, "f.csv");
    const stream = await CsvStream.create(path, COLUMNS);
    const frame = pl.DataFrame([
      pl.Series("timestamp", [Date.UTC(2025, 0, 8), Date.UTC(2025, 0, 8, 0, 5)]).cast(pl.Int64)
        .cast(pl.Datetime("ms", "UTC")),
      pl.Series("asset_id", [1, 2]).cast(pl.Int64),
      pl.Series("name", ["a,b", "c"]),
      pl.Series("x", [0.1 + 0.2, null], pl.Float64),
    ]);
    await stream.append(
      frame.writeCSV({ includeHeader: false, datetimeFormat: CSV_DATETIME_FORMAT }).toString(),
    );
    stream.close();
    assert.ok(CsvStream.read(path, COLUMNS).frameEqual(frame, true));
  });
});

Deno.test("CsvStream.read() of a header-only stream is an empty typed frame; a bad file is a DataError", async () => {
  await inTemp(async (dir) => {
    const path = join(dir, "e.csv");
    (await CsvStream.create(path, COLUMNS)).close();
    const df = CsvStream.read(path, COLUMNS);
    assert.equal(df.height, 0);
    assert.ok(df.getColumn("asset_id").dtype.equals(pl.Int64));
    await Deno.writeTextFile(path, "timestamp,asset_id,name,x\nnot a time,zz,a,b\n");
    assert.throws(() => CsvStream.read(path, COLUMNS), DataError);
  });
});

Deno.test("csvNumber() spells the doubles JavaScript's String() would lose or Polars would not read", () => {
  assert.equal(csvNumber(-0), "-0");
  assert.equal(csvNumber(NaN), "NaN");
  assert.equal(csvNumber(Infinity), "inf");
  assert.equal(csvNumber(-Infinity), "-inf");
  assert.equal(csvNumber(0.1), "0.1");
  assert.equal(csvText("a,b"), '"a,b"');
  assert.equal(csvTime(Date.UTC(2025, 0, 8)), "2025-01-08T00:00:00.000Z");
});
