// Runs every compiled test file (dist/**/*.test.js) with Node's test runner. Node 20's runner takes no globs,
// so the files are found here. Extra arguments filter by path substring: `npm test -- dist/etf`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith(".test.js") ? [relative(root, p)] : [];
  });
}
const filters = process.argv.slice(2);
const files = find(join(root, "dist")).filter(
  (f) => filters.length === 0 || filters.some((x) => f.includes(x)),
);
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// Tests in several files run the sample app with mix; compile it once here, for both environments they use,
// so that two test files never compile it at the same time.
for (const env of ["dev", "test"]) {
  const mix = spawnSync("mix", ["compile"], {
    cwd: join(root, "examples", "sample_app"),
    env: { ...process.env, MIX_ENV: env },
    stdio: "inherit",
  });
  if (mix.status !== 0) {
    console.error(`mix compile (MIX_ENV=${env}) failed in examples/sample_app`);
    process.exit(1);
  }
}
// One test file at a time: most of them record real BEAM nodes, and on a two-core machine a second file's
// nodes, collector or browser beside a recording delay the agent's capture of the GenServers it starts until
// after their first calls (the accounts of the sample workload were all captured after their transfers).
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
