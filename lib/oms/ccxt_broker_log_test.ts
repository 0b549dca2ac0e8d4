import assert from "node:assert/strict";
import { join } from "node:path";
import { CCXT_BROKER_LOG_FILES, CcxtBrokerLog } from "./ccxt_broker_log.ts";

Deno.test("CcxtBrokerLog appends JSON lines per kind and never writes secrets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = new CcxtBrokerLog(join(dir, "broker"), { secrets: ["KEY-123456", "s3cr3t!!"] });
    log.write("request", {
      method: "createOrder",
      args: ["BTC/USDT", { apiKey: "KEY-123456", note: "uses s3cr3t!! inside" }],
      error: "GET http://x/api/v3/order?symbol=BTCUSDT&signature=abcdef0123456789",
      headers: { "X-MBX-APIKEY": "KEY-123456" },
      big: Infinity,
    });
    log.write("request", { method: "fetchOrder", ok: true });
    log.write("fill", { fill: "Fill: fill_id=0" });
    log.close();
    log.write("fill", { dropped: true });
    const text = await Deno.readTextFile(join(dir, "broker", CCXT_BROKER_LOG_FILES.request));
    const lines = text.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.ok(!text.includes("KEY-123456") && !text.includes("s3cr3t!!"));
    assert.ok(!text.includes("abcdef0123456789"));
    assert.equal(lines[0].args[1].apiKey, "<redacted>");
    assert.equal(lines[0].args[1].note, "uses <redacted> inside");
    assert.equal(lines[0].big, "Infinity");
    const fills = await Deno.readTextFile(join(dir, "broker", CCXT_BROKER_LOG_FILES.fill));
    assert.equal(fills.trim().split("\n").length, 1, "writes after close are dropped");
    const off = new CcxtBrokerLog(undefined);
    off.write("request", { x: 1 });
    assert.equal(off.dir, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
