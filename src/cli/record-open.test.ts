// `elixirscope record --open`: the Execution Cinema answers while the recording is being made, from what is
// written so far, and goes on serving the finished recording until Ctrl-C.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSampleApp, SAMPLE_APP_DIR } from "../demo/sample-app.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

async function ask(url: string, method: string, args: unknown[] = []): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}api/${method}`, { method: "POST", body: JSON.stringify(args) });
  const body = (await res.json()) as { result?: Record<string, unknown>; error?: { message: string } };
  assert.ok(body.result, `${method}: ${body.error?.message}`);
  return body.result;
}

test("record --open serves the recording while it is made, then the finished file", async () => {
  compileSampleApp();
  const out = join(mkdtempSync(join(tmpdir(), "es-open-")), "live.esrec");
  // A workload that takes a few seconds: the transfers, then a pause, then the rest.
  const child = spawn(
    process.execPath,
    [MAIN, "record", "--open", "--no-browser", "--out", out, "--", "mix", "run", "-e",
     "SampleApp.Workload.run(); Process.sleep(3000); SampleApp.Workload.run()"],
    { cwd: SAMPLE_APP_DIR, stdio: ["ignore", "pipe", "pipe"] },
  ); // prettier-ignore
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const waitFor = async (re: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(err);
      if (m) return m;
      assert.ok(Date.now() < deadline && child.exitCode === null, `no ${re} in:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    const url = (
      await waitFor(/Execution Cinema \(live\): (http:\/\/127\.0\.0\.1:\d+\/[^/\s]+\/)/, 60_000)
    )[1]!;
    // While recording: the recording is incomplete and grows.
    let during: Record<string, unknown> | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const info = await ask(url, "info");
      if ((info["events"] as number) > 1000 && info["complete"] === false) {
        during = info;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(during, "the live recording showed events while being made");
    await waitFor(/goes on serving the recording/, 60_000);
    // Finished: the same URL now shows the whole, complete recording.
    let after: Record<string, unknown> = {};
    for (let i = 0; i < 50; i++) {
      after = await ask(url, "info");
      if (after["complete"] === true) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(after["complete"], true);
    assert.ok((after["events"] as number) > (during["events"] as number));
    const crashes = (await ask(url, "crashes")) as unknown as { reason: string }[];
    assert.equal(crashes.filter((c) => /ArgumentError/.test(c.reason)).length, 2);
  } finally {
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  }
});
