/**
 * Starts real BEAM nodes for tests and benchmarks: `erl -sname` or `elixir --sname`, each with its own
 * random name and cookie, waited for until EPMD lists them, and always stopped at the end.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { waitForNode } from "../../src/dist/epmd.js";
import { shortHostname } from "../../src/dist/names.js";

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

export async function startNode(options: StartOptions = {}): Promise<TestNode> {
  ensureEpmd();
  const short = uniqueName("es_test");
  const cookie = options.cookie ?? `c_${randomBytes(8).toString("hex")}`;
  const elixirArgs = ["--sname", short, "--cookie", cookie, ...(options.extraArgs ?? [])];
  const args =
    options.kind === "elixir"
      ? [...elixirArgs, "--no-halt", "-e", options.eval ?? ":ok"]
      : options.kind === "iex"
        ? [...elixirArgs, ...(options.eval ? ["-e", options.eval] : [])]
        : [
            "-sname",
            short,
            "-setcookie",
            cookie,
            "-noshell",
            ...(options.extraArgs ?? []),
            ...(options.eval ? ["-eval", options.eval] : []),
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
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`node ${short} did not start: ${(err as Error).message}\n${out}`);
  }
  return {
    name: `${short}@${shortHostname()}`,
    cookie,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end();
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
