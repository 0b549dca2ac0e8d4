/**
 * A small, dependency-free SVG line chart of a time series (no DOM, deterministic: the same
 * series gives the same bytes): title, UTC time axis, value axis with "nice" ticks, grid, the
 * line (NaN breaks it), optionally the area between the line and zero (drawdowns).
 *
 * Long series are reduced to at most four points per horizontal pixel — the first, lowest,
 * highest and last of each pixel column (the M4 reduction) — which draws exactly the same
 * picture as every point. The SVG holds no ids, scripts or external references, so several
 * charts can be inlined in one HTML page.
 */

/** Options of `renderLineChart`. */
export interface LineChartOptions {
  /** Width in px. Default: 960. */
  width?: number | undefined;
  /** Height in px. Default: 320. */
  height?: number | undefined;
  /** Title drawn at the top. Default: none. */
  title?: string | undefined;
  /** Line colour. Default: `#1f77b4`. */
  color?: string | undefined;
  /** Fill the area between the line and zero. Default: false. */
  fillToZero?: boolean | undefined;
  /** Value labels: plain numbers, or fractions shown as percentages. Default: `number`. */
  format?: "number" | "percent" | undefined;
  /** Text shown when the series is empty. Default: `no bars in this window`. */
  emptyText?: string | undefined;
}

const _FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";
const _MARGIN = { left: 78, right: 20, top: 34, bottom: 40 };
const _MINUTE = 60_000;
const _HOUR = 60 * _MINUTE;
const _DAY = 24 * _HOUR;
const _TIME_STEPS = [
  _MINUTE,
  2 * _MINUTE,
  5 * _MINUTE,
  10 * _MINUTE,
  15 * _MINUTE,
  30 * _MINUTE,
  _HOUR,
  2 * _HOUR,
  3 * _HOUR,
  6 * _HOUR,
  12 * _HOUR,
  _DAY,
  2 * _DAY,
  7 * _DAY,
  14 * _DAY,
  28 * _DAY,
  91 * _DAY,
  182 * _DAY,
  364 * _DAY,
];

/**
 * Renders `y` against the times `x` (epoch ms, ascending, same length) as an SVG document
 * string.
 */
export function renderLineChart(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: LineChartOptions = {},
): string {
  const width = options.width ?? 960;
  const height = options.height ?? 320;
  const color = options.color ?? "#1f77b4";
  const percent = options.format === "percent";
  const plotW = width - _MARGIN.left - _MARGIN.right;
  const plotH = height - _MARGIN.top - _MARGIN.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="${_FONT}" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title !== undefined) {
    parts.push(
      `<text x="${_MARGIN.left}" y="22" font-size="14" font-weight="bold" fill="#222222">${
        escapeXml(options.title)
      }</text>`,
    );
  }
  const n = Math.min(x.length, y.length);
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number;
    if (!Number.isFinite(yi)) continue;
    const xi = x[i] as number;
    if (xi < xMin) xMin = xi;
    if (xi > xMax) xMax = xi;
    if (yi < yMin) yMin = yi;
    if (yi > yMax) yMax = yi;
  }
  const frame = `<rect x="${_MARGIN.left}" y="${_MARGIN.top}" width="${plotW}" height="${plotH}" ` +
    `fill="none" stroke="#999999" stroke-width="1"/>`;
  if (!Number.isFinite(xMin)) {
    parts.push(
      frame,
      `<text x="${_MARGIN.left + plotW / 2}" y="${_MARGIN.top + plotH / 2}" text-anchor="middle" ` +
        `fill="#777777">${escapeXml(options.emptyText ?? "no bars in this window")}</text>`,
      "</svg>",
    );
    return parts.join("\n") + "\n";
  }
  if (options.fillToZero) {
    yMin = Math.min(yMin, 0);
    yMax = Math.max(yMax, 0);
  }
  if (xMax === xMin) {
    xMin -= _MINUTE;
    xMax += _MINUTE;
  }
  if (yMax === yMin) {
    const pad = yMax === 0 ? (percent ? 0.01 : 1) : Math.abs(yMax) * 0.1;
    yMin -= pad;
    yMax += pad;
  } else {
    const pad = (yMax - yMin) * 0.05;
    if (!(options.fillToZero && yMax === 0)) yMax += pad;
    if (!(options.fillToZero && yMin === 0)) yMin -= pad;
  }
  const px = (t: number) => _MARGIN.left + (t - xMin) / (xMax - xMin) * plotW;
  const py = (v: number) => _MARGIN.top + (yMax - v) / (yMax - yMin) * plotH;

  // Grid and value ticks.
  const yStep = _niceStep((yMax - yMin) / 5);
  const decimals = Math.max(0, -Math.floor(Math.log10(yStep * (percent ? 100 : 1)) + 1e-9));
  const grid: string[] = [];
  const labels: string[] = [];
  for (let v = Math.ceil(yMin / yStep) * yStep; v <= yMax + yStep * 1e-9; v += yStep) {
    const yy = _fmt(py(v));
    grid.push(`<line x1="${_MARGIN.left}" y1="${yy}" x2="${_MARGIN.left + plotW}" y2="${yy}"/>`);
    labels.push(
      `<text x="${_MARGIN.left - 6}" y="${_fmt(py(v) + 4)}" text-anchor="end">${
        _formatValue(Math.abs(v) < yStep * 1e-9 ? 0 : v, decimals, percent)
      }</text>`,
    );
  }
  const span = xMax - xMin;
  const tStep = _TIME_STEPS.find((s) => span / s <= 7) ??
    364 * _DAY * Math.ceil(span / (7 * 364 * _DAY));
  for (let t = Math.ceil(xMin / tStep) * tStep; t <= xMax; t += tStep) {
    const xx = _fmt(px(t));
    grid.push(`<line x1="${xx}" y1="${_MARGIN.top}" x2="${xx}" y2="${_MARGIN.top + plotH}"/>`);
    labels.push(
      `<text x="${xx}" y="${_MARGIN.top + plotH + 16}" text-anchor="middle">${
        _formatTimeTick(t, tStep, span)
      }</text>`,
    );
  }
  parts.push(`<g stroke="#e6e6e6" stroke-width="1">`, ...grid, `</g>`);
  parts.push(`<g fill="#444444">`, ...labels, `</g>`);
  parts.push(
    `<text x="${width - _MARGIN.right}" y="${height - 6}" text-anchor="end" fill="#777777" ` +
      `font-size="11">UTC</text>`,
  );
  if (yMin < 0 && yMax > 0) {
    const y0 = _fmt(py(0));
    parts.push(
      `<line x1="${_MARGIN.left}" y1="${y0}" x2="${
        _MARGIN.left + plotW
      }" y2="${y0}" stroke="#888888" stroke-width="1"/>`,
    );
  }

  // The series, reduced per pixel column, split at NaN.
  const segments = _segments(x, y, n, px, plotW);
  const line: string[] = [];
  const area: string[] = [];
  const zero = _fmt(py(Math.min(Math.max(0, yMin), yMax)));
  for (const seg of segments) {
    if (seg.length === 0) continue;
    const pts = seg.map(([t, v]) => `${_fmt(px(t))},${_fmt(py(v))}`);
    line.push(`M${pts.join("L")}`);
    if (options.fillToZero) {
      const first = seg[0] as [number, number];
      const last = seg[seg.length - 1] as [number, number];
      area.push(`M${_fmt(px(first[0]))},${zero}L${pts.join("L")}L${_fmt(px(last[0]))},${zero}Z`);
    }
  }
  if (area.length > 0) {
    parts.push(`<path d="${area.join("")}" fill="${color}" fill-opacity="0.25" stroke="none"/>`);
  }
  if (segments.length === 1 && segments[0]?.length === 1) {
    const [t, v] = segments[0][0] as [number, number];
    parts.push(`<circle cx="${_fmt(px(t))}" cy="${_fmt(py(v))}" r="3" fill="${color}"/>`);
  } else {
    parts.push(
      `<path d="${line.join("")}" fill="none" stroke="${color}" stroke-width="1.5" ` +
        `stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  }
  parts.push(frame, "</svg>");
  return parts.join("\n") + "\n";
}

/** Escapes text for XML / HTML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Splits at NaN and reduces each pixel column to its first, min, max and last points. */
function _segments(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  px: (t: number) => number,
  plotW: number,
): [number, number][][] {
  const reduce = n > 4 * plotW;
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  let column = NaN;
  let bucket: number[] = [];
  const flush = () => {
    if (bucket.length === 0) return;
    if (bucket.length <= 4) {
      for (const i of bucket) current.push([x[i] as number, y[i] as number]);
    } else {
      const firstI = bucket[0] as number;
      const lastI = bucket[bucket.length - 1] as number;
      let minI = firstI, maxI = firstI;
      for (const i of bucket) {
        if ((y[i] as number) < (y[minI] as number)) minI = i;
        if ((y[i] as number) > (y[maxI] as number)) maxI = i;
      }
      for (const i of [...new Set([firstI, minI, maxI, lastI])].sort((p, q) => p - q)) {
        current.push([x[i] as number, y[i] as number]);
      }
    }
    bucket = [];
  };
  for (let i = 0; i < n; i++) {
    const v = y[i] as number;
    if (!Number.isFinite(v)) {
      flush();
      if (current.length > 0) segments.push(current);
      current = [];
      column = NaN;
      continue;
    }
    if (!reduce) {
      current.push([x[i] as number, v]);
      continue;
    }
    const c = Math.floor(px(x[i] as number));
    if (c !== column) {
      flush();
      column = c;
    }
    bucket.push(i);
  }
  flush();
  if (current.length > 0) segments.push(current);
  return segments;
}

/** The 1-2-5 step at or above `raw`. */
function _niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

function _fmt(v: number): string {
  const r = Math.round(v * 10) / 10;
  const s = (r === 0 ? 0 : r).toFixed(1);
  return s.endsWith(".0") ? s.slice(0, -2) : s;
}

function _formatValue(v: number, decimals: number, percent: boolean): string {
  const x = percent ? v * 100 : v;
  const abs = Math.abs(x);
  const text = abs >= 1e6 && !percent
    ? `${_group((abs / 1e6).toFixed(Math.max(0, decimals - 6)))}M`
    : _group(abs.toFixed(Math.min(decimals, 8)));
  return `${x < 0 && abs > 0 ? "−" : ""}${text}${percent ? "%" : ""}`;
}

function _group(text: string): string {
  const [int, frac] = text.split(".");
  const grouped = (int ?? "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

function _formatTimeTick(t: number, step: number, span: number): string {
  const iso = new Date(t).toISOString();
  if (step >= _DAY) return iso.slice(0, 10);
  if (span > _DAY) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 16);
}
