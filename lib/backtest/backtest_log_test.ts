import assert from "node:assert/strict";
import { join } from "node:path";
import { StaticClock } from "../sim/mod.ts";
import { BacktestLog, peakRssBytes } from "./backtest_log.ts";

Deno.test("BacktestLog.info() appends timestamped lines naming the role and pid, and echoes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const echoed: string[] = [];
    const clock = new StaticClock(Date.UTC(2025, 0, 6, 12));
    const main = new BacktestLog(dir, { clock, echo: (m) => echoed.push(m) });
    const shard = new BacktestLog(dir, { clock, role: "shard 1/3" });
    await main.info("first");
    await shard.info("second");
    const lines = (await Deno.readTextFile(join(dir, "log.txt"))).trimEnd().split("\n");
    assert.deepEqual(lines, [
      `2025-01-06T12:00:00.000Z [main pid ${Deno.pid}] first`,
      `2025-01-06T12:00:00.000Z [shard 1/3 pid ${Deno.pid}] second`,
    ]);
    assert.deepEqual(echoed, ["first"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("peakRssBytes() reads the process's peak RSS where /proc is available", () => {
  const rss = peakRssBytes();
  if (Deno.build.os === "linux") assert.ok(rss !== undefined && rss > 1 << 20, String(rss));
  else assert.equal(rss, undefined);
});
