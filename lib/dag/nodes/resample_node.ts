/** `ResampleNode`: causal resampling of bars to a coarser period (right-closed, right-labelled). */
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { parseTimeframe } from "../../sim/bar_schema.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import { _guard, _requireColumns } from "./_frame.ts";
import { _merge, _name, _oneOf } from "./_options.ts";

/** Config of `ResampleNode` (the keys of its config template). */
export type ResampleNodeConfig = {
  /** Target bar period (`15m`, `1h`, `1d`, ...; see `parseTimeframe`). Default `"15m"`. */
  period: string;
  /** Period of the input bars; `period` must be a multiple of it. Default `"5m"`. */
  source_period: string;
  /**
   * Price averaged in `vwap`: `"close"` (Σ close·volume / Σ volume, the DataFlow reference's
   * choice) or `"typical"` ((high + low + close) / 3). Default `"close"`.
   */
  vwap_price: "close" | "typical";
};

/**
 * Resamples long-format OHLCV bars per asset to `period`, right-closed and right-labelled:
 * the bar labelled `L` (its END, a multiple of `period` since the epoch, so daily bars end
 * at 00:00 UTC) aggregates the source bars with timestamps in `(L − period, L]`:
 * open = first open, high = max, low = min, close = last close, volume = sum,
 * vwap = Σ price·volume / Σ volume (the mean price when the volume sums to 0),
 * start_timestamp = L − period, knowledge_timestamp = max (when present), full_symbol = first
 * (when present). Other columns are dropped. Output sorted by (timestamp, asset_id).
 *
 * Only complete periods are emitted, so the output does not depend on where the frame starts
 * or ends: a period is dropped when the frame's last timestamp (over all assets) is before
 * its end `L` (the period is still in progress; emitting it would label unfinished data
 * with a future time), or when the frame's first timestamp is after the period's first source
 * bar `L − period + source_period` (the frame starts mid-period). Missing source bars inside
 * a period (gaps) do not drop it. When `period` equals `source_period` the node is the
 * identity on those columns (plus `vwap` = the bar's price).
 */
export class ResampleNode extends TransformNode implements LookbackNode {
  /** Default config: `{period: "15m", source_period: "5m", vwap_price: "close"}`. */
  static readonly configTemplate: Readonly<ResampleNodeConfig> = {
    period: "15m",
    source_period: "5m",
    vwap_price: "close",
  };
  /** The node's resolved config. */
  readonly config: Readonly<ResampleNodeConfig>;
  /** The target period in ms. */
  readonly periodMs: number;
  /** The source period in ms. */
  readonly sourcePeriodMs: number;

  /** Creates the node; `options` override `ResampleNode.configTemplate`. */
  constructor(id: string, options: Partial<ResampleNodeConfig> = {}) {
    super(id);
    const c = _merge(id, ResampleNode.configTemplate, options);
    _name(id, "period", c.period);
    _name(id, "source_period", c.source_period);
    _oneOf(id, "vwap_price", c.vwap_price, ["close", "typical"] as const);
    this.periodMs = _period(id, "period", c.period);
    this.sourcePeriodMs = _period(id, "source_period", c.source_period);
    if (this.periodMs % this.sourcePeriodMs !== 0) {
      throw new ConfigError(
        `Node ${id}: config key 'period' (${c.period}) must be a multiple of 'source_period' ` +
          `(${c.source_period})`,
      );
    }
    this.config = Object.freeze(c);
  }

  /** Source bars per resampled bar (`period / source_period`). */
  lookbackBars(): number {
    return this.periodMs / this.sourcePeriodMs;
  }

  /** The resampled bars. */
  transform(df: pl.DataFrame): pl.DataFrame {
    const ohlcv = ["open", "high", "low", "close", "volume"];
    _requireColumns(this.id, df, ["timestamp", "asset_id", ...ohlcv], "period");
    return _guard(this.id, () => {
      const P = this.periodMs;
      const typical = this.config.vwap_price === "typical";
      const price = typical
        ? pl.col("high").plus(pl.col("low")).plus(pl.col("close")).div(3)
        : pl.col("close");
      const hasSymbol = df.columns.includes("full_symbol");
      const hasKnowledge = df.columns.includes("knowledge_timestamp");
      const ms = pl.col("timestamp").cast(pl.Datetime("ms", "UTC")).cast(pl.Int64);
      const toTime = (e: pl.Expr) => e.cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
      const order = [
        "timestamp",
        "start_timestamp",
        "asset_id",
        ...(hasSymbol ? ["full_symbol"] : []),
        ...ohlcv,
        "vwap",
        ...(hasKnowledge ? ["knowledge_timestamp"] : []),
      ];
      if (P === this.sourcePeriodMs) {
        return df.withColumns(
          toTime(ms).alias("timestamp"),
          toTime(ms.minus(P)).alias("start_timestamp"),
          price.cast(pl.Float64).alias("vwap"),
        ).select(...order);
      }
      if (df.height === 0) {
        return df.withColumns(
          toTime(ms).alias("timestamp"),
          toTime(ms).alias("start_timestamp"),
          pl.lit(0).cast(pl.Float64).alias("vwap"),
        ).select(...order);
      }
      const bounds = df.select(ms.min().alias("lo"), ms.max().alias("hi"));
      const lo = Number(bounds.getColumn("lo").cast(pl.Float64).get(0));
      const hi = Number(bounds.getColumn("hi").cast(pl.Float64).get(0));
      // Label = the period end: ts rounded up to a multiple of P (P divides ts ⇒ label ts).
      const label = ms.plus(pl.lit(P).minus(ms.modulo(P)).modulo(P)).alias("_label");
      const withLabel = df.withColumns(label, price.mul(pl.col("volume")).alias("_pv"), price.alias("_p"));
      const aggs: pl.Expr[] = [
        pl.col("open").first().alias("open"),
        pl.col("high").max().alias("high"),
        pl.col("low").min().alias("low"),
        pl.col("close").last().alias("close"),
        pl.col("volume").sum().alias("volume"),
        pl.col("_pv").sum().alias("_pv"),
        pl.col("_p").mean().alias("_p"),
      ];
      if (hasSymbol) aggs.push(pl.col("full_symbol").first().alias("full_symbol"));
      if (hasKnowledge) {
        aggs.push(pl.col("knowledge_timestamp").max().alias("knowledge_timestamp"));
      }
      const firstAllowed = lo + P - this.sourcePeriodMs; // L − P + source <= lo  ⇒ drop
      return withLabel
        .groupBy("asset_id", "_label")
        .agg(...aggs)
        .filter(pl.col("_label").lt(hi + 1).and(pl.col("_label").gtEq(firstAllowed)))
        .withColumns(
          toTime(pl.col("_label")).alias("timestamp"),
          toTime(pl.col("_label").minus(P)).alias("start_timestamp"),
          pl.when(pl.col("volume").gt(0)).then(pl.col("_pv").div(pl.col("volume"))).otherwise(
            pl.col("_p"),
          ).alias("vwap"),
        )
        .select(...order)
        .sort(["timestamp", "asset_id"]);
    });
  }
}

function _period(id: string, key: string, value: string): number {
  try {
    return parseTimeframe(value);
  } catch (err) {
    throw new ConfigError(
      `Node ${id}: config key '${key}' is not a bar period (${JSON.stringify(value)}); use e.g. ` +
        `5m, 15m, 1h, 1d`,
      { cause: err },
    );
  }
}
