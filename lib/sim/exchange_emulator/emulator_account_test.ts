import assert from "node:assert/strict";
import { UsageError } from "../../errors/mod.ts";
import { BinanceApiError } from "./binance_api_error.ts";
import { EmulatorAccount } from "./emulator_account.ts";

Deno.test("EmulatorAccount lock/unlock/spendLocked move funds between free and locked", () => {
  const a = new EmulatorAccount({ USDT: 1000 });
  a.lock("USDT", 300.5);
  assert.deepEqual(a.balance("USDT"), { free: 699.5, locked: 300.5 });
  a.spendLocked("USDT", 100.5);
  a.unlock("USDT", 200);
  assert.deepEqual(a.balance("USDT"), { free: 899.5, locked: 0 });
  a.addFree("BTC", 0.1);
  a.touch(4);
  assert.deepEqual(a.balances().map(([k]) => k), ["BTC", "USDT"]);
  assert.equal(a.updateTime, 4);
});

Deno.test("EmulatorAccount.lock()/requireFree() reject short funds with -2010", () => {
  const a = new EmulatorAccount({ USDT: 10 });
  const insufficient = (e: unknown) =>
    e instanceof BinanceApiError && e.code === -2010 &&
    e.message === "Account has insufficient balance for requested action.";
  assert.throws(() => a.lock("USDT", 10.01), insufficient);
  assert.throws(() => a.requireFree("BTC", 0.001), insufficient);
  a.requireFree("USDT", 10);
  assert.deepEqual(a.balance("USDT"), { free: 10, locked: 0 });
});

Deno.test("EmulatorAccount keeps float noise out of balances", () => {
  const a = new EmulatorAccount({ USDT: 0.3 });
  a.addFree("USDT", -0.1);
  a.addFree("USDT", -0.2);
  assert.equal(a.balance("USDT").free, 0);
  assert.throws(() => new EmulatorAccount({ USDT: -1 }), UsageError);
});
