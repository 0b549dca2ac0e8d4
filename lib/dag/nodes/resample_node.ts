/** `ResampleNode`: causal resampling of bars to a coarser period (right-closed, right-labelled). */
import pl from "nodejs-polars";
import { ConfigError } from "../../errors/mod.ts";
import { parseTimeframe } from "../../sim/bar_schema.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import {
  type _AssetLayout,
  _assetLayout,
  _guard,
  _requireColumns,
  _sameRows,
  _times,
  _values,
} from "./_frame.ts";
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
    _requireColumns(this.id, df, ["timestamp", "asset_id", ...ohlcv], "");
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
        const fast = _passThrough(df, P, order, typical);
        if (fast !== undefined) return fast;
        return df.withColumns(
          toTime(ms).alias("timestamp"),
          toTime(ms.minus(P)).alias("start_timestamp"),
          price.cast(pl.Float64).alias("vwap"),
        ).select(...order);
      }
      const layout = _assetLayout(this.id, df);
      const ts = _times(df, "timestamp");
      const ids = _values(df, "asset_id");
      const [open, high, low, close, volume] = ohlcv.map((c) => _values(df, c)) as [
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
      ];
      const know = hasKnowledge ? _times(df, "knowledge_timestamp") : undefined;
      const agg = _aggregate(layout, P, this.sourcePeriodMs, typical, {
        ts,
        open,
        high,
        low,
        close,
        volume,
        know,
      });
      const time = (name: string, v: Float64Array) =>
        pl.Series(name, v).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"));
      const columns: pl.Series[] = [
        time("timestamp", agg.label),
        time("start_timestamp", agg.label.map((l) => l - P)),
        pl.Series("asset_id", Float64Array.from(agg.firstRow, (r) => ids[r] as number)).cast(
          pl.Int64,
        ),
      ];
      if (hasSymbol) {
        columns.push(df.getColumn("full_symbol").gather([...agg.firstRow]).alias("full_symbol"));
      }
      columns.push(
        pl.Series("open", agg.open),
        pl.Series("high", agg.high),
        pl.Series("low", agg.low),
        pl.Series("close", agg.close),
        pl.Series("volume", agg.volume),
        pl.Series("vwap", agg.vwap),
      );
      if (agg.know !== undefined) columns.push(time("knowledge_timestamp", agg.know));
      return pl.DataFrame(columns).sort(["timestamp", "asset_id"]);
    });
  }
}

/**
 * The resampling at the source period with eager Polars calls (no query plan): the same
 * columns as the expression path when `timestamp` is already Datetime(ms, UTC) and the VWAP
 * price is `close` of type Float64 (else `undefined`: use the expression path).
 */
function _passThrough(
  df: pl.DataFrame,
  P: number,
  order: readonly string[],
  typical: boolean,
): pl.DataFrame | undefined {
  const ts = df.getColumn("timestamp");
  const close = df.getColumn("close");
  if (typical || !ts.dtype.equals(pl.Datetime("ms", "UTC")) || !close.dtype.equals(pl.Float64)) {
    return undefined;
  }
  const start = ts.cast(pl.Int64).minus(pl.Series("", [P]).cast(pl.Int64)).cast(
    pl.Datetime("ms", "UTC"),
  ).alias("start_timestamp");
  const out = df.select(...order.filter((c) => c !== "start_timestamp" && c !== "vwap"));
  out.insertAtIdx(order.indexOf("start_timestamp"), start);
  out.insertAtIdx(order.indexOf("vwap"), close.alias("vwap"));
  return _sameRows(df, out, ["start_timestamp", "vwap"]);
}

type _Columns = {
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  know: Float64Array | undefined;
};

/**
 * Aggregates each asset's consecutive rows with the same period label, in time order, with
 * plain sequential sums (Polars' group-by sums are not bit-reproducible across frame
 * layouts), keeping only complete periods (see `ResampleNode`).
 */
function _aggregate(
  layout: _AssetLayout,
  P: number,
  source: number,
  typical: boolean,
  c: _Columns,
) {
  const n = c.ts.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = c.ts[i] as number;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const label: number[] = [];
  const firstRow: number[] = [];
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  const vwap: number[] = [];
  const know: number[] = [];
  const { order, offsets } = layout;
  for (let g = 0; g + 1 < offsets.length; g++) {
    let k = offsets[g] as number;
    const end = offsets[g + 1] as number;
    while (k < end) {
      const first = order[k] as number;
      const t0 = c.ts[first] as number;
      const l = t0 + ((P - (t0 % P)) % P);
      let h = -Infinity;
      let lw = Infinity;
      let v = 0;
      let pv = 0;
      let psum = 0;
      let count = 0;
      let kt = -Infinity;
      let last = first;
      for (; k < end; k++) {
        const i = order[k] as number;
        if ((c.ts[i] as number) > l) break;
        const hi_ = c.high[i] as number;
        const lo_ = c.low[i] as number;
        const cl = c.close[i] as number;
        const vol = c.volume[i] as number;
        const price = typical ? (hi_ + lo_ + cl) / 3 : cl;
        if (hi_ > h) h = hi_;
        if (lo_ < lw) lw = lo_;
        v += vol;
        pv += price * vol;
        psum += price;
        count++;
        if (c.know !== undefined && (c.know[i] as number) > kt) kt = c.know[i] as number;
        last = i;
      }
      if (l > hi || l - P + source < lo) continue;
      label.push(l);
      firstRow.push(first);
      open.push(c.open[first] as number);
      high.push(h);
      low.push(lw);
      close.push(c.close[last] as number);
      volume.push(v);
      vwap.push(v > 0 ? pv / v : psum / count);
      know.push(kt);
    }
  }
  const f = (x: number[]) => Float64Array.from(x);
  return {
    label: f(label),
    firstRow: Uint32Array.from(firstRow),
    open: f(open),
    high: f(high),
    low: f(low),
    close: f(close),
    volume: f(volume),
    vwap: f(vwap),
    know: c.know === undefined ? undefined : f(know),
  };
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
