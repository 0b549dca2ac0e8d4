/** `CrossSectionalDemeanNode`: a column minus its mean across the assets at each timestamp. */
import type pl from "nodejs-polars";
import { DataError } from "../../errors/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _guard, _requireColumns, _times, _values, _withValues } from "./_frame.ts";
import { _merge, _name } from "./_options.ts";

/** Config of `CrossSectionalDemeanNode` (the keys of its config template). */
export type CrossSectionalDemeanNodeConfig = {
  /** Input column. Default `"ret_0"`. */
  in_col: string;
  /** Output column. Default `"cs_demeaned"`. */
  out_col: string;
};

/**
 * `x − mean(x)` over the assets of each timestamp (the mean skips null/NaN values, which stay
 * null). The mean is summed in JS in frame order (ascending asset_id), so it is bit-identical
 * whatever else the frame holds, rather than relying on Polars' group-sum kernels. Causal with no lookback; depends on which assets are in
 * the frame (asset tiling changes it).
 */
export class CrossSectionalDemeanNode extends TransformNode implements LookbackNode {
  /** Default config: `{in_col: "ret_0", out_col: "cs_demeaned"}`. */
  static readonly configTemplate: Readonly<CrossSectionalDemeanNodeConfig> = {
    in_col: "ret_0",
    out_col: "cs_demeaned",
  };
  /** The node's resolved config. */
  readonly config: Readonly<CrossSectionalDemeanNodeConfig>;

  /** Creates the node; `options` override `CrossSectionalDemeanNode.configTemplate`. */
  constructor(id: string, options: Partial<CrossSectionalDemeanNodeConfig> = {}) {
    super(id);
    const c = _merge(id, CrossSectionalDemeanNode.configTemplate, options);
    _name(id, "in_col", c.in_col);
    _name(id, "out_col", c.out_col);
    this.config = Object.freeze(c);
  }

  /** 1: only the current timestamp. */
  lookbackBars(): number {
    return 1;
  }

  /** Adds `out_col`. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const { in_col, out_col } = this.config;
    _requireColumns(this.id, df, [in_col], "in_col");
    _requireColumns(this.id, df, ["timestamp"], "");
    return _guard(this.id, () => {
      const ts = _times(df, "timestamp");
      const x = _values(df, in_col);
      const out = new Float64Array(x.length);
      let start = 0;
      while (start < x.length) {
        const t = ts[start] as number;
        let end = start;
        let sum = 0;
        let n = 0;
        for (; end < x.length && ts[end] === t; end++) {
          const v = x[end] as number;
          if (!Number.isNaN(v)) {
            sum += v;
            n++;
          }
        }
        if (end < x.length && (ts[end] as number) < t) {
          throw new DataError(
            `Node ${this.id}: input frame row ${end} is earlier than row ${start}; frames must ` +
              `be sorted by (timestamp, asset_id)`,
          );
        }
        const mean = sum / n;
        for (let i = start; i < end; i++) out[i] = (x[i] as number) - mean;
        start = end;
      }
      return _withValues(df, [[out_col, out]]);
    });
  }
}
