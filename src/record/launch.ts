/**
 * `elixirscope record -- <command>`: runs a BEAM command (`mix test`, `mix run ...`, `iex -S mix`,
 * `elixir script.exs`, `erl ...`) with the agent preloaded, records until it exits, and passes its output
 * and exit status through. Nothing in the project changes: the VM is told through ERL_AFLAGS to add our
 * `beam/ebin` to its code path and run `elixirscope_agent_boot:start/0` at boot, which reads the session's
 * configuration from the file named by ELIXIRSCOPE_BOOT.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EBIN_DIR } from "../agent/load.js";
import { listenForAgent } from "../capture/agent-socket.js";
import { encode } from "../etf/index.js";
import { bootConfigTerm } from "../plan/agent-terms.js";
import type { Plan } from "../plan/plan.js";
import { createRecordingSink, type RecordingSink } from "./recording-sink.js";
import { collect, type CollectStats, finishRecording, type ProgressListener } from "./collect.js";

export interface LaunchOptions {
  command: string[];
  plan: Plan;
  out: string;
  cwd?: string;
  onProgress?: ProgressListener;
  /** Folders of compiled modules to load and trace before the command's code runs (the project's ebin). */
  preload?: string[];
  /** Where the command's output goes (default: ours). */
  stdio?: "inherit" | "pipe";
  /** Called once the recording file exists and is being written. */
  onRecording?: (sink: RecordingSink) => void;
}

export interface LaunchResult {
  exitCode: number;
  stats: CollectStats | undefined;
  /** Why no agent connected, when none did. */
  problem?: string;
  output: string;
}

export async function launchAndRecord(options: LaunchOptions): Promise<LaunchResult> {
  const token = randomBytes(16).toString("hex");
  const listener = await listenForAgent({ token, helloTimeoutMs: 30_000 });
  const dir = mkdtempSync(join(tmpdir(), "elixirscope-"));
  const bootFile = join(dir, "boot.etf");
  const config = bootConfigTerm(options.plan, { port: listener.port, token, preload: options.preload });
  writeFileSync(bootFile, encode(config));

  const aflags = [process.env["ERL_AFLAGS"], `-pa ${EBIN_DIR} -s elixirscope_agent_boot start`]
    .filter(Boolean)
    .join(" ");
  const child = spawn(options.command[0]!, options.command.slice(1), {
    cwd: options.cwd,
    stdio: options.stdio === "pipe" ? ["ignore", "pipe", "pipe"] : "inherit",
    env: { ...process.env, ERL_AFLAGS: aflags, ELIXIRSCOPE_BOOT: bootFile },
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });

  let accepted = false;
  const recording = listener.session.then(async (session) => {
    accepted = true;
    let writer: RecordingSink;
    try {
      writer = await createRecordingSink(options.out, session.info, {
        command: options.command,
        plan: options.plan,
      });
    } catch (err) {
      // Stop the agent: the command goes on unrecorded, and the reason is told at its end.
      session.close();
      throw err;
    }
    options.onRecording?.(writer);
    try {
      return { writer, stats: await collect(session, writer, options.onProgress) };
    } catch (err) {
      writer.close();
      throw err;
    }
  });
  recording.catch(() => {});

  try {
    const exitCode = await exited.catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        `cannot run '${options.command[0]}': ${err.code === "ENOENT" ? "command not found" : err.message}`,
      );
    });
    // The command has ended: its VM is gone, so its socket closes and the collector finishes by itself.
    // If no agent ever connected, stop waiting.
    const timer = setTimeout(() => listener.close(), 5000);
    try {
      const { writer, stats } = await recording;
      await finishRecording(writer, stats, { commandExitCode: exitCode });
      return { exitCode, stats, output };
    } catch (err) {
      const problem = accepted
        ? (err as Error).message
        : listener.rejected.length > 0
          ? `the agent's connection was refused: ${listener.rejected.join("; ")}`
          : "no BEAM VM started by the command connected to the recorder (is it an erl, elixir, iex or mix command?)";
      return { exitCode, stats: undefined, problem, output };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
