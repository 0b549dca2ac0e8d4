import assert from "node:assert/strict";
import {
  assetIdOf,
  ccxtSymbolOf,
  exchangeOf,
  fullSymbolOf,
  isFullSymbol,
  resolveFullSymbols,
} from "./asset_id.ts";
import { DataError, UsageError } from "../errors/mod.ts";

Deno.test("assetIdOf() matches the DataFlow MD5 convention", () => {
  assert.equal(assetIdOf("binance::BTC_USDT"), 1467591036);
  assert.equal(assetIdOf("binance::ETH_USDT"), 1464553467);
  assert.equal(assetIdOf("binance::ADA_USDT"), 3303714233);
  assert.equal(assetIdOf("binance::BTC_USDT"), 1467591036); // cached path
});

Deno.test("fullSymbolOf() and ccxtSymbolOf() convert between ccxt and full symbols", () => {
  assert.equal(fullSymbolOf("binance", "BTC/USDT"), "binance::BTC_USDT");
  assert.equal(fullSymbolOf("Binance", "ETH_USDT"), "binance::ETH_USDT");
  assert.equal(ccxtSymbolOf("binance::BTC_USDT"), "BTC/USDT");
  assert.equal(exchangeOf("kraken::XBT_EUR"), "kraken");
  assert.equal(ccxtSymbolOf(fullSymbolOf("binance", "1000SATS/USDT")), "1000SATS/USDT");
  assert.ok(isFullSymbol("binance::BTC_USDT"));
  assert.ok(!isFullSymbol("BTC/USDT"));
  assert.throws(() => fullSymbolOf("binance", "BTCUSDT"), UsageError);
  assert.throws(() => ccxtSymbolOf("BTC/USDT"), /expected <exchange>::<BASE>_<QUOTE>/);
});

Deno.test("resolveFullSymbols() accepts full symbols and pairs, rejects unknown ones", () => {
  const known = ["binance::BTC_USDT", "binance::ETH_USDT"];
  assert.deepEqual(
    resolveFullSymbols(["ETH/USDT", "binance::BTC_USDT", "eth_usdt"], known),
    ["binance::ETH_USDT", "binance::BTC_USDT"],
  );
  assert.throws(
    () => resolveFullSymbols(["SOL/USDT"], known, { source: "snapshot x.parquet" }),
    (e: unknown) =>
      e instanceof DataError &&
      e.message ===
        "Symbol 'SOL/USDT' is not in snapshot x.parquet; known symbols: binance::BTC_USDT, binance::ETH_USDT",
  );
  assert.throws(
    () => resolveFullSymbols(["BTC/USDT"], [...known, "kraken::BTC_USDT"]),
    /ambiguous.*give the full symbol/,
  );
});
