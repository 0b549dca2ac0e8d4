/** `CrossSectionalRankNode`: the rank of a column among the assets at each timestamp. */
import pl from "nodejs-polars";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _guard, _requireColumns, _values, _withValues } from "./_frame.ts";
import { _normalQuantile } from "./_normal_quantile.ts";
import { _merge, _name, _oneOf } from "./_options.ts";

/** How `CrossSectionalRankNode` scales ranks. */
export type CrossSectionalRankMode = "raw" | "uniform" | "gaussian";

/** Config of `CrossSectionalRankNode` (the keys of its config template). */
export type CrossSectionalRankNodeConfig = {
  /** Input column. Default `"ret_0"`. */
  in_col: string;
  /** Output column. Default `"cs_rank"`. */
  out_col: string;
  /**
   * `"raw"`: average rank 1..n; `"uniform"`: `2 (r − 1) / (n − 1) − 1` in [−1, 1] (0 when
   * n = 1); `"gaussian"`: `Φ⁻¹((r − 0.5) / n)`. Default `"uniform"`.
   */
  mode: CrossSectionalRankMode;
};

/**
 * Ranks a column across the assets of each timestamp (`.over("timestamp")`): ascending, ties
 * get their average rank, null/NaN values get null and do not count in n (the number of
 * valid values at the timestamp). Row by row in time, so causal with no lookback; the value
 * does depend on which assets are in the frame (asset tiling changes it).
 */
export class CrossSectionalRankNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "ret_0", out_col: "cs_rank", mode: "uniform"}`. */
  static readonly configTemplate: Readonly<CrossSectionalRankNodeConfig> = {
    in_col: "ret_0",
    out_col: "cs_rank",
    mode: "uniform",
  };
  /** The node's resolved config. */
  readonly config: Readonly<CrossSectionalRankNodeConfig>;

  /** Creates the node; `options` override `CrossSectionalRankNode.configTemplate`. */
  constructor(id: string, options: Partial<CrossSectionalRankNodeConfig> = {}) {
    super(id);
    const c = _merge(id, CrossSectionalRankNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    _oneOf(id, "mode", c.mode, ["raw", "uniform", "gaussian"] as const);
    this.config = Object.freeze(c);
  }

  /** 1: only the current timestamp. */
  lookbackBars(): number {
    return 1;
  }

  /** Adds `out_col`. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_col, out_col, mode } = this.config;
    _requireColumns(this.id, df, [in_col], "in_col");
    _requireColumns(this.id, df, ["timestamp"], "");
    return _guard(this.id, () => {
      const x = pl.col(in_col).cast(pl.Float64).fillNan(null);
      const r = x.rank("average").over("timestamp").cast(pl.Float64);
      const n = x.count().over("timestamp").cast(pl.Float64);
      if (mode === "raw") return df.withColumns(r.alias(out_col));
      if (mode === "uniform") {
        const u = pl.when(n.gt(1)).then(r.minus(1).mul(2).div(n.minus(1)).minus(1)).otherwise(
          pl.when(r.isNotNull()).then(pl.lit(0)).otherwise(pl.lit(null)),
        );
        return df.withColumns(u.cast(pl.Float64).alias(out_col));
      }
      const tmp = `__${this.id}_p`;
      const p = _values(df.select(r.minus(0.5).div(n).alias(tmp)), tmp);
      const z = new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) z[i] = _normalQuantile(p[i] as number);
      return _withValues(df, [[out_col, z]]);
    });
  }
}
