import assert from "node:assert/strict";
import { Config } from "../config/mod.ts";
import { ConfigError, UsageError } from "../errors/mod.ts";
import { getBuilder } from "../dag/mod.ts";
import {
  backtestConfigTemplate,
  buildEffectiveConfig,
  readBacktestSettings,
} from "./backtest_settings.ts";

const sma = getBuilder("sma_cross");

Deno.test("backtestConfigTemplate() holds dag_builder, the builder's template and the defaults", () => {
  const c = backtestConfigTemplate(sma);
  assert.equal(c.get("dag_builder"), "sma_cross");
  assert.equal(c.get("dag.sma.fast"), 10);
  assert.equal(c.get("backtest.tile_freq"), "month");
  assert.equal(c.get("backtest.fill"), "next_open");
  assert.equal(c.get("backtest.data"), null);
});

Deno.test("buildEffectiveConfig() applies template < file < options < --set", () => {
  const file = Config.fromObject({
    dag: { sma: { fast: 5 } },
    backtest: { fee_bps: 3, style: "longitudinal" },
  });
  const c = buildEffectiveConfig({
    builder: sma,
    file,
    settings: { data: "x.parquet", fee_bps: 7 },
    overrides: ["backtest.fee_bps=9", "dag.sma.slow=20"],
  });
  assert.equal(c.get("dag.sma.fast"), 5);
  assert.equal(c.get("dag.sma.slow"), 20);
  assert.equal(c.get("backtest.style"), "longitudinal");
  assert.equal(c.get("backtest.fee_bps"), 9);
  assert.equal(c.get("backtest.data"), "x.parquet");
});

Deno.test("buildEffectiveConfig() starts from an existing run's config when no builder is named", () => {
  const base = buildEffectiveConfig({ builder: sma, settings: { data: "x.parquet", fee_bps: 4 } });
  const c = buildEffectiveConfig({
    base: Config.fromJSON(base.toJSONString()),
    settings: { fee_bps: 6 },
  });
  assert.equal(c.get("backtest.data"), "x.parquet");
  assert.equal(c.get("backtest.fee_bps"), 6);
  assert.throws(() => buildEffectiveConfig({}), /Missing --dag/);
  const other = Config.fromObject({ dag_builder: "ridge" });
  assert.throws(
    () => buildEffectiveConfig({ builder: sma, file: other }),
    /for dag_builder 'ridge'/,
  );
});

Deno.test("readBacktestSettings() types the backtest part", () => {
  const c = buildEffectiveConfig({
    builder: sma,
    settings: {
      data: "x.parquet",
      start: "2025-01-06",
      end: "2025-01-08T00:00Z",
      symbols: ["BTC/USDT"],
      asset_tile_size: 2,
      sizing: "equity",
    },
  });
  const s = readBacktestSettings(c);
  assert.equal(s.dagBuilder, "sma_cross");
  assert.equal(s.start, Date.UTC(2025, 0, 6));
  assert.equal(s.end, Date.UTC(2025, 0, 8));
  assert.deepEqual(s.symbols, ["BTC/USDT"]);
  assert.equal(s.assetTileSize, 2);
  assert.equal(s.sizing, "equity");
  assert.equal(s.fill, "next_open");
  assert.equal(s.initialCash, 10_000);
  assert.equal(s.targetGmv, undefined);
});

Deno.test("readBacktestSettings() derives range and universe from a backtest config", () => {
  const c = buildEffectiveConfig({
    builder: sma,
    settings: { data: "x.parquet", backtest_config: "binance_v0-top3.5T.2025-01-07_2025-01-08" },
  });
  const s = readBacktestSettings(c);
  assert.equal(s.start, Date.UTC(2025, 0, 7));
  assert.equal(s.end, Date.UTC(2025, 0, 9), "end date inclusive");
  assert.deepEqual(s.universe, {
    name: "binance_v0",
    top: 3,
    text: "binance_v0-top3.5T.2025-01-07_2025-01-08",
  });
  assert.equal(s.barMs, 300_000);
});

Deno.test("readBacktestSettings() names what is missing, conflicting or mistyped", () => {
  const make = (settings: Record<string, string | number | null>) =>
    readBacktestSettings(buildEffectiveConfig({ builder: sma, settings }));
  assert.throws(() => make({}), (e) => e instanceof UsageError && /Missing --data/.test(e.message));
  assert.throws(() => make({ data: "x" }), /Missing --start/);
  assert.throws(() => make({ data: "x", start: "2025-01-02" }), /Missing --end/);
  assert.throws(
    () => make({ data: "x", start: "2025-01-02", end: "2025-01-01" }),
    /is not before its end/,
  );
  assert.throws(
    () =>
      make({
        data: "x",
        backtest_config: "binance_v0-top3.5T.2025-01-07_2025-01-08",
        start: "2025-01-07",
      }),
    /--backtest-config already sets the range.*drop --start/,
  );
  assert.throws(
    () => make({ data: "x", backtest_config: "nonsense" }),
    /Cannot parse backtest config 'nonsense'/,
  );
  const ok = { data: "x", start: "2025-01-02", end: "2025-01-03" };
  assert.throws(
    () => make({ ...ok, fee_bps: "3" }),
    (e) => e instanceof ConfigError && /backtest.fee_bps/.test(e.message),
  );
  assert.throws(() => make({ ...ok, fee_bps: -1 }), /must be a number >= 0/);
  assert.throws(() => make({ ...ok, asset_tile_size: 0 }), /must be an integer >= 1/);
  assert.throws(() => make({ ...ok, style: "momentum" }), /Unknown style 'momentum'/);
  assert.throws(() => make({ ...ok, fill: "vwop" }), /Unknown fill convention 'vwop'/);
  assert.throws(() => make({ ...ok, tile_freq: "hour" }), /Unknown tile frequency 'hour'/);
});
