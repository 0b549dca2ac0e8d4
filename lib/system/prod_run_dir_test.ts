import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError, UsageError } from "../errors/mod.ts";
import {
  compactUtc,
  parseCompactUtc,
  parseProdRunDir,
  prodRunDir,
  readProdRunInfo,
} from "./prod_run_dir.ts";

const T0 = Date.UTC(2025, 0, 6);
const T1 = Date.UTC(2025, 0, 6, 1);

Deno.test("prodRunDir() files a run as <root>/<dag>/<mode>/<schedule>/<start>.<end>/system_log_dir", () => {
  assert.equal(
    prodRunDir("/srv/prod", { dag: "sma_cross", mode: "paper", start: T0, end: T1 }),
    "/srv/prod/sma_cross/paper/manual/20250106T000000Z.20250106T010000Z/system_log_dir",
  );
  assert.equal(
    prodRunDir("out", { dag: "x", mode: "prod", schedule: "scheduled", start: T0 + 250, end: T1 }),
    "out/x/prod/scheduled/20250106T000000.250Z.20250106T010000Z/system_log_dir",
  );
});

Deno.test("prodRunDir() refuses unsafe names and empty ranges", () => {
  assert.throws(
    () => prodRunDir("r", { dag: "../x", mode: "prod", start: T0, end: T1 }),
    UsageError,
  );
  assert.throws(() => prodRunDir("r", { dag: "x", mode: "a/b", start: T0, end: T1 }), UsageError);
  assert.throws(() => prodRunDir("r", { dag: "x", mode: "prod", start: T1, end: T0 }), UsageError);
});

Deno.test("compactUtc() round-trips through parseCompactUtc()", () => {
  for (const t of [T0, T1 + 59_999, Date.UTC(2030, 11, 31, 23, 59, 59, 1)]) {
    assert.equal(parseCompactUtc(compactUtc(t)), t);
  }
  assert.throws(() => parseCompactUtc("2025-01-06"), UsageError);
  assert.throws(() => parseCompactUtc("20251306T000000Z"), UsageError);
});

Deno.test("parseProdRunDir() reads back the parts, and rejects other paths", () => {
  const dir = prodRunDir("/srv/prod", {
    dag: "sma_cross",
    mode: "prod",
    schedule: "scheduled",
    start: T0,
    end: T1,
  });
  assert.deepEqual(parseProdRunDir(dir), {
    root: "/srv/prod",
    dag: "sma_cross",
    mode: "prod",
    schedule: "scheduled",
    start: T0,
    end: T1,
  });
  assert.equal(parseProdRunDir("/srv/prod/x/y"), undefined);
  assert.equal(
    parseProdRunDir("/a/b/c/weekly/20250106T000000Z.20250106T010000Z/system_log_dir"),
    undefined,
  );
});

Deno.test("readProdRunInfo() reads run.json, undefined when absent, DataError when damaged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readProdRunInfo(join(dir, "missing")), undefined);
    assert.equal(await readProdRunInfo(dir), undefined);
    await Deno.writeTextFile(join(dir, "run.json"), '{"status": "running"}');
    assert.deepEqual(await readProdRunInfo(dir), { status: "running" });
    await Deno.writeTextFile(join(dir, "run.json"), '{"status": ');
    await assert.rejects(() => readProdRunInfo(dir), DataError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
