/** `elixirscope record` and `elixirscope attach`: argument handling, progress and summary on the terminal. */
import { defaultPlan, loadPlanFile, type Plan, withDefaultModules } from "../plan/plan.js";
import { selectsNothing } from "../plan/agent-terms.js";
import { attachAndRecord } from "../record/attach.js";
import { launchAndRecord } from "../record/launch.js";
import { mixApplication, mixEbin } from "../record/mix-project.js";
import { summaryText, terminalProgress } from "../record/progress.js";
import { checkOutPath } from "../record/out-path.js";
import { liveCinema, serveUntilInterrupted } from "./cinema-live.js";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface OpenFlags {
  open?: boolean;
  port?: string;
  host?: string;
  browser?: boolean;
}

const say = (line: string) => process.stderr.write(line + "\n");

/** Throws when `command` is not a program that can be run: a name not on PATH, or a path to no executable. */
function checkCommand(command: string): void {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes("/")) {
    if (!runnable(command)) throw new Error(`cannot run '${command}': no such executable file`);
  } else if (
    !(process.env["PATH"] ?? "").split(delimiter).some((d) => d !== "" && runnable(join(d, command)))
  ) {
    throw new Error(`cannot run '${command}': command not found (give an erl, elixir, iex or mix command)`);
  }
}

function defaultOut(): string {
  return `elixirscope-${new Date().toISOString().replace(/[:.]/g, "-")}.esrec`;
}

export async function recordCommand(
  command: string[],
  opts: { plan?: string; out?: string } & OpenFlags,
): Promise<number> {
  if (command.length === 0)
    throw new Error("nothing to record: give a command after --, as in: elixirscope record -- mix test");
  const out = opts.out ?? defaultOut();
  checkOutPath(out);
  checkCommand(command[0]!);
  const app = mixApplication(process.cwd());
  const loaded: Plan = opts.plan ? loadPlanFile(opts.plan) : defaultPlan(app ? [app] : []);
  // A plan that names no code (only capture or limits) traces the project's application, as the default does.
  const plan = withDefaultModules(loaded, app ? [app] : []);
  const preload = app ? [mixEbin(process.cwd(), app, command)] : [];
  if (plan !== loaded) {
    process.stderr.write(
      `elixirscope: ${opts.plan} names no modules or functions: recording the calls of the Mix project's application ${app}\n`,
    );
  }
  if (selectsNothing(plan) && plan.capture.calls) {
    process.stderr.write(
      `elixirscope: ${opts.plan ? `${opts.plan} names no modules or functions and there is` : "there is"} no Mix project here: recording messages, processes and state, but no function calls\n`,
    );
  }
  const progress = terminalProgress(process.stderr);
  const cinema = opts.open ? liveCinema(out, opts, say) : undefined;
  const result = await launchAndRecord({
    command,
    plan,
    out,
    preload,
    onProgress: progress,
    onRecording: (sink) => cinema?.attach(sink),
  });
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  if (result.stats) process.stderr.write(summaryText(out, result.stats) + "\n");
  else process.stderr.write(`elixirscope: nothing was recorded: ${result.problem}\n`);
  if (cinema && result.stats) await serveUntilInterrupted(await cinema.server(), say);
  // Nothing recorded is a failure even when the command itself succeeded.
  return result.stats || result.exitCode !== 0 ? result.exitCode : 2;
}

export async function attachCommand(
  opts: {
    node: string;
    cookie?: string;
    plan?: string;
    duration?: string;
    out?: string;
  } & OpenFlags,
): Promise<void> {
  const plan = opts.plan ? loadPlanFile(opts.plan) : defaultPlan();
  const durationMs = opts.duration === undefined ? undefined : Number(opts.duration) * 1000;
  if (durationMs !== undefined && !(durationMs > 0))
    throw new Error(`--duration must be a positive number of seconds`);
  const out = opts.out ?? defaultOut();
  checkOutPath(out);
  const stop = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  const cinema = opts.open ? liveCinema(out, opts, say) : undefined;
  const stats = await attachAndRecord({
    onRecording: (sink) => cinema?.attach(sink),
    node: opts.node,
    cookie: opts.cookie,
    plan,
    out,
    durationMs,
    stop,
    onProgress: terminalProgress(process.stderr),
    planFile: opts.plan,
    onReplan: (problem) =>
      process.stderr.write(
        problem === undefined
          ? `\nelixirscope: now recording with the changed ${opts.plan}\n`
          : `\nelixirscope: ${problem}; the previous plan stays\n`,
      ),
    onStarted: (node) =>
      process.stderr.write(
        `Recording ${node}${durationMs ? ` for ${opts.duration} s` : ""}; Ctrl-C stops.\n`,
      ),
  });
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  process.stderr.write(summaryText(out, stats) + "\n");
  if (cinema) await serveUntilInterrupted(await cinema.server(), say);
}
