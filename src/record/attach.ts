/**
 * `elixirscope attach`: records a node that is already running, with no change to it. Connects as a hidden
 * node, loads the agent's modules over distribution, starts a session that streams to a loopback listener
 * here, records until stopped (Ctrl-C, `--duration`, or the node going down), then stops the session, which
 * removes all its tracing, and disconnects.
 */
import { randomBytes } from "node:crypto";
import { listenForAgent } from "../capture/agent-socket.js";
import { describePlanError, planToTerm } from "../capture/plan-term.js";
import { unwatchFile, watchFile } from "node:fs";
import { loadAgent } from "../capture/remote.js";
import { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";
import { DistError } from "../dist/errors.js";
import { formatTerm } from "../etf/index.js";
import { atom, isAtom, Tuple } from "../etf/terms.js";
import { agentPlanOf, bootConfigTerm, selectionTerm, selectsNothing } from "../plan/agent-terms.js";
import { exactModules, loadPlanFile, type Plan, PlanError, withDefaultModules } from "../plan/plan.js";
import { createRecordingSink, type RecordingSink } from "./recording-sink.js";
import {
  collect,
  type CollectStats,
  finishRecording,
  type ProgressListener,
  stopSession,
} from "./collect.js";
import { PLATFORM_APPS } from "../plan/platform-apps.js";

export interface AttachOptions {
  node: string;
  cookie?: string;
  plan: Plan;
  out: string;
  /** Stop after this many milliseconds; otherwise when `stop` resolves. */
  durationMs?: number;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stop?: Promise<void>;
  onProgress?: ProgressListener;
  /** Called once the agent has connected and recording has begun, with the node's full name. */
  onStarted?: (node: string) => void;
  /** Called once the recording file exists and is being written. */
  onRecording?: (sink: RecordingSink) => void;
  /** A plan file to watch: when it changes, the recording switches to it without stopping. */
  planFile?: string;
  /** Told how each change of the plan file went: undefined when applied, else why not. */
  onReplan?: (problem: string | undefined) => void;
}

/** The node's own running applications, for the default plan. */
export async function userApplications(node: LocalNode, peer: string): Promise<string[]> {
  const apps = await rpc(node, peer, "application", "which_applications", []);
  if (!Array.isArray(apps)) return [];
  return apps
    .map((a) => {
      const name = a instanceof Tuple ? a.at(0) : undefined;
      return name !== undefined && isAtom(name) ? name.name : "";
    })
    .filter((a) => a !== "" && !PLATFORM_APPS.has(a));
}

/**
 * Why the plan cannot be right for the node, when it names a module the node has no code for (a misspelt
 * name would otherwise record nothing and say nothing); undefined when every module it names exists.
 */
export async function unknownModule(
  node: LocalNode,
  peer: string,
  plan: Plan,
  source = "the plan",
): Promise<string | undefined> {
  for (const { field, module } of exactModules(plan)) {
    const where = await rpc(node, peer, "code", "which", [atom(module)]);
    if (isAtom(where, "non_existing"))
      return `${source}: ${field}: ${peer} has no module ${module.startsWith("Elixir.") ? module.slice(7) : `:${module}`} (code:which/1 finds none): check its spelling`;
  }
  return undefined;
}

export async function attachAndRecord(options: AttachOptions): Promise<CollectStats> {
  const local = await LocalNode.start({ cookie: options.cookie });
  try {
    const conn = await local.connect(options.node);
    const peer = conn.peerName;
    // A plan that names no code (the default one, or one that only sets capture or limits) traces the
    // node's own applications, and so does every change of the plan file that names none.
    const ownApps = selectsNothing(options.plan) ? await userApplications(local, peer) : [];
    const plan = withDefaultModules(options.plan, ownApps);
    const unknown = await unknownModule(local, peer, plan, options.planFile);
    if (unknown !== undefined) throw new PlanError(unknown);
    await loadAgent(local, peer);
    const token = randomBytes(16).toString("hex");
    const listener = await listenForAgent({ token });
    let session;
    try {
      const config = bootConfigTerm(plan, { port: listener.port, token });
      const started = await rpc(local, peer, "elixirscope_agent_boot", "start", [config], 60_000);
      if (!(started instanceof Tuple && isAtom(started.at(0), "ok"))) {
        const reason = started instanceof Tuple && started.size === 2 ? started.at(1) : started;
        throw new DistError(
          "PROTOCOL",
          `the agent on ${peer} did not start: ${describePlanError(reason) ?? formatTerm(reason)}`,
        );
      }
      session = await listener.session;
    } finally {
      listener.close();
    }
    const writer = await createRecordingSink(options.out, session.info, {
      attachedTo: peer,
      plan,
    });
    options.onRecording?.(writer);
    options.onStarted?.(peer);
    const collecting = collect(session, writer, options.onProgress);
    const planFile = options.planFile;
    const replan = async () => {
      try {
        const loaded = loadPlanFile(planFile!);
        const next = withDefaultModules(
          loaded,
          ownApps.length > 0 || !selectsNothing(loaded) ? ownApps : await userApplications(local, peer),
        );
        const unknown = await unknownModule(local, peer, next, planFile);
        if (unknown !== undefined) return options.onReplan?.(unknown);
        const r = await rpc(local, peer, "elixirscope_agent_boot", "replan", [
          selectionTerm(next),
          planToTerm(agentPlanOf(next)),
        ]);
        options.onReplan?.(isAtom(r, "ok") ? undefined : `the node refused the new plan: ${formatTerm(r)}`);
      } catch (err) {
        options.onReplan?.((err as Error).message);
      }
    };
    if (planFile) watchFile(planFile, { interval: 250 }, () => void replan());
    const stopWhen = [
      options.stop,
      options.durationMs === undefined
        ? undefined
        : new Promise<void>((r) => setTimeout(r, options.durationMs).unref()),
    ].filter((p): p is Promise<void> => p !== undefined);
    const ended = session.closed.then(() => undefined);
    await Promise.race([ended, ...stopWhen]);
    await stopSession(session);
    if (planFile) unwatchFile(planFile);
    const stats = await collecting;
    await finishRecording(writer, stats);
    return stats;
  } finally {
    await local.stop();
  }
}
