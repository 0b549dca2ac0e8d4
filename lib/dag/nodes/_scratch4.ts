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
import * as N from "./mod.ts";
import { _assertFramesEqual } from "./_test_utils.ts";
let base = new N.ReturnsNode("r", { mode: "log" }).transform(df);
base = new N.VolatilityNode("v").transform(base);
base = new N.AdjustedReturnsNode("a").transform(base);
const nodes: N.LookbackNode[] = [
  new N.ReturnsNode("r", { mode: "log", out_col: "x" }),
  new N.VolatilityNode("v", { out_col: "x" }),
  new N.AdjustedReturnsNode("a", { out_col: "x" }),
  new N.CompressTailsNode("c", { suffix: "_c" }),
  new N.LagsNode("l", { n_lags: 4 }),
  new N.RollingMeanNode("m", { window: 100 }),
  new N.ZScoreNode("z", { window: 64 }),
  new N.CrossSectionalRankNode("k", { mode: "gaussian" }),
  new N.CrossSectionalDemeanNode("d"),
  new N.SmaCrossNode("s"),
];
for (const node of nodes) {
  const t0 = performance.now();
  const full = node.predict({ df_in: base })["df_out"]!;
  const ms = performance.now() - t0;
  for (const off of [3, 1001, 60000]) {
    const part = node.predict({ df_in: base.slice(off * 14, base.height - off * 14) })["df_out"]!;
    const skip = (node.lookbackBars() - 1) * 14;
    _assertFramesEqual(part.slice(skip, part.height - skip), full.slice(off * 14 + skip, part.height - skip), node.id + " " + off);
  }
  console.log(node.id, "ok", ms.toFixed(0), "ms");
}
