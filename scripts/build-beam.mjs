// Compiles the in-VM sources under beam/src into beam/ebin with erlc, for loading onto nodes over distribution.
// Built on the oldest OTP we support (25) so that the .beam files also load on 26 and 27.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const src = join(root, "beam", "src");
const out = join(root, "beam", "ebin");
mkdirSync(out, { recursive: true });
const sources = readdirSync(src)
  .filter((f) => f.endsWith(".erl"))
  .map((f) => join(src, f));
if (sources.length > 0) {
  try {
    execFileSync("erlc", ["-Wall", "+deterministic", "-o", out, ...sources], { stdio: "inherit" });
  } catch (err) {
    if (err.code === "ENOENT") {
      console.error(
        "erlc was not found: install Erlang/OTP 25 or newer (Debian: apt-get install erlang-dev).",
      );
      process.exit(1);
    }
    process.exit(typeof err.status === "number" ? err.status : 1);
  }
}
