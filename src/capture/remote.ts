/**
 * Starting a recording on a node over Erlang distribution: load the agent's modules (unless the same build is
 * already loaded), listen for the agent, call `elixirscope_agent:start/1`, and wait for its hello.
 */
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { EBIN_DIR, loadModule, readBeam } from "../agent/load.js";
import { formatTerm } from "../etf/format.js";
import { atom, isAtom, type Term, Tuple } from "../etf/terms.js";
import type { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";
import { type AgentSession, listenForAgent, type ListenOptions } from "./agent-socket.js";
import { type AgentPlan, agentConfigTerm, describePlanError } from "./plan-term.js";

/** The agent's modules, as built into beam/ebin. */
export function agentModules(): string[] {
  return readdirSync(EBIN_DIR)
    .filter((f) => /^elixirscope_agent(_[a-z_]+)?\.beam$/.test(f))
    .map((f) => f.slice(0, -".beam".length))
    .sort();
}

/**
 * Loads the agent onto `peer`. A module whose loaded code is this very build is left alone: loading it again
 * would make the running code "old", and the next load would purge it, killing a running session's processes
 * before they can clean up.
 */
export async function loadAgent(node: LocalNode, peer: string): Promise<void> {
  for (const module of agentModules()) {
    const beam = readBeam(module);
    const [ours, loaded] = await Promise.all([
      rpc(node, peer, "beam_lib", "md5", [beam]),
      rpc(node, peer, "erlang", "get_module_info", [atom(module), atom("md5")]).catch(() => atom("none")),
    ]);
    const md5 =
      ours instanceof Tuple && ours.at(1) instanceof Tuple ? (ours.at(1) as Tuple).at(1) : undefined;
    if (md5 instanceof Uint8Array && loaded instanceof Uint8Array && Buffer.compare(md5, loaded) === 0)
      continue;
    await loadModule(node, peer, module, beam);
  }
}

export class AgentStartError extends Error {
  constructor(
    message: string,
    /** The `{error, Reason}` reason the agent gave. */
    readonly reason: Term,
  ) {
    super(message);
  }
}

export interface StartRecordingOptions {
  plan: AgentPlan;
  /** Address the node uses to reach us (default 127.0.0.1: the node runs on this machine). */
  host?: string;
  /** Load the agent's modules first (default true). */
  load?: boolean;
  listen?: Omit<ListenOptions, "token" | "host">;
}

/** Starts a recording session on `peer` and returns it once the agent's hello has arrived. */
export async function startRecording(
  node: LocalNode,
  peer: string,
  options: StartRecordingOptions,
): Promise<AgentSession> {
  if (options.load ?? true) await loadAgent(node, peer);
  const token = randomBytes(16).toString("hex");
  const host = options.host ?? "127.0.0.1";
  const listener = await listenForAgent({ ...options.listen, token, host });
  try {
    const config = agentConfigTerm({ host, port: listener.port, token, plan: options.plan });
    const result = await rpc(node, peer, "elixirscope_agent", "start", [config], 60_000);
    if (result instanceof Tuple && isAtom(result.at(0), "ok")) return await listener.session;
    const reason = result instanceof Tuple && result.size === 2 ? result.at(1) : result;
    const text = describePlanError(reason) ?? formatTerm(reason, { limit: 400 });
    throw new AgentStartError(`the agent on ${peer} did not start: ${text}`, reason);
  } finally {
    listener.close();
  }
}
