/**
 * Records the sample application's workload (examples/sample_app, `mix run run_workload.exs`) with the
 * default plan into a file, the way `elixirscope demo` does, for tests and screenshots that need a real
 * recording of the examples.
 */
import { compileSampleApp, SAMPLE_APP_DIR } from "../../src/demo/sample-app.js";
import { defaultPlan, type Plan } from "../../src/plan/plan.js";
import { launchAndRecord } from "../../src/record/launch.js";
import { mixEbin } from "../../src/record/mix-project.js";

/** `args` go to run_workload.exs: `["--loop-messages", "10"]`; `plan` replaces the default plan. */
export async function recordSampleApp(out: string, args: string[] = [], plan?: Plan): Promise<void> {
  compileSampleApp();
  const command = ["mix", "run", "run_workload.exs", ...args];
  const result = await launchAndRecord({
    command,
    cwd: SAMPLE_APP_DIR,
    plan: plan ?? defaultPlan(["sample_app"]),
    preload: [mixEbin(SAMPLE_APP_DIR, "sample_app", command)],
    out,
    stdio: "pipe",
  });
  if (!result.stats) throw new Error(`nothing was recorded: ${result.problem}\n${result.output}`);
  if (result.exitCode !== 0)
    throw new Error(`the workload failed (status ${result.exitCode}):\n${result.output}`);
}
