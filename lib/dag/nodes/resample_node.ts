/** `ResampleNode`: causal resampling of bars to a coarser period (right-closed, right-labelled). */
import { ConfigError, DataError } from "../../errors/mod.ts";
import { type Column, ColumnFrame, f64Column, i64Column, timeColumn } from "../../frame/mod.ts";
import { parseTimeframe } from "../../sim/bar_schema.ts";
import { TransformNode } from "../node.ts";
import type { LookbackNode } from "./lookback_node.ts";
import type { _AssetLayout } from "./_frame.ts";
import { _layout, _numbers, _numericColumn, _requireCols } from "./_columns.ts";
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
  override transformColumns(frame: ColumnFrame): ColumnFrame {
    const id = this.id;
    _requireCols(id, frame, ["timestamp", "asset_id", ..._OHLCV], "");
    const P = this.periodMs;
    const typical = this.config.vwap_price === "typical";
    const ts = _numbers(id, frame, "timestamp");
    const symbol = frame.has("full_symbol") ? frame.column("full_symbol") : undefined;
    const hasKnow = frame.has("knowledge_timestamp");
    if (P === this.sourcePeriodMs) {
      // The identity on the bar columns (same rows and keys: the key cache is shared), plus
      // start_timestamp and vwap. Columns pass through untouched — with their types, and without
      // being read into JS when they came from Polars (large frames).
      const start = new Float64Array(ts.length);
      for (let i = 0; i < ts.length; i++) start[i] = (ts[i] as number) - P;
      const close = _numbers(id, frame, "close");
      const vwap = typical
        ? _typical(_numbers(id, frame, "high"), _numbers(id, frame, "low"), close)
        : close;
      const ids = _numericColumn(id, frame, "asset_id"); // kind only: not read into JS
      const know = hasKnow ? frame.column("knowledge_timestamp") : undefined;
      if (know !== undefined && know.kind !== "time") {
        throw new DataError(
          `Node ${id}: column 'knowledge_timestamp' is not a time column; fix the node's input`,
        );
      }
      return _output({
        ts: frame.column("timestamp"),
        start: timeColumn(start),
        ids,
        symbol,
        ohlcv: _OHLCV.map((c) => frame.column(c)),
        vwap: f64Column(vwap),
        know,
      }, frame.keyCache());
    }
    const ids = _numbers(id, frame, "asset_id");
    const [open, high, low, close, volume] = _OHLCV.map((c) => _numbers(id, frame, c)) as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const know = hasKnow ? _numbers(id, frame, "knowledge_timestamp") : undefined;
    const layout = _layout(id, frame);
    const agg = _aggregate(layout, P, this.sourcePeriodMs, typical, {
      ts,
      ids,
      open,
      high,
      low,
      close,
      volume,
      know,
    });
    return _output({
      ts: timeColumn(agg.label),
      start: timeColumn(agg.start),
      ids: i64Column(agg.ids),
      symbol: symbol === undefined
        ? undefined
        : frame.select(["full_symbol"]).gather(agg.firstRow).column("full_symbol"),
      ohlcv: [agg.open, agg.high, agg.low, agg.close, agg.volume].map(f64Column),
      vwap: f64Column(agg.vwap),
      know: agg.know === undefined ? undefined : timeColumn(agg.know),
    });
  }
}

const _OHLCV = ["open", "high", "low", "close", "volume"] as const;

/** The output frame in the node's column order (`keyCache`: when its keys are the input's). */
function _output(c: {
  ts: Column;
  start: Column;
  ids: Column;
  symbol: Column | undefined;
  ohlcv: readonly Column[];
  vwap: Column;
  know: Column | undefined;
}, keyCache?: Map<string, unknown>): ColumnFrame {
  const cols: [string, Column][] = [["timestamp", c.ts], ["start_timestamp", c.start], [
    "asset_id",
    c.ids,
  ]];
  if (c.symbol !== undefined) cols.push(["full_symbol", c.symbol]);
  _OHLCV.forEach((name, k) => cols.push([name, c.ohlcv[k] as Column]));
  cols.push(["vwap", c.vwap]);
  if (c.know !== undefined) cols.push(["knowledge_timestamp", c.know]);
  return keyCache === undefined ? new ColumnFrame(cols) : new ColumnFrame(cols, { keyCache });
}

/** `(high + low + close) / 3` per row. */
function _typical(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const out = new Float64Array(close.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = ((high[i] as number) + (low[i] as number) + (close[i] as number)) / 3;
  }
  return out;
}

/** The input columns of `_aggregate` (`know`: knowledge times, when present). */
type _Bars = {
  ts: Float64Array;
  ids: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  know: Float64Array | undefined;
};

/** The resampled bars: one value per output row, sorted by (timestamp, asset_id). */
type _Resampled = {
  label: Float64Array;
  start: Float64Array;
  ids: Float64Array;
  /** The input row of each output row's first source bar. */
  firstRow: Uint32Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  vwap: Float64Array;
  know: Float64Array | undefined;
};

/**
 * Aggregates each asset's consecutive rows with the same period label, keeping only complete
 * periods (see `ResampleNode`), with plain sequential sums in time order (Polars' group-by
 * sums are not bit-reproducible across frame layouts). Two passes over the rows in frame
 * order (sequential reads, the per-asset state in small arrays): the first finds the periods
 * and their output rows, the second aggregates.
 */
function _aggregate(
  layout: _AssetLayout,
  P: number,
  source: number,
  typical: boolean,
  c: _Bars,
): _Resampled {
  const { ts, ids, open, high, low, close, volume, know } = c;
  const n = ts.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const { offsets } = layout;
  const groups = offsets.length - 1;
  const s = layout.stride;
  const groupOf = s > 0 ? undefined : _groupOf(layout);
  const firstRowOf = (g: number) => s > 0 ? g : layout.order[offsets[g] as number] as number;
  // Each asset's rank by id: periods with the same label come out in asset_id order.
  const byId = Array.from({ length: groups }, (_, g) => g);
  byId.sort((a, b) => (ids[firstRowOf(a)] as number) - (ids[firstRowOf(b)] as number));
  const rank = new Int32Array(groups);
  byId.forEach((g, r) => {
    rank[g] = r;
  });
  const firstSource = source - P; // a period labelled L starts with the bar at L + firstSource
  // Emitted labels lie in [base, hi]; a dense grid (label, rank) gives each its output row.
  const base = lo + ((P - (lo % P)) % P);
  const buckets = hi >= base ? Math.round((hi - base) / P) + 1 : 0;
  const dense = buckets * groups <= n + 1024;
  const grid = dense ? new Int32Array(buckets * groups) : undefined;
  const sparse: { label: number[]; rank: number[] } = { label: [], rank: [] };
  const cur = new Float64Array(groups);

  // Pass 1: the emitted periods (a period starts at an asset's first row after its label).
  cur.fill(-Infinity);
  let m = 0;
  for (let i = 0, g = 0; i < n; i++) {
    if (groupOf !== undefined) g = groupOf[i] as number;
    const t = ts[i] as number;
    if (t > (cur[g] as number)) {
      const l = t + ((P - (t % P)) % P);
      cur[g] = l;
      if (l <= hi && l + firstSource >= lo) {
        m++;
        if (grid !== undefined) {
          grid[Math.round((l - base) / P) * groups + (rank[g] as number)] = 1;
        } else {
          sparse.label.push(l);
          sparse.rank.push(rank[g] as number);
        }
      }
    }
    if (groupOf === undefined && ++g === s) g = 0;
  }
  // Output rows: in grid order (dense), or by sorting the periods (in the order they start).
  let rowOf: Uint32Array | undefined;
  if (grid !== undefined) {
    for (let key = 0, row = 0; key < grid.length; key++) {
      grid[key] = grid[key] === 1 ? row++ : -1;
    }
  } else {
    const { label, rank: r } = sparse;
    const idx = Array.from({ length: m }, (_, q) => q);
    idx.sort((a, b) =>
      (label[a] as number) - (label[b] as number) || (r[a] as number) - (r[b] as number)
    );
    rowOf = new Uint32Array(m);
    idx.forEach((q, row) => {
      (rowOf as Uint32Array)[q] = row;
    });
  }

  const out: _Resampled = {
    label: new Float64Array(m),
    start: new Float64Array(m),
    ids: new Float64Array(m),
    firstRow: new Uint32Array(m),
    open: new Float64Array(m),
    high: new Float64Array(m),
    low: new Float64Array(m),
    close: new Float64Array(m),
    volume: new Float64Array(m),
    vwap: new Float64Array(m),
    know: know === undefined ? undefined : new Float64Array(m),
  };
  // Pass 2: each asset's running period: its output row (−1: not emitted) and sums.
  const dst = new Int32Array(groups);
  const h = new Float64Array(groups);
  const lw = new Float64Array(groups);
  const v = new Float64Array(groups);
  const pv = new Float64Array(groups);
  const psum = new Float64Array(groups);
  const count = new Float64Array(groups);
  const kt = new Float64Array(groups);
  const last = new Int32Array(groups);
  const flush = (g: number) => {
    const d = dst[g] as number;
    if (d < 0) return;
    const vol = v[g] as number;
    out.high[d] = h[g] as number;
    out.low[d] = lw[g] as number;
    out.close[d] = close[last[g] as number] as number;
    out.volume[d] = vol;
    out.vwap[d] = vol > 0 ? (pv[g] as number) / vol : (psum[g] as number) / (count[g] as number);
    if (out.know !== undefined) out.know[d] = kt[g] === -Infinity ? Number.NaN : kt[g] as number;
  };
  cur.fill(-Infinity);
  dst.fill(-1);
  let started = 0; // emitted periods started so far (their index in `sparse`)
  for (let i = 0, g = 0; i < n; i++) {
    if (groupOf !== undefined) g = groupOf[i] as number;
    const t = ts[i] as number;
    if (t > (cur[g] as number)) {
      flush(g);
      const l = t + ((P - (t % P)) % P);
      cur[g] = l;
      let d = -1;
      if (l <= hi && l + firstSource >= lo) {
        d = grid !== undefined
          ? grid[Math.round((l - base) / P) * groups + (rank[g] as number)] as number
          : (rowOf as Uint32Array)[started] as number;
        started++;
        out.label[d] = l;
        out.start[d] = l - P;
        out.ids[d] = ids[i] as number;
        out.firstRow[d] = i;
        out.open[d] = open[i] as number;
        h[g] = -Infinity;
        lw[g] = Infinity;
        v[g] = 0;
        pv[g] = 0;
        psum[g] = 0;
        count[g] = 0;
        kt[g] = -Infinity;
      }
      dst[g] = d;
    }
    if ((dst[g] as number) >= 0) {
      const hi_ = high[i] as number;
      const lo_ = low[i] as number;
      const cl = close[i] as number;
      const vol = volume[i] as number;
      const price = typical ? (hi_ + lo_ + cl) / 3 : cl;
      if (hi_ > (h[g] as number)) h[g] = hi_;
      if (lo_ < (lw[g] as number)) lw[g] = lo_;
      v[g] = (v[g] as number) + vol;
      pv[g] = (pv[g] as number) + price * vol;
      psum[g] = (psum[g] as number) + price;
      count[g] = (count[g] as number) + 1;
      if (know !== undefined && (know[i] as number) > (kt[g] as number)) kt[g] = know[i] as number;
      last[g] = i;
    }
    if (groupOf === undefined && ++g === s) g = 0;
  }
  for (let g = 0; g < groups; g++) flush(g);
  return out;
}

/** For each row, its asset group in the layout. */
function _groupOf(layout: _AssetLayout): Int32Array {
  const { order, offsets } = layout;
  const out = new Int32Array(order.length);
  for (let g = 0; g + 1 < offsets.length; g++) {
    for (let k = offsets[g] as number; k < (offsets[g + 1] as number); k++) {
      out[order[k] as number] = g;
    }
  }
  return out;
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
