import assert from "node:assert/strict";
import {
  type OrderedJson,
  OrderedJsonObject,
  OrderedJsonSyntaxError,
  parseOrderedJson,
} from "./ordered_json.ts";

function _plain(value: OrderedJson): unknown {
  if (value instanceof OrderedJsonObject) {
    return Object.fromEntries(value.entries.map(([k, v]) => [k, _plain(v)]));
  }
  if (Array.isArray(value)) return value.map(_plain);
  return value;
}

Deno.test("parseOrderedJson() keeps key order, including integer-like keys", () => {
  const parsed = parseOrderedJson('{"b": 1, "10": 2, "a": {"2": 3, "1": 4}}');
  assert.ok(parsed instanceof OrderedJsonObject);
  assert.deepEqual(parsed.entries.map(([k]) => k), ["b", "10", "a"]);
  const inner = parsed.entries[2]?.[1];
  assert.ok(inner instanceof OrderedJsonObject);
  assert.deepEqual(inner.entries.map(([k]) => k), ["2", "1"]);
});

Deno.test("parseOrderedJson() reads the same values as JSON.parse", () => {
  const texts = [
    '{"x": [1, -2.5, 1e-7, 1.7976931348623157e308, 5e-324, 9007199254740991]}',
    '["a\\n\\u00e9\\"", true, false, null, [], {}, [[1, [2]]]]',
    " \n\t 0.1 \r\n",
    '"\\ud83d\\ude00"',
  ];
  for (const text of texts) assert.deepEqual(_plain(parseOrderedJson(text)), JSON.parse(text));
});

Deno.test("parseOrderedJson() reports line and column of syntax errors", () => {
  assert.throws(
    () => parseOrderedJson('{\n  "a": 1,\n  "b": tru\n}'),
    (error: unknown) =>
      error instanceof OrderedJsonSyntaxError && error.line === 3 && error.column === 8 &&
      /expected a JSON value at line 3, column 8/.test(error.message),
  );
  assert.throws(() => parseOrderedJson('{"a": 1,}'), /expected a double-quoted key/);
  assert.throws(() => parseOrderedJson("[1 2]"), /expected ',' or ']'/);
  assert.throws(() => parseOrderedJson('"abc'), /unterminated string/);
  assert.throws(() => parseOrderedJson("01"), /unexpected text after the JSON value/);
  assert.throws(() => parseOrderedJson(""), /unexpected end of input/);
  assert.throws(() => parseOrderedJson("1e999"), /out of range/);
});

Deno.test("parseOrderedJson() rejects duplicate keys", () => {
  assert.throws(
    () => parseOrderedJson('{"a": 1, "a": 2}'),
    /duplicate key "a" at line 1, column 10/,
  );
});
