/** `CrossSectionalDemeanNode`: a column minus its mean across the assets at each timestamp. */
import { type ColumnFrame, f64Column } from "../../frame/mod.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _numbers, _timeGroups } from "./_columns.ts";
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
 * null). The mean is summed in frame order (ascending asset_id) over the timestamp's rows
 * only, so it is bit-identical whatever else the frame holds. Causal with no lookback; depends
 * on which assets are in the frame (asset tiling changes it).
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
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const { in_col, out_col } = this.config;
    const x = _numbers(this.id, frame, in_col, "in_col");
    const groups = _timeGroups(this.id, frame);
    const out = new Float64Array(x.length);
    for (let g = 0; g + 1 < groups.length; g++) {
      const a = groups[g] as number;
      const b = groups[g + 1] as number;
      let sum = 0;
      let n = 0;
      for (let i = a; i < b; i++) {
        const v = x[i] as number;
        if (!Number.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      const mean = sum / n;
      for (let i = a; i < b; i++) out[i] = (x[i] as number) - mean;
    }
    return frame.with([[out_col, f64Column(out)]]);
  }
}
