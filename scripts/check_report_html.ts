/**
 * Checks a `dagtrade report` HTML file in headless Chromium (Debian's `chromium`):
 *
 * 1. loads it with `--dump-dom` and console logging on stderr, with every host name mapped to
 *    nothing (so a network fetch could not succeed): no console message (errors, uncaught
 *    exceptions) may appear; the DOM must hold the statistics table (Sharpe, Sortino, max
 *    drawdown, hit rate), at least two inline SVG plots, no script and no external reference
 *    (`src`/`href`/`url()` to http:, https: or //);
 * 2. takes a screenshot (`--window-size`, default 1280×2000) and checks that it decodes with
 *    that size and is not blank (many non-white pixels, several colours).
 *
 * Usage:
 *   deno run -A scripts/check_report_html.ts --html out/report/report.html [--screenshot out/report_check/screenshot.png]
 *   deno run -A scripts/check_report_html.ts --run out/demo/backtest_sma_cross   # writes the report first
 *
 * Exit code 0 when every check passes, 1 otherwise (each problem printed), 2 without Chromium.
 */
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { decodePng, parseReportWindow, writeReport } from "../lib/report/mod.ts";
import { RealClock } from "../lib/sim/mod.ts";

/** Options of `checkReportHtml`. */
export interface CheckReportHtmlOptions {
  /** Where to save the screenshot (PNG). Required. */
  screenshot: string;
  /** The Chromium binary. Default: `/usr/bin/chromium`. */
  chromium?: string | undefined;
  /** Window width, px. Default: 1280. */
  width?: number | undefined;
  /** Window height, px. Default: 2000. */
  height?: number | undefined;
}

/** What `checkReportHtml` found. */
export interface CheckReportHtmlResult {
  /** The screenshot written. */
  screenshot: string;
  /** Console lines Chromium logged for the page. */
  consoleMessages: string[];
  /** Inline SVG elements in the DOM. */
  svgCount: number;
  /** The screenshot's decoded size. */
  screenshotSize: { width: number; height: number };
  /** Pixels of the screenshot that are not white. */
  nonWhitePixels: number;
  /** Distinct colours in the screenshot. */
  colours: number;
  /** Every failed check (empty when all pass). */
  problems: string[];
}

/** The flags of a headless, offline, sandbox-less Chromium run. */
function _flags(userDataDir: string, width: number, height: number): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    `--user-data-dir=${userDataDir}`,
    `--window-size=${width},${height}`,
    "--enable-logging=stderr",
    "--v=0",
  ];
}

/** Runs the checks on `htmlPath` (see the module documentation). */
export async function checkReportHtml(
  htmlPath: string,
  options: CheckReportHtmlOptions,
): Promise<CheckReportHtmlResult> {
  const chromium = options.chromium ?? "/usr/bin/chromium";
  const width = options.width ?? 1280;
  const height = options.height ?? 2000;
  const url = `file://${resolve(htmlPath)}`;
  const problems: string[] = [];
  const userDataDir = await Deno.makeTempDir({ prefix: "report_check_chromium_" });
  try {
    const dump = await new Deno.Command(chromium, {
      args: [..._flags(join(userDataDir, "dom"), width, height), "--dump-dom", url],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dom = new TextDecoder().decode(dump.stdout);
    const log = new TextDecoder().decode(dump.stderr);
    if (dump.code !== 0) problems.push(`chromium --dump-dom exited with ${dump.code}`);
    const consoleMessages = log.split("\n").filter((l) =>
      /:CONSOLE[:(]|Uncaught|net::ERR_/.test(l)
    );
    for (const line of consoleMessages) problems.push(`console: ${line.trim()}`);
    for (const text of ["Statistics", "Sharpe", "Sortino", "max drawdown", "hit rate", "Calmar"]) {
      if (!dom.includes(text)) problems.push(`the page does not show '${text}'`);
    }
    const svgCount = (dom.match(/<svg[\s>]/g) ?? []).length;
    if (svgCount < 2) problems.push(`the page holds ${svgCount} inline SVG plots, expected >= 2`);
    if (/<script[\s>]/i.test(dom)) problems.push("the page holds a script");
    const external = dom.match(
      /(?:src|href)\s*=\s*["']?(?:https?:|\/\/)[^"'\s>]*|url\(\s*["']?(?:https?:|\/\/)[^)]*\)/gi,
    );
    if (external !== null) problems.push(`external references: ${external.slice(0, 5).join(", ")}`);
    if (!dom.includes("<path")) problems.push("the plots draw no line (no <path>)");

    await Deno.mkdir(dirname(options.screenshot), { recursive: true });
    const shot = await new Deno.Command(chromium, {
      args: [
        ..._flags(join(userDataDir, "shot"), width, height),
        `--screenshot=${resolve(options.screenshot)}`,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (shot.code !== 0) problems.push(`chromium --screenshot exited with ${shot.code}`);
    let screenshotSize = { width: 0, height: 0 };
    let nonWhitePixels = 0;
    let colours = 0;
    try {
      const png = decodePng(await Deno.readFile(options.screenshot));
      screenshotSize = { width: png.width, height: png.height };
      const seen = new Set<number>();
      for (let i = 0; i < png.rgba.length; i += 4) {
        const r = png.rgba[i] as number,
          g = png.rgba[i + 1] as number,
          b = png.rgba[i + 2] as number;
        if (r < 250 || g < 250 || b < 250) nonWhitePixels++;
        if (seen.size < 10_000) seen.add((r << 16) | (g << 8) | b);
      }
      colours = seen.size;
    } catch (error) {
      problems.push(
        `the screenshot does not decode: ${error instanceof Error ? error.message : error}`,
      );
    }
    if (screenshotSize.width !== width || screenshotSize.height !== height) {
      problems.push(
        `the screenshot is ${screenshotSize.width}x${screenshotSize.height}, expected ${width}x${height}`,
      );
    }
    if (nonWhitePixels < 0.01 * width * height || colours < 16) {
      problems.push(
        `the screenshot looks blank (${nonWhitePixels} non-white pixels, ${colours} colours)`,
      );
    }
    return {
      screenshot: options.screenshot,
      consoleMessages,
      svgCount,
      screenshotSize,
      nonWhitePixels,
      colours,
      problems,
    };
  } finally {
    await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      html: { type: "string" },
      run: { type: "string" },
      out: { type: "string", default: "out/report_check" },
      screenshot: { type: "string" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
    },
  });
  try {
    await Deno.stat(values.chromium);
  } catch {
    console.error(
      `no Chromium at ${values.chromium}: install it (apt-get install -y chromium) or pass --chromium`,
    );
    Deno.exit(2);
  }
  let html = values.html;
  if (html === undefined) {
    if (values.run === undefined) {
      console.error(
        "pass --html <report.html> or --run <run dir> (the report is written to --out)",
      );
      Deno.exit(2);
    }
    const result = await writeReport(values.run, {
      outDir: values.out,
      clock: new RealClock(),
      windows: ["all", "last:24h"].map(parseReportWindow),
    });
    if (result.status !== "written") {
      console.error("another report is running in " + values.out);
      Deno.exit(1);
    }
    html = join(values.out, "report.html");
  }
  const screenshot = values.screenshot ?? join(dirname(html), "screenshot.png");
  const result = await checkReportHtml(html, { screenshot, chromium: values.chromium });
  console.log(
    `${html}: ${result.svgCount} inline SVGs, ${result.consoleMessages.length} console messages; ` +
      `screenshot ${result.screenshot} ${result.screenshotSize.width}x${result.screenshotSize.height}, ` +
      `${result.nonWhitePixels} non-white pixels, ${result.colours} colours`,
  );
  for (const p of result.problems) console.log(`problem: ${p}`);
  Deno.exit(result.problems.length === 0 ? 0 : 1);
}
