import assert from "node:assert/strict";
import { Config } from "../config/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import {
  buildRunProdConfig,
  readRunProdSettings,
  runProdIdentityHash,
} from "./run_prod_settings.ts";

const builder = getBuilder("sma_cross");

Deno.test("readRunProdSettings() reads backtest's portfolio settings and the run_prod defaults", () => {
  const config = buildRunProdConfig({
    builder,
    settings: { symbols: ["BTC/USDT", "ETH/USDT"], style: "signal", sizing: "equity" },
    runProd: { max_loss: 500 },
    overrides: ["run_prod.timeframe=1m", "backtest.fee_bps=10"],
  });
  const s = readRunProdSettings(config);
  assert.deepEqual(s.symbols, ["BTC/USDT", "ETH/USDT"]);
  assert.equal(s.sizing, "equity");
  assert.equal(s.fill, "next_open");
  assert.equal(s.feeBps, 10);
  assert.equal(s.initialCash, 10_000);
  assert.equal(s.exchange, "binance");
  assert.equal(s.barMs, 60_000);
  assert.equal(s.pollDelayMs, 2_000);
  assert.equal(s.orderType, "twap");
  assert.equal(s.fitData, undefined);
  assert.deepEqual(s.risk, {
    maxOrderNotional: undefined,
    maxGrossExposure: undefined,
    maxLoss: 500,
    onMaxLoss: "cancel-and-stop",
    killSwitchFile: undefined,
  });
  assert.deepEqual(config.unusedLeaves().filter((k) => !k.startsWith("dag.")), []);
});

Deno.test("readRunProdSettings() refuses a missing universe, unknown keys and bad values", () => {
  assert.throws(() => readRunProdSettings(buildRunProdConfig({ builder })), UsageError);
  const symbols = { symbols: ["BTC/USDT"] };
  assert.throws(
    () => buildRunProdConfig({ builder, settings: symbols, runProd: { nope: 1 } }),
    UsageError,
  );
  for (
    const set of [
      "run_prod.nope=1",
      "run_prod.order_type=vwap",
      "run_prod.passivity_factor=2",
      "run_prod.timeframe=7q",
      "run_prod.max_loss=-5",
      "run_prod.on_max_loss=panic",
      "other.key=1",
    ]
  ) {
    const config = buildRunProdConfig({ builder, settings: symbols, overrides: [set] });
    assert.throws(() => readRunProdSettings(config), ConfigError, set);
  }
});

Deno.test("runProdIdentityHash() changes with the model and the portfolio, not with execution or risk settings", () => {
  const base = { builder, settings: { symbols: ["BTC/USDT"] } };
  const a = runProdIdentityHash(buildRunProdConfig(base));
  assert.equal(
    runProdIdentityHash(buildRunProdConfig({ ...base, overrides: ["run_prod.max_loss=100"] })),
    a,
  );
  assert.equal(
    runProdIdentityHash(buildRunProdConfig({ ...base, runProd: { passivity_factor: 0 } })),
    a,
  );
  assert.notEqual(
    runProdIdentityHash(buildRunProdConfig({ ...base, overrides: ["dag.sma.fast=5"] })),
    a,
  );
  assert.notEqual(
    runProdIdentityHash(buildRunProdConfig({ ...base, overrides: ["backtest.fee_bps=1"] })),
    a,
  );
  const file = Config.fromObject({ run_prod: { timeframe: "1m" } });
  assert.notEqual(runProdIdentityHash(buildRunProdConfig({ ...base, file })), a);
});
