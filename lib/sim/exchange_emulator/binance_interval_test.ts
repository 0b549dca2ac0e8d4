import assert from "node:assert/strict";
import { BinanceApiError } from "./binance_api_error.ts";
import { parseBinanceInterval } from "./binance_interval.ts";

Deno.test("parseBinanceInterval() accepts multiples of the bar length", () => {
  assert.equal(parseBinanceInterval("5m", 300_000), 300_000);
  assert.equal(parseBinanceInterval("1h", 300_000), 3_600_000);
  assert.equal(parseBinanceInterval("1d", 300_000), 86_400_000);
});

Deno.test("parseBinanceInterval() refuses finer, unknown and calendar intervals with -1120", () => {
  for (const bad of ["1m", "7m", "1w", "1M", "5T"]) {
    assert.throws(
      () => parseBinanceInterval(bad, 300_000),
      (e: unknown) => e instanceof BinanceApiError && e.code === -1120,
      bad,
    );
  }
  assert.throws(
    () => parseBinanceInterval(undefined, 300_000),
    (e: unknown) => e instanceof BinanceApiError && e.code === -1102,
  );
});
