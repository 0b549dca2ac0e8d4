import assert from "node:assert/strict";
import { parseResultFilePath, resultFilePath } from "./tile_runner.ts";

Deno.test("parseResultFilePath() reads back what resultFilePath() builds, and nothing else", () => {
  const key = { assetId: 1467591036, year: 2025, month: 2, name: "data.2025-01-27.parquet" };
  assert.deepEqual(parseResultFilePath(resultFilePath(key)), key);
  assert.deepEqual(
    parseResultFilePath("/abs/dst/tiled_results/asset_id=-5/year=2024/month=12/data.parquet"),
    { assetId: -5, year: 2024, month: 12, name: "data.parquet" },
  );
  for (
    const path of [
      "tiled_results/asset_id=1/year=2025/data.parquet",
      "other/asset_id=1/year=2025/month=1/data.parquet",
      "tiled_results/asset=1/year=2025/month=1/data.parquet",
      "tiled_results/asset_id=1/year=2025/month=x/data.parquet",
    ]
  ) {
    assert.equal(parseResultFilePath(path), undefined, path);
  }
});
