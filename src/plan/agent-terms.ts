/**
 * A validated plan, in the two forms the in-VM agent takes: the agent plan (processes, messages, state,
 * limits: `elixirscope_agent:start/1`) and the selection of modules and functions, which the agent resolves
 * against the modules loaded on the node (`elixirscope_agent_select`), now and as more load.
 */
import { atom, binary, charlist, ErlMap, mapOf, type Term, tuple } from "../etf/terms.js";
import { type AgentPlan, agentConfigTerm } from "../capture/plan-term.js";
import { type MfaPattern, type NamePattern, parseMfaPattern } from "./mfa-pattern.js";
import { namesNoCode, type Plan } from "./plan.js";

export function agentPlanOf(plan: Plan): AgentPlan {
  const l = plan.limits;
  return {
    functions: [],
    processes:
      typeof plan.processes === "string"
        ? plan.processes
        : [
            ...plan.processes.names.map(moduleOrName),
            ...plan.processes.applications.map((application) => ({ application })),
          ],
    messages: plan.capture.messages,
    callers: plan.capture.callers,
    processEvents: plan.capture.processEvents,
    state: plan.capture.state ? "all" : "none",
    limits: {
      maxEventsPerSec: l.maxEventsPerSec,
      maxQueue: l.maxQueue,
      maxMemoryBytes: Math.round(l.maxMemoryMb * 1024 * 1024),
      maxTermBytes: l.maxTermBytes,
      maxEvents: l.maxEvents ?? "infinity",
      maxDurationMs: l.maxDurationSec === null ? "infinity" : Math.round(l.maxDurationSec * 1000),
      batchSize: l.batchSize,
      batchMs: l.batchMs,
    },
  };
}

/** `SampleApp.Teller` names the process registered as `Elixir.SampleApp.Teller`; `:logger` or `logger` as is. */
function moduleOrName(name: string): string {
  if (name.startsWith(":")) return name.slice(1);
  return /^[A-Z]/.test(name) ? `Elixir.${name}` : name;
}

function namePart(p: NamePattern): Term {
  if (p.kind === "any") return atom("any");
  return tuple(atom(p.kind), binary(p.value));
}

/** A pattern as `{ModulePart, FunctionPart, Arity | any}`; `A.B.*` becomes `A.B` itself plus `A.B.` as a prefix. */
function patternTerms(p: MfaPattern): Term[] {
  const rest = [namePart(p.fun), p.arity === "any" ? atom("any") : p.arity];
  const m = p.module;
  if (m.kind === "prefix" && m.value.startsWith("Elixir.") && !m.value.endsWith(".")) {
    return [
      tuple(namePart({ kind: "exact", value: m.value }), ...rest),
      tuple(namePart({ kind: "prefix", value: m.value + "." }), ...rest),
    ];
  }
  return [tuple(namePart(m), ...rest)];
}

/**
 * The behaviours whose callbacks' returns are traced. `"auto"` leaves out GenServers when their state is
 * captured: the sys debug function then records each callback's state and reply, sending only what changed,
 * where a return event would carry the whole state every time.
 */
function callbackReturnsTerm(plan: Plan): Term {
  const which = plan.capture.callbackReturns;
  if (which !== "auto") return atom(String(which));
  if (!plan.capture.state) return atom("true");
  return ["gen_statem", "supervisor", "application"].map((b) => atom(b));
}

export function selectionTerm(plan: Plan): ErlMap {
  return mapOf({
    include: plan.modules.include.flatMap((s) => patternTerms(parseMfaPattern(s))),
    exclude: plan.modules.exclude.flatMap((s) => patternTerms(parseMfaPattern(s))),
    applications: plan.modules.applications.map((a) => atom(a)),
    functions: plan.functions.flatMap((f) =>
      patternTerms(parseMfaPattern(f.mfa)).map((pattern) =>
        mapOf({ pattern, args: atom(String(f.args)), return: atom(String(f.returns)) }),
      ),
    ),
    args: atom(String(plan.capture.args)),
    callback_returns: callbackReturnsTerm(plan),
  });
}

/** True when the plan selects no code at all: nothing would be traced but messages and processes. */
export function selectsNothing(plan: Plan): boolean {
  return namesNoCode(plan);
}

/**
 * The configuration `elixirscope_agent_boot:start/1` takes: the agent's own (`elixirscope_agent:start/1`)
 * plus the selection it resolves on the node and the folders to load before tracing starts.
 */
export function bootConfigTerm(
  plan: Plan,
  where: { port: number; token: string; preload?: string[] },
): ErlMap {
  const config = agentConfigTerm({
    host: "127.0.0.1",
    port: where.port,
    token: where.token,
    plan: agentPlanOf(plan),
  });
  return new ErlMap([
    ...config.entries,
    [atom("selection"), selectionTerm(plan)],
    [atom("preload"), (where.preload ?? []).map((dir) => charlist(dir))],
  ]);
}
