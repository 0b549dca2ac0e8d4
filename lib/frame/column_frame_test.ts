import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { DataError } from "../errors/mod.ts";
import { ColumnFrame, f64Column, i64Column, strColumn, timeColumn } from "./column_frame.ts";

const T0 = Date.UTC(2025, 0, 3, 10, 5);

function _frame(): pl.DataFrame {
  return pl.DataFrame([
    pl.Series("timestamp", [T0, T0, T0 + 300_000]).cast(pl.Datetime("ms", "UTC")),
    pl.Series("asset_id", [1, 2, 1]).cast(pl.Int64),
    pl.Series("full_symbol", ["binance::BTC_USDT", null, "binance::BTC_USDT"], pl.Utf8),
    pl.Series("close", [1.5, null, 0.1 + 0.2], pl.Float64),
    pl.Series("n", [3, null, 5]).cast(pl.Int32),
  ]);
}

Deno.test("ColumnFrame.fromPolars() reads kinds and nulls, toPolars() writes them back", () => {
  const df = _frame();
  const c = ColumnFrame.fromPolars(df);
  assert.deepEqual(c.columns, ["timestamp", "asset_id", "full_symbol", "close", "n"]);
  assert.equal(c.height, 3);
  assert.deepEqual(c.columns.map((n) => c.column(n).kind), ["time", "i64", "str", "f64", "i64"]);
  assert.deepEqual([...c.values("timestamp")], [T0, T0, T0 + 300_000]);
  assert.ok(Number.isNaN(c.values("close")[1] as number));
  assert.equal(c.values("close")[2], 0.1 + 0.2);
  assert.deepEqual(c.toRecords().map((r) => r["full_symbol"]), [
    "binance::BTC_USDT",
    null,
    "binance::BTC_USDT",
  ]);
  const back = c.materialize().toPolars();
  assert.deepEqual(back.dtypes.map(String), [
    String(pl.Datetime("ms", "UTC")),
    String(pl.Int64),
    String(pl.String),
    String(pl.Float64),
    String(pl.Int64),
  ]);
  assert.ok(
    back.select("timestamp", "asset_id", "full_symbol", "close").frameEqual(
      df.select("timestamp", "asset_id", "full_symbol", "close"),
      true,
    ),
  );
  assert.deepEqual(back.getColumn("n").toArray(), [3, null, 5]);
});

Deno.test("ColumnFrame.toPolars() writes NaN as null, leading or scattered", () => {
  const lead = new ColumnFrame([["x", f64Column(Float64Array.of(NaN, NaN, 1, 2))]]);
  assert.deepEqual(lead.toPolars().getColumn("x").toArray(), [null, null, 1, 2]);
  const mid = new ColumnFrame([["x", f64Column(Float64Array.of(1, NaN, 2, NaN))]]);
  assert.deepEqual(mid.toPolars().getColumn("x").toArray(), [1, null, 2, null]);
  const all = new ColumnFrame([["x", i64Column(Float64Array.of(NaN, NaN))]]);
  assert.deepEqual(all.toPolars().getColumn("x").toArray(), [null, null]);
});

Deno.test("ColumnFrame.with() adds at the end, replaces in place, and shares the key cache", () => {
  const c = ColumnFrame.fromPolars(_frame());
  c.keyCache().set("k", 1);
  const d = c.with([["close", f64Column(Float64Array.of(1, 2, 3))], [
    "new",
    f64Column(Float64Array.of(4, 5, 6)),
  ]]);
  assert.deepEqual(d.columns, ["timestamp", "asset_id", "full_symbol", "close", "n", "new"]);
  assert.deepEqual([...d.values("close")], [1, 2, 3]);
  assert.equal(d.keyCache().get("k"), 1);
  assert.ok(Number.isNaN(c.values("close")[1] as number), "the input is unchanged");
  const rekeyed = c.with([["timestamp", timeColumn(Float64Array.of(1, 2, 3))]]);
  assert.equal(rekeyed.keyCache().has("k"), false);
  assert.throws(() => c.with([["x", f64Column(new Float64Array(2))]]), DataError);
});

Deno.test("ColumnFrame.slice(), gather() and concat() keep kinds and values", () => {
  const c = ColumnFrame.fromPolars(_frame());
  const s = c.slice(1, 5);
  assert.equal(s.height, 2);
  assert.deepEqual(s.toRecords().map((r) => r["asset_id"]), [2, 1]);
  const g = c.gather([2, 0]);
  assert.deepEqual(g.toRecords().map((r) => r["n"]), [5, 3]);
  assert.deepEqual(g.toRecords().map((r) => r["full_symbol"]), [
    "binance::BTC_USDT",
    "binance::BTC_USDT",
  ]);
  const all = ColumnFrame.concat([c.slice(0, 1), c.slice(1, 2)]);
  assert.deepEqual(all.toRecords(), c.toRecords());
  assert.throws(() => ColumnFrame.concat([c, c.select(["timestamp"])]), DataError);
});

Deno.test("ColumnFrame rejects unreadable types and unsafe integers, naming the column", () => {
  const bools = pl.DataFrame([pl.Series("flag", [true, false])]);
  assert.throws(() => ColumnFrame.fromPolars(bools), /Column 'flag' has type Bool/);
  const big = pl.DataFrame([pl.Series("id", BigInt64Array.of(2n ** 60n))]);
  assert.throws(() => ColumnFrame.fromPolars(big).values("id"), /Column 'id' .*beyond ±2\^53/);
  assert.throws(() => ColumnFrame.fromPolars(_frame()).values("full_symbol"), /holds strings/);
  assert.throws(() => ColumnFrame.fromPolars(_frame()).column("nope"), /no column 'nope'/);
});

Deno.test("ColumnFrame moves large string columns as codes and back, nulls included", () => {
  const n = 10_000;
  const values = Array.from({ length: n }, (_, i) => i % 7 === 3 ? null : `S${i % 5}`);
  const df = pl.DataFrame([pl.Series("s", values, pl.Utf8)]);
  const c = ColumnFrame.fromPolars(df);
  const col = c.column("s");
  assert.equal(col.kind, "str");
  assert.equal(col.kind === "str" ? col.dictionary.length : 0, 5);
  assert.deepEqual(c.toRecords().map((r) => r["s"]), values);
  assert.ok(c.toPolars().frameEqual(df, true));
  assert.deepEqual(c.gather([3, 4]).toRecords().map((r) => r["s"]), [null, "S4"]);
  assert.deepEqual(
    ColumnFrame.concat([c.slice(0, 2), new ColumnFrame([["s", strColumn(["x", null])]])])
      .toRecords().map((r) => r["s"]),
    ["S0", "S1", "x", null],
  );
});

Deno.test("ColumnFrame.fromPolars() reads columns on demand and hands untouched ones back as is", () => {
  const df = pl.DataFrame([
    pl.Series("x", [1.5, NaN, 2]),
    pl.Series("n", [1, 2, 3]).cast(pl.Int32),
  ]);
  const c = ColumnFrame.fromPolars(df);
  const out = c.with([["y", f64Column(Float64Array.of(1, 2, 3))]]).toPolars();
  // Untouched: the NaN stays NaN and Int32 stays Int32 (the series itself went back).
  assert.ok(Number.isNaN(out.getColumn("x").get(1) as number));
  assert.equal(String(out.getColumn("n").dtype), String(pl.Int32));
  // Read into JS: NaN is the null marker; a slice of an unread column reads only its rows.
  assert.ok(Number.isNaN(c.values("x")[1] as number));
  assert.deepEqual([...c.slice(1, 2).values("n")], [2, 3]);
  assert.deepEqual(c.materialize().slice(0, 1).toRecords(), [{ x: 1.5, n: 1 }]);
});
