import assert from "node:assert/strict";
import type { CommandIo } from "./command.ts";
import { ProgressBar } from "./progress_bar.ts";

function fakeIo(): { io: CommandIo; err: string[] } {
  const err: string[] = [];
  const io: CommandIo = {
    stdout: () => {},
    stderr: (t) => void err.push(t),
    stderrIsTerminal: true,
    env: () => undefined,
    signal: new AbortController().signal,
  };
  return { io, err };
}

Deno.test("ProgressBar.update() draws counts and label; above() writes the line then redraws", () => {
  const { io, err } = fakeIo();
  const bar = new ProgressBar(io, { unit: "tiles", showRate: true });
  bar.update(3, 4, "2025-01");
  assert.match(err.join(""), /\[#{23}-{7}\] 3\/4 tiles 2025-01 \d+\.\ds/);
  err.length = 0;
  bar.above("tile 2025-02 done");
  assert.equal(err[0], "\r\x1b[2K");
  assert.equal(err[1], "tile 2025-02 done\n");
  assert.match(err[2] ?? "", /3\/4 tiles 2025-01/);
  err.length = 0;
  bar.update(4, 4);
  bar.finish();
  assert.match(err.join(""), /\[#{30}\] 4\/4 tiles .*\n$/);
});

Deno.test("ProgressBar.update() redraws at most 10 times a second until done", () => {
  const { io, err } = fakeIo();
  const bar = new ProgressBar(io, { unit: "bars" });
  for (let i = 1; i < 1000; i++) bar.update(i, 1000);
  assert.ok(err.length < 50, `${err.length} draws for 999 updates`);
  bar.update(1000, 1000);
  assert.match(err[err.length - 1] ?? "", /1000\/1000 bars/);
});
