import assert from "node:assert/strict";
import { ConfigError } from "../errors/mod.ts";
import { Config, DUMMY, formatConfigLeaf } from "./config.ts";
import { ClobberError, OverwriteError, ReadOnlyConfigError } from "./config_errors.ts";

function _sample(): Config {
  return Config.fromObject({
    market_data: { start: "2025-01-01", end: "2025-03-31" },
    dag: { sma: { fast: 10, slow: 50 } },
    fees_bps: 10,
  }, { writer: "test" });
}

Deno.test("Config.get() reads compound keys as arrays and dotted strings", () => {
  const cfg = _sample();
  assert.equal(cfg.get(["market_data", "start"]), "2025-01-01");
  assert.equal(cfg.get("dag.sma.slow"), 50);
  assert.equal(cfg.get("fees_bps"), 10);
  assert.ok(cfg.get("dag.sma") instanceof Config);
});

Deno.test("Config.get() returns the default only for a missing key", () => {
  const cfg = _sample();
  assert.equal(cfg.get("dag.sma.mid", { default: 20 }), 20);
  assert.equal(cfg.get("dag.sma.fast", { default: 20 }), 10);
  assert.equal(cfg.get("nothing.here", { default: null }), null);
});

Deno.test("Config.get() of a missing key names the key and the keys beside it", () => {
  const cfg = _sample();
  assert.throws(
    () => cfg.get("market_data.stat"),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "Config has no key 'market_data.stat'; keys under 'market_data': start, end",
  );
  assert.throws(() => cfg.get("fees"), /top-level keys: market_data, dag, fees_bps/);
  assert.throws(() => cfg.get("fees_bps.x"), /'fees_bps' is a value \(10\), not a subconfig/);
});

Deno.test("Config.has() sees leaves and subconfigs, not paths through leaves", () => {
  const cfg = _sample();
  assert.ok(cfg.has("dag"));
  assert.ok(cfg.has(["dag", "sma", "fast"]));
  assert.ok(!cfg.has("dag.sma.mid"));
  assert.ok(!cfg.has("fees_bps.x"));
});

Deno.test("Config rejects empty key parts and parts with '.' or '='", () => {
  const cfg = new Config();
  assert.throws(() => cfg.get("a..b"), /Invalid config key 'a..b': a part is empty/);
  assert.throws(() => cfg.get(""), /Invalid config key ''/);
  assert.throws(() => cfg.set(["a.b"], 1), /part 'a.b' contains '.'/);
  assert.throws(() => cfg.set("a=b", 1), /part 'a=b' contains '='/);
  assert.throws(() => Config.fromObject({ "x.y": 1 }), /Invalid config key 'x.y'/);
});

Deno.test("Config.set() turns plain objects into subconfigs", () => {
  const cfg = new Config();
  cfg.set("dag", { sma: { fast: 5 } });
  assert.ok(cfg.get("dag") instanceof Config);
  assert.ok(cfg.get("dag.sma") instanceof Config);
  assert.equal(cfg.get("dag.sma.fast"), 5);
});

Deno.test("Config.set() creates missing intermediate subconfigs", () => {
  const cfg = new Config();
  cfg.set("a.b.c", [1, [2, 3]]);
  assert.deepEqual(cfg.get("a.b.c"), [1, [2, 3]]);
  assert.deepEqual(cfg.keys(), ["a"]);
});

Deno.test("Config.set() through a leaf fails and changes nothing", () => {
  const cfg = Config.fromObject({ a: { b: 1 } });
  assert.throws(
    () => cfg.set("a.b.c.d", 2),
    /Cannot set 'a.b.c.d': 'a.b' holds a value \(1\), not a subconfig/,
  );
  assert.deepEqual(cfg.toObject(), { a: { b: 1 } });
});

Deno.test("Config.set() rejects values that are not JSON", () => {
  const cfg = new Config();
  assert.throws(() => cfg.set("x", NaN), /JSON has no NaN or Infinity/);
  assert.throws(() => cfg.set("x", Infinity), ConfigError);
  assert.throws(() => cfg.set("x", new Date(0) as never), /'x' to a Date/);
  assert.throws(() => cfg.set("x", undefined as never), /'x' to undefined: a config value must be/);
  assert.throws(() => cfg.set("x", [1, () => 2] as never), ConfigError);
  assert.equal(cfg.keys().length, 0);
});

Deno.test("Config.set() stores a frozen copy of arrays", () => {
  const cfg = new Config();
  const symbols = ["BTC/USDT", "ETH/USDT"];
  cfg.set("symbols", symbols);
  symbols.push("SOL/USDT");
  assert.deepEqual(cfg.get("symbols"), ["BTC/USDT", "ETH/USDT"]);
  const stored = cfg.get("symbols") as string[];
  assert.throws(() => stored.push("X"), TypeError);
});

Deno.test("Config.set() copies a Config value instead of sharing it", () => {
  const sub = Config.fromObject({ fast: 5 });
  const cfg = new Config();
  cfg.set("sma", sub);
  sub.set("fast", 6, { updateMode: "overwrite" });
  assert.equal(cfg.get("sma.fast"), 5);
});

Deno.test("Config.set() on an existing key throws OverwriteError by default", () => {
  const cfg = _sample();
  assert.throws(
    () => cfg.set("dag.sma.fast", 12),
    (e: unknown) =>
      e instanceof OverwriteError && e instanceof ConfigError && e.exitCode === 2 &&
      e.message.startsWith(
        "Cannot set 'dag.sma.fast' to 12: it already holds 10 (written at test); pass updateMode",
      ),
  );
  assert.throws(() => cfg.set("dag.sma.fast", 10), OverwriteError);
  assert.equal(cfg.get("dag.sma.fast"), 10);
});

Deno.test("Config.set() with updateMode overwrite replaces the value", () => {
  const cfg = _sample();
  cfg.set("dag.sma.fast", 12, { updateMode: "overwrite" });
  assert.equal(cfg.get("dag.sma.fast"), 12);
  cfg.set("dag.sma", 3, { updateMode: "overwrite" });
  assert.equal(cfg.get("dag.sma"), 3);
});

Deno.test("Config.set() with updateMode assign_if_missing keeps existing values", () => {
  const cfg = _sample();
  cfg.set("dag.sma.fast", 12, { updateMode: "assign_if_missing" });
  cfg.set("dag.sma.mid", 20, { updateMode: "assign_if_missing" });
  assert.equal(cfg.get("dag.sma.fast"), 10);
  assert.equal(cfg.get("dag.sma.mid"), 20);
});

Deno.test("Config.set() rejects unknown modes", () => {
  const cfg = _sample();
  assert.throws(
    () => cfg.set("x", 1, { updateMode: "replace" as never }),
    /Unknown updateMode 'replace': expected one of assert_on_overwrite, overwrite/,
  );
  assert.throws(() => cfg.set("x", 1, { clobberMode: "yes" as never }), /Unknown clobberMode/);
});

Deno.test("Config.get() does not mark; getAndMarkAsUsed() marks the leaf", () => {
  const cfg = _sample();
  cfg.get("fees_bps");
  assert.ok(cfg.unusedLeaves().includes("fees_bps"));
  assert.equal(cfg.getAndMarkAsUsed("fees_bps"), 10);
  assert.deepEqual(cfg.unusedLeaves(), [
    "market_data.start",
    "market_data.end",
    "dag.sma.fast",
    "dag.sma.slow",
  ]);
});

Deno.test("Config.getAndMarkAsUsed() on a subconfig marks all its leaves", () => {
  const cfg = _sample();
  const dag = cfg.getAndMarkAsUsed("dag");
  assert.ok(dag instanceof Config);
  assert.deepEqual(cfg.unusedLeaves(), ["market_data.start", "market_data.end", "fees_bps"]);
});

Deno.test("Config.getAndMarkAsUsed() records nothing but the mark", () => {
  const cfg = _sample();
  cfg.getAndMarkAsUsed("dag.sma.fast");
  const leaf = cfg.leaves().find((l) => l.key === "dag.sma.fast");
  assert.deepEqual(leaf, {
    key: "dag.sma.fast",
    path: ["dag", "sma", "fast"],
    value: 10,
    markedAsUsed: true,
    writer: "test",
  });
});

Deno.test("Config.getAndMarkAsUsed() with a default marks nothing for a missing key", () => {
  const cfg = _sample();
  assert.equal(cfg.getAndMarkAsUsed("dag.sma.mid", { default: 7 }), 7);
  assert.equal(cfg.unusedLeaves().length, 5);
});

Deno.test("Config.set() throws ClobberError only when the leaf was used AND changes", () => {
  const cfg = _sample();
  cfg.set("dag.sma.slow", 60, { updateMode: "overwrite" }); // unused: fine
  cfg.getAndMarkAsUsed("dag.sma.fast");
  cfg.set("dag.sma.fast", 10, { updateMode: "overwrite" }); // used, same value: fine
  assert.throws(
    () => cfg.set("dag.sma.fast", 11, { updateMode: "overwrite" }),
    (e: unknown) =>
      e instanceof ClobberError &&
      e.message.startsWith("Cannot change 'dag.sma.fast' from 10 to 11: it was already used"),
  );
  assert.equal(cfg.get("dag.sma.fast"), 10);
});

Deno.test("Config.set() keeps the used mark when it rewrites the same value", () => {
  const cfg = _sample();
  cfg.getAndMarkAsUsed("dag.sma.fast");
  cfg.set("dag.sma.fast", 10, { updateMode: "overwrite" });
  assert.ok(!cfg.unusedLeaves().includes("dag.sma.fast"));
});

Deno.test("Config.set() with allow_write_after_use changes a used leaf", () => {
  const cfg = _sample();
  cfg.getAndMarkAsUsed("dag.sma.fast");
  cfg.set("dag.sma.fast", 11, { updateMode: "overwrite", clobberMode: "allow_write_after_use" });
  assert.equal(cfg.get("dag.sma.fast"), 11);
  assert.ok(cfg.unusedLeaves().includes("dag.sma.fast"));
});

Deno.test("Config.set() replacing a subconfig with a used leaf is a clobber", () => {
  const cfg = _sample();
  cfg.getAndMarkAsUsed("dag.sma.slow");
  assert.throws(() => cfg.set("dag.sma", { fast: 10 }, { updateMode: "overwrite" }), ClobberError);
  cfg.set("dag.sma", { fast: 10, slow: 50 }, { updateMode: "overwrite" });
  assert.deepEqual(cfg.unusedLeaves().filter((k) => k.startsWith("dag")), ["dag.sma.fast"]);
});

Deno.test("Config.markReadOnly() freezes the whole tree", () => {
  const cfg = _sample();
  const sma = cfg.getConfig("dag.sma");
  cfg.markReadOnly();
  assert.ok(cfg.isReadOnly && sma.isReadOnly);
  assert.throws(() => cfg.set("new", 1), ReadOnlyConfigError);
  assert.throws(() => cfg.set("dag.sma.fast", 1, { updateMode: "overwrite" }), ReadOnlyConfigError);
  assert.throws(() => sma.set("mid", 20), ReadOnlyConfigError);
  assert.throws(() => cfg.set("dag.x.y", 1), ReadOnlyConfigError);
  assert.throws(
    () => cfg.set("fees_bps", 10, { updateMode: "assign_if_missing" }),
    /read-only \(markReadOnly\(\)\); use copy\(\)/,
  );
  assert.throws(() => cfg.update(Config.fromObject({ z: 1 })), ReadOnlyConfigError);
  assert.deepEqual(cfg.toObject(), _sample().toObject());
});

Deno.test("Config.markReadOnly() still allows marking leaves as used", () => {
  const cfg = _sample();
  cfg.markReadOnly();
  cfg.getAndMarkAsUsed("fees_bps");
  assert.ok(!cfg.unusedLeaves().includes("fees_bps"));
});

Deno.test("Config.copy() is deep, writable and keeps marks and writers", () => {
  const cfg = _sample();
  cfg.getAndMarkAsUsed("fees_bps");
  cfg.markReadOnly();
  const copy = cfg.copy();
  assert.deepEqual(copy.leaves(), cfg.leaves());
  assert.ok(!copy.isReadOnly);
  copy.set("dag.sma.fast", 1, { updateMode: "overwrite" });
  assert.equal(cfg.get("dag.sma.fast"), 10);
});

Deno.test("Config.update() merges subconfigs recursively", () => {
  const cfg = _sample();
  cfg.update(Config.fromObject({ dag: { sma: { mid: 20 } }, risk: { gross: 1 } }));
  assert.deepEqual(cfg.toObject(), {
    market_data: { start: "2025-01-01", end: "2025-03-31" },
    dag: { sma: { fast: 10, slow: 50, mid: 20 } },
    fees_bps: 10,
    risk: { gross: 1 },
  });
});

Deno.test("Config.update() applies the write modes and is all-or-nothing", () => {
  const cfg = _sample();
  const other = Config.fromObject({ aaa: 1, dag: { sma: { fast: 5 } } });
  assert.throws(() => cfg.update(other), OverwriteError);
  assert.ok(!cfg.has("aaa"));
  cfg.update(other, { updateMode: "assign_if_missing" });
  assert.equal(cfg.get("dag.sma.fast"), 10);
  assert.equal(cfg.get("aaa"), 1);
  cfg.getAndMarkAsUsed("dag.sma.fast");
  assert.throws(() => cfg.update(other, { updateMode: "overwrite" }), ClobberError);
  cfg.update(other, { updateMode: "overwrite", clobberMode: "allow_write_after_use" });
  assert.equal(cfg.get("dag.sma.fast"), 5);
});

Deno.test("Config.update() keeps the other config's writers and resets marks", () => {
  const cfg = new Config();
  const other = Config.fromObject({ a: { b: 1 } }, { writer: "file.json" });
  other.getAndMarkAsUsed("a.b");
  cfg.update(other);
  assert.deepEqual(cfg.leaves().map((l) => [l.key, l.writer, l.markedAsUsed]), [
    ["a.b", "file.json", false],
  ]);
});

Deno.test("Config.checkFilled() names every key still holding DUMMY", () => {
  const cfg = Config.fromObject({
    dag: { sma: { fast: DUMMY, slow: DUMMY }, window: 5 },
    symbols: ["BTC/USDT", DUMMY],
  });
  assert.deepEqual(cfg.dummyKeys(), ["dag.sma.fast", "dag.sma.slow", "symbols"]);
  assert.throws(
    () => cfg.checkFilled(),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        "Config has 3 unfilled DUMMY values: dag.sma.fast, dag.sma.slow, symbols; set them with --set key=value or --config",
  );
});

Deno.test("Config.checkFilled() uses the singular for one key and passes when filled", () => {
  const cfg = Config.fromObject({ dag: { sma: { fast: DUMMY, slow: 50 } } });
  assert.throws(
    () => cfg.checkFilled(),
    /^ConfigError: Config has 1 unfilled DUMMY value: dag.sma.fast; set it with/,
  );
  cfg.set("dag.sma.fast", 10, { updateMode: "overwrite" });
  cfg.checkFilled();
});

Deno.test("Config typed getters check the type and refuse DUMMY", () => {
  const cfg = Config.fromObject({ n: 5, s: "x", b: true, d: DUMMY, sub: { a: 1 } });
  assert.equal(cfg.getNumber("n"), 5);
  assert.equal(cfg.getString("s"), "x");
  assert.equal(cfg.getBoolean("b"), true);
  assert.equal(cfg.getConfig("sub").get("a"), 1);
  assert.equal(cfg.getNumber("missing", { default: 3 }), 3);
  assert.throws(() => cfg.getNumber("s"), /Config key 's' must be a number, got string x/);
  assert.throws(() => cfg.getString("d"), /'d' is an unfilled __DUMMY__; set it with --set d=/);
  assert.throws(() => cfg.getConfig("n"), /must be a subconfig/);
  assert.throws(() => cfg.getNumber("missing"), /Config has no key 'missing'/);
});

Deno.test("Config typed getters mark only when asked", () => {
  const cfg = Config.fromObject({ n: 5, m: 6 });
  cfg.getNumber("n");
  cfg.getNumber("m", { markAsUsed: true });
  assert.deepEqual(cfg.unusedLeaves(), ["n"]);
});

Deno.test("Config.flatten() maps dotted keys to leaf values", () => {
  const cfg = _sample();
  cfg.set("empty", {});
  assert.deepEqual(
    [...cfg.flatten()],
    [
      ["market_data.start", "2025-01-01"],
      ["market_data.end", "2025-03-31"],
      ["dag.sma.fast", 10],
      ["dag.sma.slow", 50],
      ["fees_bps", 10],
    ],
  );
});

Deno.test("Config records the caller's file:line as writer", () => {
  const cfg = new Config();
  cfg.set("a", 1);
  const other = Config.fromObject({ b: 2 });
  const writers = [...cfg.leaves(), ...other.leaves()].map((l) => l.writer);
  for (const writer of writers) assert.match(writer, /^lib\/config\/config_test\.ts:\d+$/);
  assert.notEqual(writers[0], writers[1]);
});

Deno.test("Config.toString() prints indented key: value lines", () => {
  const cfg = Config.fromObject({
    market_data: { start: "2025-01-01", symbols: ["BTC/USDT", "ETH/USDT"] },
    dag: { sma: { fast: 10, slow: DUMMY }, scale: 0.5, on: true, none: null },
    text: { num_like: "5", empty: "", spaced: " a", multi: "a\nb", quoted: '"q"' },
    nothing: {},
  });
  assert.equal(
    cfg.toString(),
    [
      "market_data:",
      "  start: 2025-01-01",
      '  symbols: ["BTC/USDT","ETH/USDT"]',
      "dag:",
      "  sma:",
      "    fast: 10",
      "    slow: __DUMMY__",
      "  scale: 0.5",
      "  on: true",
      "  none: null",
      "text:",
      '  num_like: "5"',
      '  empty: ""',
      '  spaced: " a"',
      '  multi: "a\\nb"',
      '  quoted: "\\"q\\""',
      "nothing: {}",
    ].join("\n"),
  );
});

Deno.test("Config.toVerboseString() adds marked_as_used, writer and val_type", () => {
  const cfg = Config.fromObject({ dag: { sma: { fast: 10 }, name: "x" } }, { writer: "a.ts:1" });
  cfg.set("symbols", ["BTC/USDT"], { writer: "b.ts:2" });
  cfg.set("empty", {}, { writer: "c.ts:3" });
  cfg.getAndMarkAsUsed("dag.sma");
  assert.equal(
    cfg.toVerboseString(),
    [
      "dag (marked_as_used=False, writer=a.ts:1, val_type=Config):",
      "  sma (marked_as_used=True, writer=a.ts:1, val_type=Config):",
      "    fast (marked_as_used=True, writer=a.ts:1, val_type=number): 10",
      "  name (marked_as_used=False, writer=a.ts:1, val_type=string): x",
      'symbols (marked_as_used=False, writer=b.ts:2, val_type=array): ["BTC/USDT"]',
      "empty (marked_as_used=False, writer=c.ts:3, val_type=Config): {}",
    ].join("\n"),
  );
});

Deno.test("formatConfigLeaf() quotes exactly the strings that would read back as JSON", () => {
  assert.equal(formatConfigLeaf("2025-01-01"), "2025-01-01");
  assert.equal(formatConfigLeaf("BTC/USDT"), "BTC/USDT");
  assert.equal(formatConfigLeaf("null"), '"null"');
  assert.equal(formatConfigLeaf("true"), '"true"');
  assert.equal(formatConfigLeaf("1e3"), '"1e3"');
  assert.equal(formatConfigLeaf(null), "null");
  assert.equal(formatConfigLeaf(1e21), "1e+21");
  assert.equal(formatConfigLeaf([{ a: 1 }]), '[{"a":1}]');
});

Deno.test("Config.toJSONString() keeps order and indentation", () => {
  const cfg = Config.fromObject({ b: 1, a: { y: [1, [2]], x: {} }, e: [] });
  assert.equal(
    cfg.toJSONString(),
    [
      "{",
      '  "b": 1,',
      '  "a": {',
      '    "y": [',
      "      1,",
      "      [",
      "        2",
      "      ]",
      "    ],",
      '    "x": {}',
      "  },",
      '  "e": []',
      "}",
    ].join("\n"),
  );
  assert.equal(cfg.toJSONString({ indent: 0 }), '{"b":1,"a":{"y":[1,[2]],"x":{}},"e":[]}');
  assert.equal(cfg.toJSONString(), JSON.stringify(cfg.toObject(), null, 2));
});

Deno.test("Config.fromJSON() round-trips exactly: order, numbers, nesting", () => {
  const text = JSON.stringify(
    {
      z: 1,
      numbers: [
        0.1,
        1e-7,
        5e-324,
        1.7976931348623157e308,
        9007199254740991,
        -3,
        0.30000000000000004,
      ],
      nested: [[1, [2, [3]]], [{ k: "v", "2": 1 }], []],
      s: 'é"\n\u0001😀',
      empty: {},
      t: true,
      n: null,
    },
    null,
    2,
  ).replace('"z": 1', '"z": 1,\n  "10": "ten",\n  "2": {"b": 1, "1": 2}').replace(
    /\{"b": 1, "1": 2\}/,
    '{\n    "b": 1,\n    "1": 2\n  }',
  );
  const cfg = Config.fromJSON(text);
  assert.deepEqual(cfg.keys(), ["z", "10", "2", "numbers", "nested", "s", "empty", "t", "n"]);
  assert.deepEqual(cfg.getConfig("2").keys(), ["b", "1"]);
  assert.equal(cfg.toJSONString(), text);
  assert.equal(Config.fromJSON(cfg.toJSONString()).toJSONString(), text);
  assert.deepEqual(cfg.get("numbers"), [
    0.1,
    1e-7,
    5e-324,
    1.7976931348623157e308,
    9007199254740991,
    -3,
    0.30000000000000004,
  ]);
});

Deno.test("Config.fromObject() and toObject() round-trip", () => {
  const object = { a: { b: [1, { c: [true, null] }], d: "x" }, e: -0.5 };
  const cfg = Config.fromObject(object);
  assert.deepEqual(cfg.toObject(), object);
  assert.deepEqual(JSON.parse(JSON.stringify(cfg)), object);
});

Deno.test("Config stores -0 as 0 so JSON round-trips", () => {
  const cfg = Config.fromObject({ x: -0 });
  assert.ok(Object.is(cfg.get("x"), 0));
});

Deno.test("Config.fromJSON() errors name the problem and the position", () => {
  assert.throws(
    () => Config.fromJSON('{\n  "a": 1,\n  "b": }'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        'Cannot parse config JSON: unexpected character "}", expected a JSON value at line 3, column 8',
  );
  assert.throws(() => Config.fromJSON("[1]"), /expected an object at the top level, got an array/);
  assert.throws(() => Config.fromJSON('{"a": 1, "a": 2}'), /duplicate key "a"/);
  assert.throws(() => Config.fromJSON('{"a.b": 1}'), /Invalid config key 'a.b'/);
});
