import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { DataError } from "../errors/mod.ts";
import { decodePng } from "./decode_png.ts";
import { svgToPng } from "./svg_to_png.ts";

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(data, 8);
  return out; // the CRC is not checked by the decoder
}

Deno.test("decodePng() decodes every filter type of an RGB image", () => {
  // 3x2 RGB: row 0 filter 1 (sub), row 1 filter 4 (paeth).
  const pixels = [[10, 20, 30, 40, 50, 60, 70, 80, 90], [15, 25, 35, 45, 55, 65, 75, 85, 95]];
  const raw: number[] = [];
  raw.push(1, ...pixels[0]!.map((v, i) => (v - (i >= 3 ? pixels[0]![i - 3]! : 0)) & 0xff));
  raw.push(
    4,
    ...pixels[1]!.map((v, i) => {
      const a = i >= 3 ? pixels[1]![i - 3]! : 0,
        b = pixels[0]![i]!,
        c = i >= 3 ? pixels[0]![i - 3]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      return (v - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
    }),
  );
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 3);
  new DataView(ihdr.buffer).setUint32(4, 2);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(raw)))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const png = decodePng(bytes);
  assert.equal(png.width, 3);
  assert.equal(png.height, 2);
  assert.deepEqual([...png.rgba.subarray(12, 16)], [15, 25, 35, 255]);
  assert.deepEqual([...png.rgba.subarray(20, 24)], [75, 85, 95, 255]);
});

Deno.test("svgToPng() renders an SVG that decodePng() reads back at its size", async () => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">` +
    `<rect width="40" height="20" fill="#ffffff"/><rect x="10" y="5" width="20" height="10" fill="#ff0000"/></svg>`;
  const png = decodePng(await svgToPng(svg));
  assert.equal(png.width, 40);
  assert.equal(png.height, 20);
  const at = (
    x: number,
    y: number,
  ) => [...png.rgba.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 4)];
  assert.deepEqual(at(20, 10), [255, 0, 0, 255]);
  assert.deepEqual(at(2, 2), [255, 255, 255, 255]);
  assert.equal(decodePng(await svgToPng(svg, { width: 80 })).height, 40);
});

Deno.test("decodePng() refuses what is not a PNG", () => {
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3])), DataError);
  assert.throws(
    () => decodePng(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 0])),
    DataError,
  );
});
