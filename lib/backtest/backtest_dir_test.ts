import assert from "node:assert/strict";
import { join } from "node:path";
import { Config } from "../config/mod.ts";
import { UsageError } from "../errors/mod.ts";
import { prepareBacktestDir, readBacktestDirConfig } from "./backtest_dir.ts";

Deno.test("prepareBacktestDir() writes config.json/config.txt, accepts the same config, refuses another", async () => {
  const dir = join(await Deno.makeTempDir(), "bt");
  try {
    const config = Config.fromObject({
      dag_builder: "sma_cross",
      backtest: { fee_bps: 0, symbols: ["BTC/USDT"] },
    });
    assert.deepEqual(await prepareBacktestDir(dir, config), { existed: false, changes: "" });
    assert.equal(await Deno.readTextFile(join(dir, "config.txt")), config.toString() + "\n");
    assert.equal((await readBacktestDirConfig(dir))?.toJSONString(), config.toJSONString());
    assert.deepEqual(await prepareBacktestDir(dir, config.copy()), { existed: true, changes: "" });
    const other = Config.fromObject({
      dag_builder: "sma_cross",
      backtest: { fee_bps: 5, symbols: ["BTC/USDT"] },
    });
    await assert.rejects(
      prepareBacktestDir(dir, other),
      (e) =>
        e instanceof UsageError &&
        /~ backtest\.fee_bps: 0 -> 5\nuse --force to overwrite or another --dst-dir/.test(
          e.message,
        ),
    );
    await Deno.mkdir(join(dir, "portfolio"));
    await Deno.writeTextFile(join(dir, "stats.json"), "{}");
    const forced = await prepareBacktestDir(dir, other, { force: true });
    assert.equal(forced.changes, "~ backtest.fee_bps: 0 -> 5");
    assert.equal((await readBacktestDirConfig(dir))?.get("backtest.fee_bps"), 5);
    assert.equal(
      await Deno.stat(join(dir, "stats.json")).then(() => true, () => false),
      false,
      "stale stats removed",
    );
    assert.equal(await Deno.stat(join(dir, "portfolio")).then(() => true, () => false), false);
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("readBacktestDirConfig() is undefined without config.json and a ConfigError on a broken one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readBacktestDirConfig(dir), undefined);
    await Deno.writeTextFile(join(dir, "config.json"), "{ nope");
    await assert.rejects(
      readBacktestDirConfig(dir),
      /Cannot read .*config\.json.*another --dst-dir/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
