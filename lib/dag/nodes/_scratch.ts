import pl from "nodejs-polars";
import { createHash } from "node:crypto";
import { SmaCrossNode } from "./sma_cross_node.ts";
const dir = "/work/shared/data/binance_spot_5m";
const frames: pl.DataFrame[] = [];
for (const f of [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".feather")).sort()) {
  const base = f.split("_")[0];
  const sym = `binance::${base}_USDT`;
  const id = Number(BigInt("0x" + createHash("md5").update(sym).digest("hex")).toString().slice(0, 10));
  const df = pl.readIPC(Buffer.from(await Deno.readFile(`${dir}/${f}`))).head(119752);
  frames.push(df.select(
    pl.col("date").cast(pl.Datetime("ms", "UTC")).cast(pl.Int64).plus(300000).cast(pl.Datetime("ms", "UTC")).alias("timestamp"),
    pl.lit(id).cast(pl.Int64).alias("asset_id"),
    "open", "high", "low", "close", "volume",
  ));
}
const df = pl.concat(frames).sort(["timestamp", "asset_id"]);
console.log(df.shape);
const node = new SmaCrossNode("sma");
const times: number[] = [];
for (let k = 0; k < 25; k++) {
  const t0 = performance.now();
  node.transform(df);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const med = times[12]!, mn = times[0]!;
console.log(`min ${mn.toFixed(1)} ms (${(df.height / mn / 1000).toFixed(1)} M/s), median ${med.toFixed(1)} ms (${(df.height / med / 1000).toFixed(1)} M/s)`);
// cross-check equity on BTC
const btcId = Number(BigInt("0x" + createHash("md5").update("binance::BTC_USDT").digest("hex")).toString().slice(0, 10));
const out = node.transform(df).filter(pl.col("asset_id").eq(btcId));
const close = out.getColumn("close").toTypedArray() as Float64Array;
const sig = out.getColumn("prediction").toTypedArray() as Float64Array;
let eq = 10000;
for (let i = 0; i + 1 < close.length; i++) if (sig[i] === 1) eq *= close[i + 1]! / close[i]!;
console.log("equity", eq);
// naive reference signal
let flips = 0;
for (let i = 0; i < close.length; i++) {
  let f = 0, s = 0;
  if (i >= 49) { for (let k = i - 9; k <= i; k++) f += close[k]!; for (let k = i - 49; k <= i; k++) s += close[k]!; }
  const ref = i >= 49 && f / 10 > s / 50 ? 1 : 0;
  if (ref !== sig[i]) flips++;
}
console.log("signal differences vs naive", flips);
import { _assetLayout, _gather, _scatter, _values, _withValues } from "./_frame.ts";
import { _fullWindowMeans } from "./_window_sum.ts";
const mins: Record<string, number> = {};
for (let k = 0; k < 20; k++) {
  let t = performance.now();
  const lap = (name: string) => { const n = performance.now(); mins[name] = Math.min(mins[name] ?? Infinity, n - t); t = n; };
  const layout = _assetLayout("x", df); lap("layout");
  const v = _values(df, "close"); lap("values");
  const x = _gather(v, layout); lap("gather");
  const a = new Float64Array(x.length), b = new Float64Array(x.length);
  for (let g = 0; g + 1 < layout.offsets.length; g++) { const o = layout.offsets[g]!; const [f, s] = _fullWindowMeans(x.subarray(o, layout.offsets[g + 1]), [10, 50]); a.set(f!, o); b.set(s!, o); }
  lap("smas");
  const sig = new Float64Array(x.length); for (let i = 0; i < x.length; i++) sig[i] = a[i]! > b[i]! ? 1 : 0; lap("signal");
  const sa = _scatter(a, layout); const sb = _scatter(b, layout); const sc = _scatter(sig, layout); lap("scatter");
  const o = _withValues(df, [["a", sa], ["b", sb], ["c", sc]]); lap("withValues");
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(mins).map(([k, v]) => [k, +v.toFixed(1)]))));
