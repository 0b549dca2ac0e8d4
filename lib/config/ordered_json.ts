/**
 * A strict JSON parser that keeps object key order exactly as written. `JSON.parse` builds
 * plain objects, which move integer-like keys ("1", "42") ahead of the others; a config read
 * from a file must keep the file's order so that `Config.fromJSON(c.toJSONString())` is exact.
 * Internal to lib/config (not re-exported by mod.ts).
 */

/** A parsed JSON value; objects are `OrderedJsonObject`s that keep their key order. */
export type OrderedJson = null | boolean | number | string | OrderedJson[] | OrderedJsonObject;

/** A parsed JSON object: its `[key, value]` pairs in the order they were written. */
export class OrderedJsonObject {
  /** Wraps the entries (in source order; keys are unique). */
  constructor(readonly entries: [string, OrderedJson][]) {}
}

/** A JSON syntax error with the 1-based line and column where it was found. */
export class OrderedJsonSyntaxError extends SyntaxError {
  /** Creates the error; the message ends with `at line L, column C`. */
  constructor(what: string, readonly line: number, readonly column: number) {
    super(`${what} at line ${line}, column ${column}`);
    this.name = "OrderedJsonSyntaxError";
  }
}

const _NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses JSON text (RFC 8259: one value, optional surrounding whitespace) keeping object key
 * order. Duplicate keys in one object are an error (JSON.parse would keep the last silently).
 * Throws `OrderedJsonSyntaxError`.
 */
export function parseOrderedJson(text: string): OrderedJson {
  const parser = new _Parser(text);
  parser.skipSpace();
  const value = parser.value();
  parser.skipSpace();
  if (parser.pos < text.length) parser.fail("unexpected text after the JSON value");
  return value;
}

class _Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string, at: number = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text[i] === "\n") {
        line += 1;
        lineStart = i + 1;
      }
    }
    throw new OrderedJsonSyntaxError(what, line, at - lineStart + 1);
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos += 1;
      else break;
    }
  }

  describeHere(): string {
    if (this.pos >= this.text.length) return "end of input";
    return `character ${JSON.stringify(this.text[this.pos])}`;
  }

  value(): OrderedJson {
    const c = this.text[this.pos];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail(`unexpected ${this.describeHere()}, expected a JSON value`);
  }

  object(): OrderedJsonObject {
    this.pos += 1; // {
    const entries: [string, OrderedJson][] = [];
    const seen = new Set<string>();
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos += 1;
      return new OrderedJsonObject(entries);
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') {
        this.fail(`unexpected ${this.describeHere()}, expected a double-quoted key`);
      }
      const keyAt = this.pos;
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      seen.add(key);
      this.skipSpace();
      if (this.text[this.pos] !== ":") {
        this.fail(`unexpected ${this.describeHere()}, expected ':' after key`);
      }
      this.pos += 1;
      this.skipSpace();
      entries.push([key, this.value()]);
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos += 1;
        continue;
      }
      if (c === "}") {
        this.pos += 1;
        return new OrderedJsonObject(entries);
      }
      this.fail(`unexpected ${this.describeHere()}, expected ',' or '}'`);
    }
  }

  array(): OrderedJson[] {
    this.pos += 1; // [
    const items: OrderedJson[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos += 1;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value());
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos += 1;
        continue;
      }
      if (c === "]") {
        this.pos += 1;
        return items;
      }
      this.fail(`unexpected ${this.describeHere()}, expected ',' or ']'`);
    }
  }

  string(): string {
    const start = this.pos;
    let i = start + 1;
    while (i < this.text.length) {
      const c = this.text[i];
      if (c === '"') break;
      if (c === "\\") i += 2;
      else i += 1;
    }
    if (i >= this.text.length) this.fail("unterminated string", start);
    this.pos = i + 1;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      return this.fail("invalid string (bad escape or raw control character)", start);
    }
  }

  number(): number {
    _NUMBER.lastIndex = this.pos;
    const match = _NUMBER.exec(this.text);
    if (!match) return this.fail("invalid number");
    this.pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) {
      this.fail(`number ${match[0]} is out of range`, this.pos - match[0].length);
    }
    return value;
  }
}
