/**
 * Starts the sample Elixir application in `examples/sample_app` as a distributed node (`elixir --sname
 * ... -S mix run --no-halt`), for the demo and for tests that attach to a running system, and records its
 * workload. Compiles it first.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { shortHostname } from "../dist/names.js";
import { stopChild } from "../util/child-process.js";
import { defaultPlan } from "../plan/plan.js";
import { launchAndRecord, type LaunchResult } from "../record/launch.js";
import { mixEbin } from "../record/mix-project.js";

export const SAMPLE_APP_DIR = fileURLToPath(new URL("../../../examples/sample_app/", import.meta.url));

/** Printed by the node once the application has started: `mix run -e` runs after the start. */
const READY = "elixirscope: sample_app started";

export interface RunningApp {
  node: string;
  cookie: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Compiles the sample app; throws with mix's output when it fails. */
export function compileSampleApp(env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync("mix", ["compile"], { cwd: SAMPLE_APP_DIR, env, encoding: "utf8" });
  if (result.error) throw new Error(`cannot run mix (${result.error.message}): is Elixir installed?`);
  if (result.status !== 0)
    throw new Error(`mix compile failed in ${SAMPLE_APP_DIR}:\n${result.stdout}${result.stderr}`);
}

export async function startSampleApp(options: { cookie?: string; name?: string } = {}): Promise<RunningApp> {
  compileSampleApp();
  const short = options.name ?? `sample_app_${randomBytes(3).toString("hex")}`;
  const cookie = options.cookie ?? randomBytes(12).toString("hex");
  const child = spawn(
    "elixir",
    ["--sname", short, "--cookie", cookie, "-S", "mix", "run", "--no-halt", "-e", `IO.puts("${READY}")`],
    {
      cwd: SAMPLE_APP_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the sample app did not start within 60 s:\n${out}`)),
      60_000,
    );
    child.stdout!.on("data", () => {
      if (out.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the sample app exited (status ${code}) while starting:\n${out}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    node: `${short}@${shortHostname()}`,
    cookie,
    child,
    output: () => out,
    stop: () => stopChild(child, exited, 5000),
  };
}

/**
 * Records the sample app's workload (`mix run run_workload.exs`) the way `elixirscope record` does in its
 * folder, with the default plan for its application, into `out`. For the demo and for tests.
 */
export async function recordSampleWorkload(out: string): Promise<LaunchResult> {
  compileSampleApp();
  const command = ["mix", "run", "run_workload.exs"];
  return launchAndRecord({
    command,
    cwd: SAMPLE_APP_DIR,
    plan: defaultPlan(["sample_app"]),
    preload: [mixEbin(SAMPLE_APP_DIR, "sample_app", command)],
    out,
    stdio: "pipe",
  });
}
