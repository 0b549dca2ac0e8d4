import assert from "node:assert/strict";
import {
  compactTime,
  formatTime,
  formatTimeframe,
  parseDuration,
  parseTime,
  parseTimeframe,
} from "./bar_schema.ts";
import { UsageError } from "../errors/mod.ts";

Deno.test("parseTimeframe() reads ccxt and pandas forms", () => {
  assert.equal(parseTimeframe("5m"), 300_000);
  assert.equal(parseTimeframe("5T"), 300_000);
  assert.equal(parseTimeframe("1h"), 3_600_000);
  assert.equal(parseTimeframe("1d"), 86_400_000);
  assert.equal(parseTimeframe("30s"), 30_000);
  assert.throws(() => parseTimeframe("5x"), UsageError);
  assert.throws(() => parseTimeframe("0m"), UsageError);
});

Deno.test("formatTimeframe() inverts parseTimeframe()", () => {
  for (const tf of ["5m", "1h", "1d", "30s", "15m"]) {
    assert.equal(formatTimeframe(parseTimeframe(tf)), tf);
  }
});

Deno.test("parseTime() reads dates as UTC and rejects impossible ones", () => {
  assert.equal(parseTime("2025-01-03"), Date.UTC(2025, 0, 3));
  assert.equal(parseTime("2025-01-03T10:05"), Date.UTC(2025, 0, 3, 10, 5));
  assert.equal(parseTime("2025-01-03T10:05:30Z"), Date.UTC(2025, 0, 3, 10, 5, 30));
  assert.equal(parseTime("1735603500000"), 1735603500000);
  assert.throws(() => parseTime("2025-02-30", "--start"), /--start '2025-02-30'/);
  assert.throws(() => parseTime("yesterday"), UsageError);
});

Deno.test("formatTime() prints compact UTC", () => {
  assert.equal(formatTime(Date.UTC(2025, 0, 3, 10, 5)), "2025-01-03T10:05Z");
  assert.equal(formatTime(Date.UTC(2025, 0, 3, 10, 5, 7)), "2025-01-03T10:05:07Z");
});

Deno.test("parseDuration() reads units and rejects bare non-zero numbers", () => {
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("1.5m"), 90_000);
  assert.equal(parseDuration("2d"), 172_800_000);
  assert.throws(() => parseDuration("10", "--knowledge-delay"), /--knowledge-delay '10'/);
  assert.throws(() => parseDuration("-1s"), UsageError);
});

Deno.test("compactTime() prints file-name times, milliseconds only when non-zero", () => {
  assert.equal(compactTime(Date.UTC(2025, 0, 3, 10, 5)), "20250103T100500Z");
  assert.equal(compactTime(Date.UTC(2025, 0, 3, 10, 5, 0, 250)), "20250103T100500.250Z");
  assert.equal(
    compactTime(Date.UTC(2025, 0, 3, 10, 5, 0, 250), { msSeparator: "," }),
    "20250103T100500,250Z",
  );
});
