/**
 * `elixirscope demo`: records the sample Elixir application (examples/sample_app) running its workload
 * (a bank of account GenServers, a Task fan-out, a worker that crashes and is restarted, a chain of
 * processes, a gen_statem and a receive loop), then prints what the recording holds and where it is.
 */
import { resolve } from "node:path";
import { recordSampleWorkload } from "../demo/sample-app.js";
import { countEvents } from "../record/events.js";
import { openRecording } from "../query/index.js";
import { checkOutPath } from "../record/out-path.js";
import { summaryText } from "../record/progress.js";
import { serveUntilInterrupted } from "./cinema-live.js";
import { startOpen } from "./open.js";

/** `{%ArgumentError{...}, [stack]}` as `%ArgumentError{...} (and its stack trace)`; other reasons as they are. */
function exceptionOf(reason: string): string {
  const m = /^\{(%[\w.]+\{.*\}), \[/.exec(reason);
  return m ? `${m[1]} (and its stack trace)` : reason;
}

export async function demoCommand(
  opts: { out?: string; open?: boolean; port?: string; browser?: boolean } = {},
  out: (line: string) => void = (l) => process.stdout.write(l + "\n"),
): Promise<void> {
  const file = resolve(opts.out ?? "elixirscope-demo.esrec");
  checkOutPath(file);
  out("Compiling the sample application (examples/sample_app)...");
  out("Recording: elixirscope record -- mix run run_workload.exs");
  const result = await recordSampleWorkload(file);
  if (!result.stats) throw new Error(`nothing was recorded: ${result.problem}\n${result.output}`);
  if (result.exitCode !== 0)
    throw new Error(`the workload failed (status ${result.exitCode}):\n${result.output}`);
  out(summaryText(file, result.stats));

  const counts = await countEvents(file);
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
  const rec = await openRecording(file);
  try {
    const procs = await rec.processes();
    const label = (id: number) =>
      procs[id]?.name ? `${procs[id]!.pid} ${procs[id]!.name}` : (procs[id]?.pid ?? "?");
    const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason));
    if (crash) {
      out(
        `  the crash: ${label(crash.proc)} exited at #${crash.seq} with ${exceptionOf(crash.reason)}, because:`,
      );
      for (const step of crash.chain.slice(1, 4))
        out(`    ${step.relation} #${step.seq} ${label(step.proc)}: ${step.text}`);
      if (crash.restartedAs !== null)
        out(`    and its supervisor restarted it as ${label(crash.restartedAs)}`);
    }
  } finally {
    await rec.close();
  }
  out("Ask it more:");
  out(`  elixirscope query ${file} crashes`);
  out(`  elixirscope query ${file} messages SampleApp.Bank.Teller --pattern '{:transfer, _, _, _}'`);
  out(`  elixirscope query ${file} states SampleApp.Door`);
  out(`  elixirscope open ${file}`);
  out(`The recording is ${file}.`);
  if (opts.open === false) return;
  const server = await startOpen(file, { port: opts.port, browser: opts.browser });
  await serveUntilInterrupted(server, out);
}
