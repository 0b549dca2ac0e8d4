import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { ColumnFrame } from "../../frame/mod.ts";
import { ResampleNode } from "./resample_node.ts";
import {
  _assertClose,
  _assertColumnsLikePolars,
  _assertFramesEqual,
  _assertPrefixCausal,
  _ASSETS,
  _bars,
  _col,
  _FIVE_MIN,
  _nanAsNull,
  _T0,
  _variants,
} from "./_test_utils.ts";

type _Bar = { t: number; a: number; o: number; h: number; l: number; c: number; v: number };

function _rows(df: pl.DataFrame): _Bar[] {
  const t = _col(df, "timestamp") as number[];
  const a = _col(df, "asset_id") as number[];
  const [o, h, l, c, v] = ["open", "high", "low", "close", "volume"].map((k) =>
    _col(df, k) as number[]
  ) as [number[], number[], number[], number[], number[]];
  return t.map((ti, i) => ({
    t: ti,
    a: a[i] as number,
    o: o[i] as number,
    h: h[i] as number,
    l: l[i] as number,
    c: c[i] as number,
    v: v[i] as number,
  }));
}

/** Plain-JS resampling with the node's documented rules. */
function _expected(
  df: pl.DataFrame,
  P: number,
  src: number,
  typical: boolean,
): _Bar[] & { vwap?: number }[] {
  const rows = _rows(df);
  const lo = Math.min(...rows.map((r) => r.t));
  const hi = Math.max(...rows.map((r) => r.t));
  const groups = new Map<string, _Bar[]>();
  for (const r of rows) {
    const label = Math.ceil(r.t / P) * P;
    const key = `${label}|${r.a}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: (_Bar & { vwap: number })[] = [];
  for (const [key, g] of groups) {
    const label = Number(key.split("|")[0]);
    if (label > hi || label - P + src < lo) continue;
    const price = (r: _Bar) => typical ? (r.h + r.l + r.c) / 3 : r.c;
    const vol = g.reduce((s, r) => s + r.v, 0);
    out.push({
      t: label,
      a: g[0]!.a,
      o: g[0]!.o,
      h: Math.max(...g.map((r) => r.h)),
      l: Math.min(...g.map((r) => r.l)),
      c: g[g.length - 1]!.c,
      v: vol,
      vwap: vol > 0
        ? g.reduce((s, r) => s + price(r) * r.v, 0) / vol
        : g.reduce((s, r) => s + price(r), 0) / g.length,
    });
  }
  return out.sort((p, q) => p.t - q.t || p.a - q.a);
}

Deno.test("ResampleNode.transform() aggregates right-closed, right-labelled periods per asset", () => {
  const df = _bars(64); // 5m bars ending 00:05 .. 05:20; asset 2 starts late, asset 3 has a gap
  for (const [period, typical] of [["15m", false], ["1h", true], ["20m", false]] as const) {
    const P = period === "1h" ? 3_600_000 : Number(period.slice(0, 2)) * 60_000;
    const node = new ResampleNode("rs", {
      period,
      source_period: "5m",
      vwap_price: typical ? "typical" : "close",
    });
    assert.equal(node.lookbackBars(), P / _FIVE_MIN);
    const out = node.transform(df);
    const exp = _expected(df, P, _FIVE_MIN, typical) as (_Bar & { vwap: number })[];
    assert.ok(exp.length > 0);
    assert.deepEqual(_col(out, "timestamp"), exp.map((r) => r.t), `${period} labels`);
    assert.deepEqual(_col(out, "asset_id"), exp.map((r) => r.a));
    assert.deepEqual(_col(out, "start_timestamp"), exp.map((r) => r.t - P));
    assert.deepEqual(_col(out, "open"), exp.map((r) => r.o));
    assert.deepEqual(_col(out, "high"), exp.map((r) => r.h));
    assert.deepEqual(_col(out, "low"), exp.map((r) => r.l));
    assert.deepEqual(_col(out, "close"), exp.map((r) => r.c));
    _assertClose(_col(out, "volume"), exp.map((r) => r.v), 1e-12, "volume");
    _assertClose(_col(out, "vwap"), exp.map((r) => r.vwap), 1e-10, "vwap");
    assert.deepEqual(out.columns, [
      "timestamp",
      "start_timestamp",
      "asset_id",
      "full_symbol",
      "open",
      "high",
      "low",
      "close",
      "volume",
      "vwap",
    ]);
  }
});

Deno.test("ResampleNode.transform() orders periods far apart in time (sparse labels) by (timestamp, asset_id)", () => {
  const a = _bars(64);
  // The same bars 40 days later (3,840 periods of 15m between the two blocks), one asset fewer.
  const later = a.filter(pl.col("asset_id").neq(pl.lit(_ASSETS[0]))).withColumns(
    pl.col("timestamp").cast(pl.Int64).plus(40 * 86_400_000).cast(pl.Datetime("ms", "UTC")),
  );
  const df = a.vstack(later);
  const node = new ResampleNode("rs", { period: "15m" });
  const out = node.transform(df);
  const exp = _expected(df, 900_000, _FIVE_MIN, false) as (_Bar & { vwap: number })[];
  assert.ok(exp.length > 0);
  assert.deepEqual(_col(out, "timestamp"), exp.map((r) => r.t));
  assert.deepEqual(_col(out, "asset_id"), exp.map((r) => r.a));
  assert.deepEqual(_col(out, "open"), exp.map((r) => r.o));
  assert.deepEqual(_col(out, "close"), exp.map((r) => r.c));
  _assertClose(_col(out, "vwap"), exp.map((r) => r.vwap), 1e-10, "vwap");
});

Deno.test("ResampleNode.transform() drops the periods cut by the frame's start and end", () => {
  const df = _bars(64);
  const node = new ResampleNode("rs", { period: "15m" });
  // Frame 00:10 .. 01:25: (00:00, 00:15] misses 00:05 and (01:15, 01:30] is unfinished.
  const cut = df.filter(
    pl.col("timestamp").gtEq(pl.lit(_T0 + 2 * _FIVE_MIN).cast(pl.Datetime("ms", "UTC")))
      .and(pl.col("timestamp").ltEq(pl.lit(_T0 + 17 * _FIVE_MIN).cast(pl.Datetime("ms", "UTC")))),
  );
  const labels = [...new Set(_col(node.transform(cut), "timestamp") as number[])];
  assert.deepEqual(labels, [30, 45, 60, 75].map((m) => _T0 + m * 60_000));
  // Ending exactly on a period end keeps that period.
  const onEnd = df.filter(
    pl.col("timestamp").ltEq(pl.lit(_T0 + 18 * _FIVE_MIN).cast(pl.Datetime("ms", "UTC"))),
  );
  const last = (_col(node.transform(onEnd), "timestamp") as number[]).at(-1);
  assert.equal(last, _T0 + 90 * 60_000);
});

Deno.test("ResampleNode.transform() is causal and start-independent", () => {
  const df = _bars(90);
  const node = new ResampleNode("rs", { period: "15m" });
  _assertPrefixCausal(node, df);
  const full = node.transform(df);
  for (let k = 1; k < 12; k++) {
    const s = _T0 + k * _FIVE_MIN;
    const part = node.transform(
      df.filter(pl.col("timestamp").gtEq(pl.lit(s).cast(pl.Datetime("ms", "UTC")))),
    );
    // Every period whose first source bar is in the slice is emitted, identical to the full run.
    const firstComplete = Math.ceil((s - _FIVE_MIN) / 900_000) * 900_000 + 900_000;
    const expected = full.filter(
      pl.col("timestamp").gtEq(pl.lit(firstComplete).cast(pl.Datetime("ms", "UTC"))),
    );
    _assertFramesEqual(part, expected, `start ${k}`);
  }
});

Deno.test("ResampleNode.transform() with period = source period is the identity (+ vwap)", () => {
  const df = _bars(20).withColumns(
    pl.col("timestamp").alias("knowledge_timestamp"),
  );
  const out = new ResampleNode("rs", { period: "5m", source_period: "5m" }).transform(df);
  for (const c of df.columns) assert.deepEqual(_col(out, c), _col(df, c), c);
  assert.deepEqual(_col(out, "vwap"), _col(df, "close"));
  assert.deepEqual(
    _col(out, "start_timestamp"),
    (_col(df, "timestamp") as number[]).map((t) => t - _FIVE_MIN),
  );
});

Deno.test("ResampleNode.transform() takes the last knowledge time and the mean price at zero volume", () => {
  const t = (m: number) => new Date(_T0 + m * 60_000);
  const df = pl.DataFrame({
    timestamp: [t(5), t(10), t(15)],
    asset_id: [7, 7, 7],
    open: [1, 2, 3],
    high: [2, 3, 4],
    low: [0.5, 1.5, 2.5],
    close: [2, 3, 4],
    volume: [0, 0, 0],
    knowledge_timestamp: [t(6), t(12), t(16)],
  }).withColumns(
    pl.col("timestamp").cast(pl.Datetime("ms", "UTC")),
    pl.col("knowledge_timestamp").cast(pl.Datetime("ms", "UTC")),
    pl.col("asset_id").cast(pl.Int64),
  );
  const out = new ResampleNode("rs", { period: "15m" }).transform(df);
  assert.equal(out.height, 1);
  assert.deepEqual(_col(out, "knowledge_timestamp"), [_T0 + 16 * 60_000]);
  assert.deepEqual(_col(out, "vwap"), [3]);
  assert.deepEqual(_col(out, "open"), [1]);
  assert.deepEqual(_col(out, "close"), [4]);
});

Deno.test("ResampleNode() rejects periods that do not divide", () => {
  assert.throws(() => new ResampleNode("rs", { period: "7m", source_period: "5m" }), ConfigError);
  assert.throws(() => new ResampleNode("rs", { period: "soon" }), /not a bar period/);
});

Deno.test("ResampleNode.transform() at the source period equals its Polars expression bit for bit (NaN compared as null)", () => {
  for (const [what, bars] of _variants(30)) {
    const df = bars.withColumns(pl.col("timestamp").alias("knowledge_timestamp"));
    const ms = pl.col("timestamp").cast(pl.Datetime("ms", "UTC")).cast(pl.Int64);
    const toTime = (e: pl.Expr) => e.cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
    const expected = df.withColumns(
      toTime(ms).alias("timestamp"),
      toTime(ms.minus(_FIVE_MIN)).alias("start_timestamp"),
      pl.col("close").cast(pl.Float64).alias("vwap"),
    ).select(
      "timestamp",
      "start_timestamp",
      "asset_id",
      "full_symbol",
      "open",
      "high",
      "low",
      "close",
      "volume",
      "vwap",
      "knowledge_timestamp",
    );
    // NaN compared as null: the node writes the NaN it computes as null.
    _assertFramesEqual(
      _nanAsNull(new ResampleNode("rs", { period: "5m" }).transform(df)),
      _nanAsNull(expected),
      what,
    );
  }
});

Deno.test("ResampleNode.transform() writes new times as Datetime(ms, UTC); aggregates ids as Int64", () => {
  const df = _bars(40).withColumns(
    pl.col("timestamp").alias("knowledge_timestamp"),
    pl.col("asset_id").cast(pl.UInt64),
  );
  for (const period of ["5m", "15m"]) {
    const out = new ResampleNode("rs", { period }).transform(df);
    const types = Object.fromEntries(out.columns.map((c, i) => [c, String(out.dtypes[i])]));
    const time = String(pl.Datetime("ms", "UTC"));
    assert.equal(types["timestamp"], time, period);
    assert.equal(types["start_timestamp"], time, period);
    assert.equal(types["knowledge_timestamp"], time, period);
    // At the source period the bar columns pass through with their types.
    assert.equal(types["asset_id"], String(period === "5m" ? pl.UInt64 : pl.Int64), period);
    assert.equal(types["full_symbol"], String(pl.String), period);
    assert.equal(types["vwap"], String(pl.Float64), period);
  }
});

Deno.test("ResampleNode.transformColumns() equals transform() and agrees on tail slices", () => {
  for (const [what, bars] of _variants(70)) {
    const df = bars.withColumns(pl.col("timestamp").alias("knowledge_timestamp"));
    for (const period of ["5m", "15m", "1h"] as const) {
      const node = new ResampleNode("rs", { period, vwap_price: "typical" });
      _assertColumnsLikePolars(node, df, `${what}, ${period}`);
      const frame = ColumnFrame.fromPolars(df);
      const full = node.transformColumns(frame);
      const P = node.periodMs;
      const ts = frame.values("timestamp");
      const labels = full.values("timestamp");
      for (const k of [1, 5, 17, 40]) {
        // The slice from the first row of the k-th timestamp.
        const s = _T0 + (k + 1) * _FIVE_MIN;
        const start = ts.findIndex((t) => t >= s);
        const part = node.transformColumns(frame.slice(start, frame.height - start));
        // Every period whose first source bar is in the slice, identical to the full run.
        const firstComplete = Math.ceil((s - _FIVE_MIN) / P) * P + P;
        const from = labels.findIndex((l) => l >= firstComplete);
        const expected = from < 0 ? full.slice(full.height, 0) : full.slice(from, full.height);
        const where = `${what}, ${period}, from ${k}`;
        const kinds = (f: ColumnFrame) => f.columns.map((c) => f.column(c).kind);
        assert.deepEqual(kinds(part), kinds(expected), `${where}: kinds`);
        assert.ok(part.height > 0, where);
        _assertFramesEqual(part.toPolars(), expected.toPolars(), where);
      }
    }
  }
});
