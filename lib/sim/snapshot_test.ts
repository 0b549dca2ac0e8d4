import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import pl from "nodejs-polars";
import { readSnapshot, readSnapshotMeta, snapshotFormatOf, writeSnapshot } from "./snapshot.ts";
import { _makeBars, _setCell } from "./_test_bars.ts";
import { DataError, UsageError } from "../errors/mod.ts";

const CREATED = Date.UTC(2025, 5, 1, 12, 0);
const T0 = Date.UTC(2025, 0, 3, 10, 5);
const BAR = 300_000;

/** Bars with full-precision floats, to prove the CSV round trip is exact. */
function oddBars(): pl.DataFrame {
  return _makeBars({
    bars: 30,
    symbols: ["binance::BTC_USDT", "binance::ETH_USDT", "binance::ADA_USDT"],
    delayMs: 1234,
  })
    .withColumns(
      ...["open", "high", "low", "close"].map((c) => pl.col(c).mul(1.1 / 3).alias(c)),
      pl.col("volume").mul(1e-7 / 3).alias("volume"),
    );
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejects(
  promise: Promise<unknown>,
  pattern: RegExp,
  cls = DataError,
): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${caught}`);
  assert.match(caught.message, pattern);
  return caught;
}

for (const ext of ["parquet", "csv", "csv.gz"]) {
  Deno.test(`writeSnapshot()/readSnapshot() round-trip .${ext} exactly`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, `bars.${ext}`);
      const df = oddBars();
      const written = await writeSnapshot(df.sort("close"), path, {
        createdAt: CREATED,
        source: "test",
        knowledgeDelayMs: 1234,
      });
      const { bars, meta } = await readSnapshot(path);
      assert.ok(bars.frameEqual(df), "frames differ after the round trip");
      assert.deepEqual(bars.schema, df.schema);
      assert.deepEqual(meta, written);
      assert.equal(meta?.rows, 90);
      assert.equal(meta?.timeframe, "5m");
      assert.equal(meta?.exchange, "binance");
      assert.deepEqual(meta?.symbols, [
        "binance::ADA_USDT",
        "binance::BTC_USDT",
        "binance::ETH_USDT",
      ]);
      assert.deepEqual(meta?.delivered, { start: T0 - BAR, end: T0 + 29 * BAR });
      assert.equal(meta?.requested, null);
      assert.deepEqual(meta?.gaps, []);
      assert.equal(meta?.knowledgeDelayMs, 1234);
      assert.equal(meta?.createdAt, CREATED);
      const bytes = await Deno.readFile(path);
      assert.equal(meta?.sha256, createHash("sha256").update(bytes).digest("hex"));
      const json = JSON.parse(await Deno.readTextFile(`${path}.meta.json`));
      assert.equal(json.created_at, "2025-06-01T12:00:00.000Z");
      assert.equal(json.format_version, 1);
      assert.equal(json.knowledge_delay_ms, 1234);
      if (ext === "csv") {
        const text = new TextDecoder().decode(bytes);
        assert.match(
          text.split("\n")[1] ?? "",
          /^2025-01-03T10:05:00\.000Z,2025-01-03T10:00:00\.000Z,/,
        );
      }
      if (ext === "csv.gz") assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
      // Only the data file and its meta file: no temp file left behind.
      const names = [];
      for await (const e of Deno.readDir(dir)) names.push(e.name);
      assert.deepEqual(names.sort(), [`bars.${ext}`, `bars.${ext}.meta.json`]);
    });
  });
}

Deno.test("writeSnapshot() records the requested range, its gaps and missing symbols", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.parquet");
    const meta = await writeSnapshot(_makeBars({ bars: 4 }), path, {
      createdAt: CREATED,
      requested: { start: T0 - 2 * BAR, end: T0 + 3 * BAR },
      symbols: ["binance::SOL_USDT"],
    });
    assert.deepEqual(meta.requested, { start: T0 - 2 * BAR, end: T0 + 3 * BAR });
    assert.deepEqual(meta.symbols, ["binance::BTC_USDT", "binance::ETH_USDT", "binance::SOL_USDT"]);
    assert.deepEqual(meta.gaps.map((g) => [g.fullSymbol, g.from, g.to, g.missingBars]), [
      ["binance::BTC_USDT", T0 - BAR, T0 - BAR, 1],
      ["binance::ETH_USDT", T0 - BAR, T0 - BAR, 1],
      ["binance::SOL_USDT", T0 - BAR, T0 + 3 * BAR, 5],
    ]);
    const json = JSON.parse(await Deno.readTextFile(`${path}.meta.json`));
    assert.deepEqual(json.gaps[2], {
      full_symbol: "binance::SOL_USDT",
      asset_id: meta.gaps[2]?.assetId,
      from: "2025-01-03T10:00:00.000Z",
      to: "2025-01-03T10:20:00.000Z",
      missing_bars: 5,
    });
    assert.deepEqual(await readSnapshotMeta(path), meta);
  });
});

Deno.test("writeSnapshot() refuses invalid bars and unknown extensions", async () => {
  await withTempDir(async (dir) => {
    const bad = _setCell(_makeBars(), { row: 1, column: "high", value: 110.1 });
    const path = join(dir, "x.parquet");
    await rejects(
      writeSnapshot(bad, path, { createdAt: CREATED }),
      new RegExp(
        `^Cannot write snapshot ${path}: row 2025-01-03T10:05Z binance::BTC_USDT: high < close$`,
      ),
    );
    await rejects(
      writeSnapshot(_makeBars(), join(dir, "x.json"), { createdAt: CREATED }),
      /unknown file type; accepted: \.parquet, \.csv, \.csv\.gz/,
      UsageError,
    );
    await rejects(
      writeSnapshot(_makeBars().head(0), path, { createdAt: CREATED }),
      /pass a timeframe/,
      UsageError,
    );
    const empty = await writeSnapshot(_makeBars().head(0), path, {
      createdAt: CREATED,
      timeframe: "5m",
    });
    assert.equal(empty.delivered, null);
    assert.equal((await readSnapshot(path)).bars.height, 0);
  });
});

Deno.test("readSnapshot() rejects a data file that does not match its meta file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.csv");
    await writeSnapshot(_makeBars(), path, { createdAt: CREATED });
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.replace("10.0", "10.5"));
    await rejects(
      readSnapshot(path),
      new RegExp(`snapshot ${path} does not match its meta file \\(sha256\\); re-create it`),
    );
  });
});

Deno.test("readSnapshot() names a truncated or foreign Parquet file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.parquet");
    const bytes = _makeBars().writeParquet();
    await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const e = await rejects(
      readSnapshot(path),
      new RegExp(
        `^Cannot load snapshot ${path}: not a readable Parquet file \\(.+\\); re-create it$`,
      ),
    );
    assert.ok(e.cause instanceof Error, "the Polars error is kept as cause");
    await Deno.writeTextFile(path, "timestamp,open\n2025-01-03,1\n");
    await rejects(
      readSnapshot(path),
      new RegExp(`^Cannot load snapshot ${path}: not a readable Parquet file`),
    );
  });
});

Deno.test("readSnapshot() rejects missing, empty and unknown files", async () => {
  await withTempDir(async (dir) => {
    await rejects(
      readSnapshot(join(dir, "none.parquet")),
      /Cannot load snapshot .*none\.parquet: file not found/,
    );
    await Deno.writeFile(join(dir, "empty.csv"), new Uint8Array());
    await rejects(
      readSnapshot(join(dir, "empty.csv")),
      /Cannot load snapshot .*empty\.csv: the file is empty/,
    );
    await rejects(
      readSnapshot(join(dir, "x.feather")),
      /unknown file type; accepted: \.parquet, \.csv, \.csv\.gz/,
    );
    await Deno.writeTextFile(join(dir, "x.csv.gz"), "not gzip");
    await rejects(readSnapshot(join(dir, "x.csv.gz")), /x\.csv\.gz: not a readable gzip file/);
  });
});

Deno.test("readSnapshot() validates CSV cells and rows", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.csv");
    await writeSnapshot(_makeBars(), path, { createdAt: CREATED });
    await Deno.remove(`${path}.meta.json`);
    const lines = (await Deno.readTextFile(path)).split("\n");
    const header = (lines[0] ?? "").split(",");
    const edit = (line: number, column: string, value: string) => {
      const copy = [...lines];
      const cells = (copy[line] ?? "").split(",");
      cells[header.indexOf(column)] = value;
      copy[line] = cells.join(",");
      return copy.join("\n");
    };
    await Deno.writeTextFile(path, edit(2, "close", "abc"));
    await rejects(
      readSnapshot(path),
      new RegExp(
        `^Cannot load snapshot ${path}: row 2025-01-03T10:05:00.000Z binance::BTC_USDT ` +
          `\\(line 3 of ${path}\\): close is not a number \\('abc'\\)$`,
      ),
    );
    await Deno.writeTextFile(path, edit(3, "timestamp", "yesterday"));
    await rejects(
      readSnapshot(path),
      /row yesterday binance::ETH_USDT \(line 4 .*\): timestamp is not an ISO-8601 UTC time/,
    );
    await Deno.writeTextFile(path, edit(2, "high", "110.1"));
    await rejects(
      readSnapshot(path),
      new RegExp(
        `^Cannot load snapshot ${path}: row 2025-01-03T10:05Z binance::BTC_USDT: high < close$`,
      ),
    );
    await Deno.writeTextFile(path, edit(2, "high", "110.1"));
    assert.equal((await readSnapshot(path, { validate: false })).bars.height, 8);
    // Zone-less and offset times are read as UTC.
    await Deno.writeTextFile(
      path,
      lines.join("\n").replace(/(\d)T(\d\d:\d\d:\d\d)\.000Z/g, "$1 $2"),
    );
    assert.ok((await readSnapshot(path)).bars.frameEqual(_makeBars()));
    await Deno.writeTextFile(path, lines.join("\n").replaceAll(":00.000Z", ":00+00:00"));
    assert.ok((await readSnapshot(path)).bars.frameEqual(_makeBars()));
  });
});

Deno.test("readSnapshotMeta() is undefined without a meta file and rejects a bad one", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.parquet");
    assert.equal(await readSnapshotMeta(path), undefined);
    await Deno.writeTextFile(`${path}.meta.json`, "{not json");
    await rejects(
      readSnapshotMeta(path),
      /Cannot load snapshot meta .*x\.parquet\.meta\.json: not valid JSON/,
    );
    await Deno.writeTextFile(`${path}.meta.json`, JSON.stringify({ format_version: 1 }));
    await rejects(readSnapshotMeta(path), /symbols must be a list of strings/);
    assert.equal(snapshotFormatOf("a/b.CSV.GZ"), "csv.gz");
    assert.equal(snapshotFormatOf("a/b.feather"), undefined);
  });
});
