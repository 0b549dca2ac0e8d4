import assert from "node:assert/strict";
import { join } from "node:path";
import { inspect } from "node:util";
import { UsageError } from "../errors/mod.ts";
import { API_KEY_ENV, API_SECRET_ENV, loadApiKeys, redactSecrets } from "./api_keys.ts";

const KEY = "k3y-0123456789abcdef";
const SECRET = "s3cr3t-fedcba9876543210";

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadApiKeys() reads the environment variables", async () => {
  const env: Record<string, string> = { [API_KEY_ENV]: KEY, [API_SECRET_ENV]: SECRET };
  const keys = await loadApiKeys({ env: (n) => env[n] });
  assert.equal(keys.apiKey, KEY);
  assert.equal(keys.secret, SECRET);
  assert.equal(keys.source, "environment");
});

Deno.test("loadApiKeys() refuses missing keys, naming what to set", async () => {
  const env: Record<string, string> = { [API_KEY_ENV]: KEY };
  await assert.rejects(() => loadApiKeys({ env: (n) => env[n] }), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /DAGTRADE_API_SECRET is not set/);
    assert.ok(!e.message.includes(KEY));
    return true;
  });
});

Deno.test("loadApiKeys() reads a 0600 key file (JSON or KEY=VALUE) and refuses an open one", async () => {
  await inTemp(async (dir) => {
    const json = join(dir, "keys.json");
    await Deno.writeTextFile(json, JSON.stringify({ apiKey: KEY, secret: SECRET }), {
      mode: 0o600,
    });
    await Deno.chmod(json, 0o600);
    const a = await loadApiKeys({ env: () => undefined, keyFile: json });
    assert.deepEqual([a.apiKey, a.secret], [KEY, SECRET]);

    const env = join(dir, "keys.env");
    await Deno.writeTextFile(
      env,
      `# exchange keys\nexport ${API_KEY_ENV}="${KEY}"\n${API_SECRET_ENV}=${SECRET}\n`,
    );
    await Deno.chmod(env, 0o600);
    const b = await loadApiKeys({ env: () => undefined, keyFile: env });
    assert.deepEqual([b.apiKey, b.secret], [KEY, SECRET]);

    await Deno.chmod(env, 0o644);
    await assert.rejects(
      () => loadApiKeys({ env: () => undefined, keyFile: env }),
      (e: unknown) => e instanceof UsageError && /mode 0644.*chmod 600/.test(e.message),
    );
    const broken = join(dir, "broken.json");
    await Deno.writeTextFile(broken, `{"apiKey": "${KEY}",`);
    await Deno.chmod(broken, 0o600);
    await assert.rejects(
      () => loadApiKeys({ env: () => undefined, keyFile: broken }),
      (e: unknown) => e instanceof UsageError && !e.message.includes(KEY),
    );
    await assert.rejects(
      () => loadApiKeys({ env: () => undefined, keyFile: join(dir, "none") }),
      UsageError,
    );
  });
});

Deno.test("ApiKeys never prints its values; redactSecrets() masks them in text", async () => {
  const env: Record<string, string> = { [API_KEY_ENV]: KEY, [API_SECRET_ENV]: SECRET };
  const keys = await loadApiKeys({ env: (n) => env[n] });
  for (const text of [String(keys), JSON.stringify(keys), inspect(keys), Deno.inspect(keys)]) {
    assert.ok(!text.includes(KEY) && !text.includes(SECRET), text);
    assert.match(text, /redacted/);
  }
  assert.equal(
    redactSecrets(`key ${KEY} and ${SECRET}!`, keys.secrets()),
    "key <redacted> and <redacted>!",
  );
});
