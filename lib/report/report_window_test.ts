import assert from "node:assert/strict";
import { UsageError } from "../errors/mod.ts";
import { parseReportWindow, windowRange } from "./report_window.ts";

const LAST = Date.UTC(2025, 1, 17);

Deno.test("parseReportWindow() reads all, since:<date> and last:<duration> with file-safe labels", () => {
  assert.deepEqual(parseReportWindow("all"), { kind: "all", text: "all", label: "all" });
  const since = parseReportWindow("since:2025-02-01");
  assert.equal(since.label, "since_2025-02-01");
  assert.equal(since.since, Date.UTC(2025, 1, 1));
  const sinceTime = parseReportWindow("since:2025-02-01T10:05Z");
  assert.equal(sinceTime.label, "since_2025-02-01T10_05Z");
  const day = parseReportWindow(" last:24h ");
  assert.equal(day.text, "last:24h");
  assert.equal(day.label, "last_24h");
  assert.equal(day.durationMs, 86_400_000);
  assert.equal(parseReportWindow("last:5m").durationMs, 300_000);
  for (const bad of ["", "yesterday", "last:", "last:0", "last:5x", "since:2025-13-01", "since:"]) {
    assert.throws(() => parseReportWindow(bad), UsageError, bad);
  }
});

Deno.test("windowRange() is (start, last bar], measured back from the run's last bar", () => {
  assert.deepEqual(windowRange(parseReportWindow("all"), LAST), { start: -Infinity, end: LAST });
  assert.deepEqual(windowRange(parseReportWindow("last:24h"), LAST), {
    start: LAST - 86_400_000,
    end: LAST,
  });
  assert.deepEqual(windowRange(parseReportWindow("since:2025-02-16"), LAST), {
    start: Date.UTC(2025, 1, 16),
    end: LAST,
  });
});
