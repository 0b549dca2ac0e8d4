/**
 * SVG → PNG with resvg (`@resvg/resvg-js`, a native addon that loads under Deno with
 * `nodeModulesDir: auto`), imported on first use so that the commands that never draw (and
 * every area importing `lib/report` for its statistics) do not load it. Text needs fonts: the
 * system's fonts are loaded (the charts ask for DejaVu Sans, then Arial, Helvetica, any
 * sans-serif); without any font the text is simply not drawn, the lines and areas are.
 */
import { DagtradeError } from "../errors/mod.ts";

type _ResvgModule = typeof import("@resvg/resvg-js");
let _resvg: Promise<_ResvgModule> | undefined;

function _loadResvg(): Promise<_ResvgModule> {
  // Loaded on first use: only commands that draw PNGs pay for the native addon.
  _resvg ??= import("@resvg/resvg-js");
  return _resvg;
}

/** Options of `svgToPng`. */
export interface SvgToPngOptions {
  /** Output width in px (the height keeps the aspect ratio). Default: the SVG's width. */
  width?: number | undefined;
  /** Background colour. Default: `#ffffff`. */
  background?: string | undefined;
  /** Load the system's fonts for text. Default: true. */
  loadSystemFonts?: boolean | undefined;
}

/**
 * Renders an SVG document to PNG bytes. Throws `DagtradeError` when resvg cannot be loaded or
 * rejects the SVG.
 */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<Uint8Array> {
  let Resvg: _ResvgModule["Resvg"];
  try {
    Resvg = (await _loadResvg()).Resvg;
  } catch (error) {
    throw new DagtradeError(
      `Cannot load the PNG renderer @resvg/resvg-js: ${
        error instanceof Error ? error.message : String(error)
      }; use --no-png to write SVG plots only`,
      { cause: error },
    );
  }
  try {
    const resvg = new Resvg(svg, {
      background: options.background ?? "#ffffff",
      fitTo: options.width === undefined
        ? { mode: "original" }
        : { mode: "width", value: options.width },
      font: {
        loadSystemFonts: options.loadSystemFonts ?? true,
        defaultFontFamily: "DejaVu Sans",
        sansSerifFamily: "DejaVu Sans",
      },
      logLevel: "off",
    });
    return new Uint8Array(resvg.render().asPng());
  } catch (error) {
    throw new DagtradeError(
      `Cannot render a PNG from the SVG: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
