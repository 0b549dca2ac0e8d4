import assert from "node:assert/strict";
import { escapeXml, renderLineChart } from "./svg_line_chart.ts";

const T = Date.UTC(2025, 0, 6);
const M5 = 300_000;

Deno.test("renderLineChart() draws a deterministic SVG with title, ticks and one path", () => {
  const x = Array.from({ length: 50 }, (_, i) => T + i * M5);
  const y = x.map((_, i) => Math.sin(i / 5) * 100);
  const svg = renderLineChart(x, y, { title: "PnL <a&b>", width: 400, height: 200 });
  assert.equal(svg, renderLineChart(x, y, { title: "PnL <a&b>", width: 400, height: 200 }));
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="400" height="200"/);
  assert.match(svg, /PnL &lt;a&amp;b&gt;/);
  assert.equal((svg.match(/<path /g) ?? []).length, 1);
  assert.equal((svg.match(/M/g) ?? []).length, 1);
  assert.match(svg, />−100</); // a value tick, with a real minus sign
  assert.match(svg, />02:00</); // a time tick (HH:MM inside one day)
  assert.doesNotMatch(svg, /NaN|id=|<script/);
});

Deno.test("renderLineChart() breaks the line at NaN, fills to zero, and handles 0 and 1 points", () => {
  const x = [T, T + M5, T + 2 * M5, T + 3 * M5];
  const svg = renderLineChart(x, [0, -0.1, NaN, -0.05], { fillToZero: true, format: "percent" });
  const line = svg.match(/<path d="([^"]*)" fill="none"/)?.[1] ?? "";
  assert.equal((line.match(/M/g) ?? []).length, 2);
  assert.match(svg, /fill-opacity="0.25"/);
  assert.match(svg, />−10%</);
  assert.match(renderLineChart([], []), /no bars in this window/);
  assert.match(renderLineChart([T], [5]), /<circle /);
});

Deno.test("renderLineChart() reduces long series to at most four points per pixel column", () => {
  const n = 100_000;
  const x = Float64Array.from({ length: n }, (_, i) => T + i * M5);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 100) + (i === 54_321 ? 5 : 0));
  const svg = renderLineChart(x, y, { width: 500 });
  const path = svg.match(/<path d="M([^"]*)" fill="none"/)?.[1] ?? "";
  const ys = path.split("L").map((p) => Number(p.split(",")[1]));
  assert.ok(ys.length <= 4 * 500, `${ys.length} points`);
  assert.ok(ys.length > 500, `${ys.length} points`);
  // The one-bar spike to ~6 survives the reduction: it is drawn above the grid line of 4
  // (the sine alone never exceeds 1).
  const four = Number(svg.match(/<text x="72" y="([\d.]+)" text-anchor="end">4</)?.[1]) - 4;
  assert.ok(Math.min(...ys) < four, `top ${Math.min(...ys)} vs line of 4 at ${four}`);
});

Deno.test("escapeXml() escapes markup characters", () => {
  assert.equal(
    escapeXml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});
