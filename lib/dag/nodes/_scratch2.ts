import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _assertStartIndependent, _bars } from "./_test_utils.ts";
class PolarsMean extends TransformNode implements LookbackNode {
  constructor(id: string, readonly w: number) { super(id); }
  lookbackBars() { return this.w; }
  transform(df: pl.DataFrame) { return df.withColumns(pl.col("close").rollingMean(this.w).over("asset_id").alias("m")); }
}
for (const w of [3, 10, 21]) {
  try { _assertStartIndependent(new PolarsMean("pm", w), _bars(120)); console.log(w, "passes"); } catch (e) { console.log(w, "caught:", (e as Error).message.slice(0, 120)); }
}
