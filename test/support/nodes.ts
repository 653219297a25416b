/**
 * Starts real BEAM nodes for tests and benchmarks: `erl -sname` or `elixir --sname`, each with its own
 * random name and cookie, waited for until EPMD lists them, and always stopped at the end.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { waitForNode } from "../../src/dist/epmd.js";
import { shortHostname } from "../../src/dist/names.js";
import { stopChild } from "../../src/util/child-process.js";

export interface TestNode {
  /** Full node name, `name@host`. */
  name: string;
  cookie: string;
  child: ChildProcess;
  /** Everything the node printed. */
  output(): string;
  /** Stops the node (SIGKILL after a grace period) and waits for it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  kind?: "erl" | "elixir" | "iex";
  /** Expressions run at start: Erlang for erl (`-eval`), Elixir for elixir and iex (`-e`). */
  eval?: string;
  cookie?: string;
  extraArgs?: string[];
}

let epmdStarted = false;
/** EPMD must run before our own node registers; `erl -sname` starts it, but tests may register first. */
export function ensureEpmd(): void {
  if (epmdStarted) return;
  spawnSync("epmd", ["-daemon"], { stdio: "ignore" });
  epmdStarted = true;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(3).toString("hex")}`;
}

const READY = "elixirscope-test-node-ready";

export async function startNode(options: StartOptions = {}): Promise<TestNode> {
  ensureEpmd();
  const short = uniqueName("es_test");
  const cookie = options.cookie ?? `c_${randomBytes(8).toString("hex")}`;
  // The node prints READY once its start-up expressions have run: EPMD knows a node before that.
  const elixirEval = options.eval ? ["-e", options.eval, "-e", `IO.puts("${READY}")`] : [];
  const elixirArgs = ["--sname", short, "--cookie", cookie, ...(options.extraArgs ?? [])];
  const args =
    options.kind === "elixir"
      ? [...elixirArgs, "--no-halt", ...(options.eval ? elixirEval : ["-e", ":ok"])]
      : options.kind === "iex"
        ? [...elixirArgs, ...elixirEval]
        : [
            "-sname",
            short,
            "-setcookie",
            cookie,
            "-noshell",
            ...(options.extraArgs ?? []),
            ...(options.eval ? ["-eval", options.eval, "-eval", `io:format("~s~n", ["${READY}"]).`] : []),
          ];
  // IEx reads its standard input: keep a pipe open so that the shell waits instead of seeing end of file.
  const child = spawn(options.kind ?? "erl", args, {
    stdio: [options.kind === "iex" ? "pipe" : "ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForNode(short, shortHostname(), 20_000, () => child.exitCode === null);
    const deadline = Date.now() + 20_000;
    while (options.eval && !out.includes(READY)) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error("its start-up expressions did not finish");
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`node ${short} did not start: ${(err as Error).message}\n${out}`);
  }
  return {
    name: `${short}@${shortHostname()}`,
    cookie,
    child,
    output: () => out,
    stop: () => stopChild(child, exited, 3000),
  };
}
