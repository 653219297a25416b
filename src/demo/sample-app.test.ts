// The sample application's own ExUnit suite: the workload's counts are what the recorder is checked against,
// so they are checked here first, with a real trace (workload_trace_test.exs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { SAMPLE_APP_DIR } from "./sample-app.js";

test("the sample application's ExUnit suite passes", () => {
  const r = spawnSync("mix", ["test"], {
    cwd: SAMPLE_APP_DIR,
    env: { ...process.env, MIX_ENV: "test" },
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\b0 failures\b/);
});
