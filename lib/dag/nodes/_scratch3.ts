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
import { ResampleNode } from "./resample_node.ts";
import { _assertFramesEqual } from "./_test_utils.ts";
for (const period of ["15m", "1h", "1d"]) {
  const rs = new ResampleNode("rs", { period });
  let t0 = performance.now();
  const full = rs.transform(df);
  console.log(period, "full resample ms", (performance.now() - t0).toFixed(0), full.height);
  for (const off of [1, 7, 5000, 777777]) {
    const part = rs.transform(df.slice(off * 14, df.height - off * 28));
    const lo = part.getColumn("timestamp").min();
    const hi = part.getColumn("timestamp").max();
    const exp = full.filter(pl.col("timestamp").gtEq(pl.lit(lo)).and(pl.col("timestamp").ltEq(pl.lit(hi))));
    _assertFramesEqual(part, exp, `${period} off ${off}`);
  }
  console.log(period, "slices equal");
}
