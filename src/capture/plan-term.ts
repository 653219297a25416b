/**
 * The resolved recording plan, as the in-VM agent takes it (`elixirscope_agent:start/1`), and its
 * conversion into the Erlang map term.
 *
 * This is the plan after planning: modules are named exactly, functions are resolved, and only functions that
 * may safely be return-traced have `return: true` (never a function that calls itself in tail position, such
 * as a receive loop; see docs/agent-protocol.md). The agent checks it again and refuses it with
 * `{error, {bad_plan, Field, Why}}` when something is wrong; this side only catches mistakes a TypeScript
 * caller can make (wrong types, out-of-range numbers) with a readable message.
 */
import { atom, binary, charlist, ErlMap, mapOf, Pid, type Term, Tuple, tuple } from "../etf/terms.js";

/** One function pattern. `function: "_"` is every function of the module, `arity: "_"` every arity. */
export interface FunctionSpec {
  /** The module's atom name, as the VM knows it: `"lists"`, `"Elixir.MyApp.Worker"`. */
  module: string;
  function: string;
  arity: number | "_";
  /** Record the arguments of each call (else only the arity). */
  args: boolean;
  /** Record return values and exceptions. Refused by the agent with `function: "_"`. */
  return: boolean;
}

export interface ExcludeSpec {
  module: string;
  function: string;
  arity: number | "_";
}

export interface AgentLimits {
  /** Beyond this many events in a second, one in 100 is kept and the others dropped (`rate_limit`). */
  maxEventsPerSec: number;
  /** Messages waiting in the tracer's mailbox before it drops them and sheds load. */
  maxQueue: number;
  /** Memory of the tracer process, mailbox included, before it drops its mailbox and sheds load. */
  maxMemoryBytes: number;
  /** A term inside an event larger than this is cut to `{'$es_cut', Kind, Size, Prefix}`. */
  maxTermBytes: number;
  /** The session stops after recording this many events. */
  maxEvents: number | "infinity";
  /** The session stops after this long. */
  maxDurationMs: number | "infinity";
  /** Events per batch frame. */
  batchSize: number;
  /** A batch is sent at the latest this long after the previous one. */
  batchMs: number;
}

/**
 * The default limits, the one definition on this side: the agent applies the same values to a limit a plan
 * leaves out (`elixirscope_agent_plan:default_limits/0`; a test checks that the two agree), and the trace
 * plan's schema (`src/plan/plan.ts`) takes its defaults from here.
 */
export const DEFAULT_AGENT_LIMITS: Readonly<AgentLimits> = Object.freeze({
  maxEventsPerSec: 2_000_000,
  maxQueue: 200_000,
  maxMemoryBytes: 256 * 1024 * 1024,
  maxTermBytes: 4096,
  maxEvents: "infinity",
  maxDurationMs: "infinity",
  batchSize: 500,
  batchMs: 20,
});

/** A process: a pid, or the name it is registered under. */
export type ProcessRef = Pid | string;

/**
 * The processes of an OTP application: those whose group leader is its application master (what
 * `application:get_application/1` reads), running now or started later, and the processes they spawn.
 */
export interface ApplicationRef {
  application: string;
}

export interface AgentPlan {
  functions?: FunctionSpec[];
  exclude?: ExcludeSpec[];
  /** Whose calls, messages and process events are traced (default `"all"`). */
  processes?: "all" | "new" | (ProcessRef | ApplicationRef)[];
  messages?: boolean;
  /** Every call event carries its calling function. */
  callers?: boolean;
  processEvents?: boolean;
  /** GenServers and gen_statems whose state is recorded (default `"none"`). */
  state?: "none" | "all" | ProcessRef[];
  limits?: Partial<AgentLimits>;
}

const LIMIT_NAMES: Record<keyof AgentLimits, string> = {
  maxEventsPerSec: "max_events_per_sec",
  maxQueue: "max_queue",
  maxMemoryBytes: "max_memory_bytes",
  maxTermBytes: "max_term_bytes",
  maxEvents: "max_events",
  maxDurationMs: "max_duration_ms",
  batchSize: "batch_size",
  batchMs: "batch_ms",
};

function fail(field: string, expected: string, got: unknown): never {
  throw new TypeError(`plan ${field}: expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}

function name(field: string, value: unknown): Term {
  if (typeof value !== "string" || value.length === 0) fail(field, "a non-empty atom name", value);
  return atom(value);
}

function arity(field: string, value: unknown): Term {
  if (value === "_") return atom("_");
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 255) {
    fail(field, 'an arity 0..255 or "_"', value);
  }
  return value;
}

function bool(field: string, value: unknown): Term {
  if (typeof value !== "boolean") fail(field, "true or false", value);
  return atom(String(value));
}

function processes(field: string, value: unknown, words: string[], applications = false): Term {
  if (typeof value === "string") {
    if (!words.includes(value))
      fail(field, `${words.map((w) => `"${w}"`).join(" or ")} or a list of processes`, value);
    return atom(value);
  }
  if (!Array.isArray(value)) fail(field, "a word or a list of pids and registered names", value);
  return value.map((p: unknown, i) => {
    if (p instanceof Pid) return p;
    if (applications && typeof p === "object" && p !== null && "application" in p) {
      return tuple(atom("application"), name(`${field}[${i}].application`, p.application));
    }
    return name(`${field}[${i}]`, p);
  });
}

function limitValue(key: keyof AgentLimits, value: unknown): Term {
  if ((key === "maxEvents" || key === "maxDurationMs") && value === "infinity") return atom("infinity");
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    fail(`limits.${key}`, "a positive integer", value);
  }
  return value;
}

/** The Erlang plan map for `plan`, as `elixirscope_agent:start/1` and the `{plan, Plan}` frame take it. */
export function planToTerm(plan: AgentPlan): ErlMap {
  const functions = (plan.functions ?? []).map((f, i) =>
    mapOf({
      module: name(`functions[${i}].module`, f.module),
      function: name(`functions[${i}].function`, f.function),
      arity: arity(`functions[${i}].arity`, f.arity),
      args: bool(`functions[${i}].args`, f.args),
      return: bool(`functions[${i}].return`, f.return),
    }),
  );
  const exclude = (plan.exclude ?? []).map((x, i) =>
    tuple(
      name(`exclude[${i}].module`, x.module),
      name(`exclude[${i}].function`, x.function),
      arity(`exclude[${i}].arity`, x.arity),
    ),
  );
  const limits = new ErlMap(
    Object.entries(plan.limits ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [Term, Term] => {
        const key = k as keyof AgentLimits;
        if (!(key in LIMIT_NAMES)) fail(`limits.${k}`, `one of ${Object.keys(LIMIT_NAMES).join(", ")}`, k);
        return [atom(LIMIT_NAMES[key]), limitValue(key, v)];
      }),
  );
  return mapOf({
    functions,
    exclude,
    processes: processes("processes", plan.processes ?? "all", ["all", "new"], true),
    messages: bool("messages", plan.messages ?? false),
    callers: bool("callers", plan.callers ?? false),
    process_events: bool("processEvents", plan.processEvents ?? false),
    state: processes("state", plan.state ?? "none", ["none", "all"]),
    limits,
  });
}

export interface AgentConfig {
  /** Where the agent connects: the collector's listening address as the node sees it. */
  host: string;
  port: number;
  /** The secret the agent's hello must carry. */
  token: string | Uint8Array;
  plan: AgentPlan;
}

/** The `Config` map of `elixirscope_agent:start(Config)`. */
export function agentConfigTerm(config: AgentConfig): ErlMap {
  if (!Number.isInteger(config.port) || config.port <= 0 || config.port > 65535) {
    fail("port", "a TCP port number", config.port);
  }
  const token = typeof config.token === "string" ? binary(config.token) : config.token;
  return mapOf({
    collector: tuple(charlist(config.host), config.port),
    token,
    plan: planToTerm(config.plan),
  });
}

/** Reads a `{bad_plan, Field, Why}` or `{bad_config, Field, Why}` reason as one sentence, else undefined. */
export function describePlanError(reason: Term): string | undefined {
  if (!(reason instanceof Tuple) || reason.size !== 3) return undefined;
  const [tag, field, why] = reason.elements;
  if (!(tag === atom("bad_plan") || tag === atom("bad_config")) || !(why instanceof Uint8Array))
    return undefined;
  return `${fieldText(field!)}: ${Buffer.from(why).toString("utf8")}`;
}

function fieldText(field: Term): string {
  if (field instanceof Tuple) {
    return field.elements
      .map((e, i) => (typeof e === "number" ? `[${e}]` : (i > 0 ? "." : "") + fieldText(e)))
      .join("");
  }
  return String(field);
}
