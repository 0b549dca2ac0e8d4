import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { inferBarMs, validateBars } from "./validate_bars.ts";
import { _makeBars, _setCell } from "./_test_bars.ts";
import { DataError } from "../errors/mod.ts";

const FILE = "fixtures/x.parquet";
const BTC = "binance::BTC_USDT";
const ETH = "binance::ETH_USDT";
// _makeBars sorts by asset id: ETH (1464553467) is row 0, BTC (1467591036) row 1 of each bar.
const T0 = "2025-01-03T10:05Z";
const T1 = "2025-01-03T10:10Z";

function assertRejects(df: pl.DataFrame, message: string, options: { barMs?: number } = {}): void {
  assert.throws(
    () => validateBars(df, { file: FILE, ...options }),
    (e: unknown) => {
      assert.ok(e instanceof DataError, `expected DataError, got ${e}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

Deno.test("validateBars() accepts a clean frame, sorted or not", () => {
  const df = _makeBars({ bars: 50 });
  validateBars(df, { file: FILE, barMs: 300_000 });
  validateBars(df, { file: FILE });
  validateBars(df.sort("close", true), { file: FILE });
  validateBars(df.head(0), { file: FILE });
  validateBars(_makeBars({ delayMs: 1500 }), { file: FILE });
  // Whole-hour and whole-day grids (integer modulo: a float one misfires on these).
  validateBars(_makeBars({ barMs: 3_600_000, firstEnd: Date.UTC(2025, 0, 3, 11), bars: 48 }), {
    file: FILE,
  });
  validateBars(_makeBars({ barMs: 86_400_000, firstEnd: Date.UTC(2025, 0, 4), bars: 400 }), {
    file: FILE,
    barMs: 86_400_000,
  });
});

Deno.test("validateBars() names a missing column and its expected type", () => {
  assertRejects(
    _makeBars().drop("high"),
    `Cannot load snapshot ${FILE}: missing column high (expected Float64); columns found: ` +
      "timestamp, start_timestamp, asset_id, full_symbol, open, low, close, volume, knowledge_timestamp",
  );
});

Deno.test("validateBars() names a column of the wrong type and the expected type", () => {
  assertRejects(
    _makeBars().withColumns(pl.col("volume").cast(pl.String)),
    `Cannot load snapshot ${FILE}: column volume has type String, expected Float64`,
  );
  assertRejects(
    _makeBars().withColumns(pl.col("timestamp").cast(pl.Int64)),
    `Cannot load snapshot ${FILE}: column timestamp has type Int64, expected Datetime(ms,UTC)`,
  );
  assertRejects(
    _makeBars().withColumns(pl.col("timestamp").cast(pl.Datetime("ns", "UTC"))),
    `Cannot load snapshot ${FILE}: column timestamp has type Datetime(ns,UTC), expected Datetime(ms,UTC)`,
  );
});

Deno.test("validateBars() rejects NaN, infinite, negative and null values", () => {
  const df = _makeBars();
  assertRejects(
    _setCell(df, { row: 1, column: "close", value: NaN }),
    `Cannot load snapshot ${FILE}: row ${T0} ${BTC}: NaN in close`,
  );
  assertRejects(
    _setCell(df, { row: 2, column: "low", value: -1 }),
    `Cannot load snapshot ${FILE}: row ${T1} ${ETH}: negative price in low`,
  );
  assertRejects(
    _setCell(df, { row: 3, column: "volume", value: Infinity }),
    `Cannot load snapshot ${FILE}: row ${T1} ${BTC}: infinite value in volume`,
  );
  assertRejects(
    _setCell(df, { row: 3, column: "volume", value: -0.5 }),
    `Cannot load snapshot ${FILE}: row ${T1} ${BTC}: negative volume`,
  );
  assertRejects(
    _setCell(df, { row: 0, column: "open", value: null }),
    `Cannot load snapshot ${FILE}: row ${T0} ${ETH}: null in open`,
  );
  assertRejects(
    _setCell(df, { row: 0, column: "timestamp", value: null }),
    `Cannot load snapshot ${FILE}: row (null timestamp) ${ETH}: null in timestamp`,
  );
});

Deno.test("validateBars() checks high and low against each other and open/close", () => {
  const df = _makeBars();
  // row 1: BTC at T0, open 110, close 110.25, high 111.25, low 109
  assertRejects(
    _setCell(df, { row: 1, column: "high", value: 98 }),
    `Cannot load snapshot ${FILE}: row ${T0} ${BTC}: high < low`,
  );
  assertRejects(
    _setCell(df, { row: 1, column: "high", value: 110.1 }),
    `Cannot load snapshot ${FILE}: row ${T0} ${BTC}: high < close`,
  );
  assertRejects(
    _setCell(df, { row: 1, column: "high", value: 109.5 }),
    `Cannot load snapshot ${FILE}: row ${T0} ${BTC}: high < open`,
  );
  assertRejects(
    _setCell(df, { row: 1, column: "low", value: 110.1 }),
    `Cannot load snapshot ${FILE}: row ${T0} ${BTC}: low > open`,
  );
});

Deno.test("validateBars() rejects duplicate (timestamp, asset_id) rows", () => {
  const df = _makeBars();
  const sortedDup = pl.concat([df, df.slice(2, 1)]).sort(["timestamp", "asset_id"]);
  assertRejects(
    sortedDup,
    `Cannot load snapshot ${FILE}: row ${T1} ${ETH}: duplicate (timestamp, asset_id)`,
  );
  const unsortedDup = pl.concat([df.slice(2, 1), df]);
  assertRejects(
    unsortedDup,
    `Cannot load snapshot ${FILE}: row ${T1} ${ETH}: duplicate (timestamp, asset_id)`,
  );
});

Deno.test("validateBars() checks the bar grid and start_timestamp", () => {
  const df = _makeBars();
  const t = Date.UTC(2025, 0, 3, 10, 7);
  const offGrid = _setCell(_setCell(df, { row: 3, column: "timestamp", value: t }), {
    row: 3,
    column: "start_timestamp",
    value: t - 300_000,
  });
  assertRejects(
    offGrid,
    `Cannot load snapshot ${FILE}: row 2025-01-03T10:07Z ${BTC}: timestamp not on the 5m grid`,
    { barMs: 300_000 },
  );
  assertRejects(
    df,
    `Cannot load snapshot ${FILE}: row ${T0} ${ETH}: timestamp not on the 1h grid`,
    { barMs: 3_600_000 },
  );
  assertRejects(
    _setCell(df, { row: 2, column: "start_timestamp", value: Date.UTC(2025, 0, 3, 10, 0) }),
    `Cannot load snapshot ${FILE}: row ${T1} ${ETH}: start_timestamp is not timestamp - 5m`,
  );
  assertRejects(
    _setCell(df, { row: 0, column: "start_timestamp", value: Date.UTC(2025, 0, 3, 10, 5) }),
    `Cannot load snapshot ${FILE}: row ${T0} ${ETH}: start_timestamp not before timestamp`,
  );
});

Deno.test("validateBars() anchors weekly bars on Mondays", () => {
  const monday = Date.UTC(2025, 0, 13); // a Monday
  validateBars(_makeBars({ barMs: 7 * 86_400_000, firstEnd: monday }), { file: FILE });
  assertRejects(
    _makeBars({ barMs: 7 * 86_400_000, firstEnd: Date.UTC(2025, 0, 16) }),
    `Cannot load snapshot ${FILE}: row 2025-01-16T00:00Z ${ETH}: timestamp not on the 7d grid`,
  );
});

Deno.test("validateBars() rejects knowledge_timestamp before timestamp", () => {
  assertRejects(
    _setCell(_makeBars(), {
      row: 3,
      column: "knowledge_timestamp",
      value: Date.UTC(2025, 0, 3, 10, 9),
    }),
    `Cannot load snapshot ${FILE}: row ${T1} ${BTC}: knowledge_timestamp before timestamp`,
  );
});

Deno.test("validateBars() checks full_symbol and its MD5 asset_id", () => {
  const df = _makeBars();
  assertRejects(
    _setCell(df, { row: 1, column: "asset_id", value: 42 }),
    `Cannot load snapshot ${FILE}: row ${T0} ${BTC}: asset_id 42 is not the id of ${BTC} (expected 1467591036)`,
  );
  validateBars(
    _setCell(df, { row: 1, column: "asset_id", value: 42 }).filter(pl.col("asset_id").eq(42)),
    {
      file: FILE,
      checkAssetIds: false,
    },
  );
  assertRejects(
    _setCell(df, { row: 2, column: "full_symbol", value: "binance::BTC_USDT" }),
    `Cannot load snapshot ${FILE}: row ${T1} ${BTC}: asset_id 1464553467 has several full symbols (${ETH}, ${BTC})`,
  );
  assertRejects(
    _setCell(df, { row: 0, column: "full_symbol", value: "ETH/USDT" }),
    `Cannot load snapshot ${FILE}: row ${T1} ${ETH}: asset_id 1464553467 has several full symbols (ETH/USDT, ${ETH})`,
  );
  const bad = df.filter(pl.col("full_symbol").eq(pl.lit(ETH))).withColumns(
    pl.lit("ETH/USDT").alias("full_symbol"),
  );
  assertRejects(
    bad,
    `Cannot load snapshot ${FILE}: row ${T0} ETH/USDT: malformed full_symbol (expected <exchange>::<BASE>_<QUOTE>, e.g. binance::BTC_USDT)`,
  );
});

Deno.test("validateBars() uses the context prefix when given", () => {
  assert.throws(
    () =>
      validateBars(_setCell(_makeBars(), { row: 1, column: "close", value: NaN }), {
        file: "out/y.csv",
        context: "Cannot write snapshot out/y.csv",
      }),
    { message: `Cannot write snapshot out/y.csv: row ${T0} ${BTC}: NaN in close` },
  );
});

Deno.test("inferBarMs() reads the period of the first bar", () => {
  assert.equal(inferBarMs(_makeBars({ barMs: 3_600_000 })), 3_600_000);
  assert.equal(inferBarMs(_makeBars().head(0)), undefined);
});
