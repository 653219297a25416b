/**
 * `elixirscope demo`: records the sample Elixir application (examples/sample_app) running its workload
 * (a bank of account GenServers, a Task fan-out, a worker that crashes and is restarted, a chain of
 * processes, a gen_statem and a receive loop), then prints what the recording holds and where it is.
 */
import { resolve } from "node:path";
import { formatTerm } from "../etf/index.js";
import { Tuple } from "../etf/terms.js";
import { defaultPlan } from "../plan/plan.js";
import { compileSampleApp, SAMPLE_APP_DIR } from "../demo/sample-app.js";
import { countEvents, recordedEvents } from "../record/events.js";
import { launchAndRecord } from "../record/launch.js";
import { mixEbin } from "../record/mix-project.js";
import { summaryText } from "../record/progress.js";

export async function demoCommand(
  opts: { out?: string } = {},
  out: (line: string) => void = (l) => process.stdout.write(l + "\n"),
): Promise<void> {
  const file = resolve(opts.out ?? "elixirscope-demo.esrec");
  out("Compiling the sample application (examples/sample_app)...");
  compileSampleApp();
  const command = ["mix", "run", "run_workload.exs"];
  out(`Recording: elixirscope record -- ${command.join(" ")}`);
  const result = await launchAndRecord({
    command,
    cwd: SAMPLE_APP_DIR,
    plan: defaultPlan(["sample_app"]),
    preload: [mixEbin(SAMPLE_APP_DIR, "sample_app", command)],
    out: file,
    stdio: "pipe",
  });
  if (!result.stats) throw new Error(`nothing was recorded: ${result.problem}\n${result.output}`);
  if (result.exitCode !== 0)
    throw new Error(`the workload failed (status ${result.exitCode}):\n${result.output}`);
  out(summaryText(file, result.stats));

  const counts = countEvents(file);
  const sum = (pred: (k: string) => boolean) =>
    [...counts].filter(([k]) => pred(k)).reduce((a, [, n]) => a + n, 0);
  out("What it holds:");
  out(
    `  ${sum((k) => k.startsWith("call "))} function calls, ${sum((k) => k.startsWith("return_from "))} returns`,
  );
  out(`  ${counts.get("send") ?? 0} messages sent, ${counts.get("receive") ?? 0} received`);
  out(
    `  ${counts.get("spawn") ?? 0} processes spawned, ${counts.get("exit") ?? 0} exits, ${counts.get("link") ?? 0} links`,
  );
  out(
    `  GenServer and gen_statem states: ${counts.get("es_state") ?? 0} (a snapshot of each, then each ` +
      `callback's change with the message that caused it and the reply)`,
  );
  for (const e of recordedEvents(file)) {
    const reason = e.at(3);
    if (
      String(e.at(2)) === "exit" &&
      reason instanceof Tuple &&
      /ArgumentError/.test(formatTerm(reason.at(0)))
    ) {
      out(
        `  the crash: ${formatTerm(e.at(1))} exited with ${formatTerm(reason.at(0))} (and its stack trace)`,
      );
      break;
    }
  }
  out(`The recording is ${file}.`);
}
