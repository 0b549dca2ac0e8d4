import assert from "node:assert/strict";
import { Config } from "./config.ts";
import { diff, formatDiff } from "./config_diff.ts";

Deno.test("diff() lists changed, removed and added leaves", () => {
  const a = Config.fromObject({ dag: { fast: 10, slow: 50 }, fees: 10, symbols: ["BTC/USDT"] });
  const b = Config.fromObject({ dag: { fast: 12, slow: 50, mid: 20 }, symbols: ["BTC/USDT"] });
  assert.deepEqual(diff(a, b), [
    { key: "dag.fast", kind: "changed", before: 10, after: 12 },
    { key: "fees", kind: "removed", before: 10, after: undefined },
    { key: "dag.mid", kind: "added", before: undefined, after: 20 },
  ]);
});

Deno.test("diff() of equal configs is empty, whatever the marks and writers", () => {
  const a = Config.fromObject({ x: { y: [1, { k: "v" }] } }, { writer: "a" });
  const b = Config.fromObject({ x: { y: [1, { k: "v" }] } }, { writer: "b" });
  b.getAndMarkAsUsed("x");
  assert.deepEqual(diff(a, b), []);
});

Deno.test("diff() compares arrays deeply and tells 5 from '5'", () => {
  const a = Config.fromObject({ arr: [1, [2]], n: 5 });
  const b = Config.fromObject({ arr: [1, [3]], n: "5" });
  assert.deepEqual(diff(a, b).map((d) => d.key), ["arr", "n"]);
});

Deno.test("diff() shows a leaf turned subconfig as removed plus added", () => {
  const a = Config.fromObject({ sma: 5 });
  const b = Config.fromObject({ sma: { fast: 5 } });
  assert.deepEqual(diff(a, b).map((d) => `${d.kind} ${d.key}`), ["removed sma", "added sma.fast"]);
});

Deno.test("formatDiff() prints one line per entry", () => {
  const a = Config.fromObject({ start: "2025-01-01", n: 1, gone: true });
  const b = Config.fromObject({ start: "2025-02-01", n: 1, s: "5" });
  assert.equal(
    formatDiff(diff(a, b)),
    ["~ start: 2025-01-01 -> 2025-02-01", "- gone: true", '+ s: "5"'].join("\n"),
  );
  assert.equal(formatDiff([]), "");
});
