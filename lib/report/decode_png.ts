/**
 * A minimal PNG decoder (8-bit, non-interlaced: what resvg and Chromium write) for checking
 * rendered images — size and pixels — without a native dependency. Inflate is `node:zlib`.
 */
import { inflateSync } from "node:zlib";
import { DataError } from "../errors/mod.ts";

/** A decoded image: RGBA pixels, row by row. */
export interface DecodedPng {
  /** Width, px. */
  width: number;
  /** Height, px. */
  height: number;
  /** `width × height × 4` bytes, RGBA. */
  rgba: Uint8Array;
}

const _SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * Decodes PNG bytes (bit depth 8; grey, grey+alpha, RGB, RGBA or palette; not interlaced).
 * Throws `DataError` on anything else or on a corrupt file.
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (bytes.length < 8 || _SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new DataError("Cannot decode PNG: not a PNG file (bad signature)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (data.length !== length) throw new DataError(`Cannot decode PNG: truncated ${type} chunk`);
    if (type === "IHDR") {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      depth = bytes[offset + 16] as number;
      colorType = bytes[offset + 17] as number;
      interlace = bytes[offset + 20] as number;
    } else if (type === "PLTE") palette = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    offset += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (width === 0 || height === 0 || channels === undefined) {
    throw new DataError("Cannot decode PNG: missing or invalid IHDR");
  }
  if (depth !== 8 || interlace !== 0) {
    throw new DataError(
      `Cannot decode PNG: bit depth ${depth}, interlace ${interlace} (only 8-bit, non-interlaced)`,
    );
  }
  let raw: Uint8Array;
  try {
    const total = idat.reduce((s, d) => s + d.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const d of idat) {
      joined.set(d, at);
      at += d.length;
    }
    raw = new Uint8Array(inflateSync(joined));
  } catch (error) {
    throw new DataError("Cannot decode PNG: corrupt image data", { cause: error });
  }
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) {
    throw new DataError("Cannot decode PNG: image data shorter than its size");
  }
  const samples = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = samples.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? samples.subarray((y - 1) * stride, y * stride) : undefined;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] as number : 0;
      const b = prev === undefined ? 0 : prev[i] as number;
      const c = prev === undefined || i < channels ? 0 : prev[i - channels] as number;
      const x = line[i] as number;
      let v: number;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new DataError(`Cannot decode PNG: unknown filter ${filter} on row ${y}`);
      }
      out[i] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    let r: number, g: number, b: number, alpha = 255;
    if (colorType === 3) {
      const k = (samples[s] as number) * 3;
      if (palette === undefined || k + 2 >= palette.length) {
        throw new DataError("Cannot decode PNG: palette index out of range");
      }
      r = palette[k] as number;
      g = palette[k + 1] as number;
      b = palette[k + 2] as number;
    } else if (channels <= 2) {
      r = g = b = samples[s] as number;
      if (channels === 2) alpha = samples[s + 1] as number;
    } else {
      r = samples[s] as number;
      g = samples[s + 1] as number;
      b = samples[s + 2] as number;
      if (channels === 4) alpha = samples[s + 3] as number;
    }
    rgba.set([r, g, b, alpha], p * 4);
  }
  return { width, height, rgba };
}
