/**
 * The trace plan: what to record and within which limits. A JSON document users write (or the planner
 * writes for them), validated here with a clear error naming the bad field. The JSON Schema of the same
 * shape is in docs/plan.schema.json (generated from this file by `npm run plan-schema`).
 *
 *     {
 *       "modules":   { "include": ["SampleApp.*"], "exclude": ["SampleApp.Bench.*"] },
 *       "functions": [{ "mfa": "SampleApp.Bank.transfer/3", "args": true, "returns": true }],
 *       "processes": "all",
 *       "capture":   { "args": false, "messages": true, "state": true, "processEvents": true },
 *       "limits":    { "maxEventsPerSec": 2000000, "maxTermBytes": 2048 }
 *     }
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_AGENT_LIMITS } from "../capture/plan-term.js";
import { parseMfaPattern, PatternError } from "./mfa-pattern.js";

const pattern = z.string().superRefine((text, ctx) => {
  try {
    parseMfaPattern(text);
  } catch (err) {
    if (err instanceof PatternError) ctx.addIssue({ code: "custom", message: err.message });
    else throw err;
  }
});

const D = DEFAULT_AGENT_LIMITS;
const MIB = 1024 * 1024;

/** The limits, with the agent's defaults (`DEFAULT_AGENT_LIMITS`; `null` is the agent's `infinity`). */
export const limitsSchema = z
  .strictObject({
    maxEventsPerSec: z
      .int()
      .positive()
      .default(D.maxEventsPerSec)
      .describe("events per second above which the agent samples, then drops"),
    maxQueue: z
      .int()
      .positive()
      .default(D.maxQueue)
      .describe("trace messages waiting in the agent's mailbox before it sheds load"),
    maxMemoryMb: z
      .number()
      .positive()
      .default(D.maxMemoryBytes / MIB)
      .describe("memory of the agent's tracer process before it sheds load"),
    maxTermBytes: z
      .int()
      .positive()
      .default(D.maxTermBytes)
      .describe("a captured term larger than this is cut, keeping type, size and a prefix"),
    maxEvents: z
      .int()
      .positive()
      .nullable()
      .default(D.maxEvents === "infinity" ? null : D.maxEvents)
      .describe("stop after this many events (null: no limit)"),
    maxDurationSec: z
      .number()
      .positive()
      .nullable()
      .default(D.maxDurationMs === "infinity" ? null : D.maxDurationMs / 1000)
      .describe("stop after this many seconds (null: no limit)"),
    batchSize: z.int().min(1).max(10_000).default(D.batchSize),
    batchMs: z.int().min(1).max(1000).default(D.batchMs),
  })
  .prefault({});

export const planSchema = z.strictObject({
  version: z.literal(1).default(1),
  modules: z
    .strictObject({
      include: z
        .array(pattern)
        .default([])
        .describe("modules whose calls are recorded; empty with applications unset: the application's own"),
      exclude: z.array(pattern).default([]),
      applications: z
        .array(z.string().regex(/^[a-z][a-z0-9_]*$/, "an OTP application name, like my_app"))
        .default([]),
    })
    .prefault({}),
  functions: z
    .array(
      z.strictObject({
        mfa: pattern,
        args: z.boolean().default(true),
        returns: z
          .boolean()
          .default(true)
          .describe("return values and durations; refused for functions that loop"),
      }),
    )
    .default([]),
  processes: z
    .union(
      [
        z.enum(["all", "new"]),
        z
          .strictObject({
            names: z
              .array(z.string().min(1))
              .default([])
              .describe("registered names: those processes and the processes they start"),
            applications: z
              .array(z.string().regex(/^[a-z][a-z0-9_]*$/, "an OTP application name, like my_app"))
              .default([])
              .describe(
                "OTP applications: their processes (group leader), running or started later, and the processes they start",
              ),
          })
          .refine((p) => p.names.length + p.applications.length > 0, {
            message: "give names, applications or both",
          }),
      ],
      {
        error:
          'expected "all", "new" or an object with "names" and/or "applications", like {"names": ["MyApp.Teller"]}',
      },
    )
    .default("all"),
  capture: z
    .strictObject({
      calls: z.boolean().default(true),
      args: z
        .boolean()
        .default(false)
        .describe("arguments of every traced call (functions[] can ask per function)"),
      callbackReturns: z
        .union([z.boolean(), z.literal("auto")], { error: 'expected true, false or "auto"' })
        .default("auto")
        .describe(
          'returns of OTP behaviour callbacks (init/1, handle_call/3, ...); "auto": all but GenServers\' when ' +
            "state is captured (their states and replies then come from the sys capture)",
        ),
      messages: z.boolean().default(true),
      callers: z
        .boolean()
        .default(false)
        .describe(
          "the calling function of every traced call, for the call graph (about 0.2 µs a call in the traced process)",
        ),
      state: z
        .boolean()
        .default(true)
        .describe("GenServer and gen_statem state: a snapshot, then every change"),
      processEvents: z.boolean().default(true).describe("spawn, link, exit, register, monitor"),
    })
    .prefault({}),
  limits: limitsSchema,
});

export type Plan = z.infer<typeof planSchema>;
export type PlanLimits = Plan["limits"];

export class PlanError extends Error {}

/**
 * A union's issues as the user needs them: when the value had the shape of one of its options (an object
 * where an object is accepted) but something inside was wrong, that option's issues, under the union's
 * path; otherwise the union's own message, which says what is accepted.
 */
function unfoldUnions(issues: readonly z.core.$ZodIssue[], base: PropertyKey[] = []): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code !== "invalid_union") return [{ ...issue, path }];
    const inside = issue.errors.find((branch) => branch.some((i) => i.path.length > 0));
    return inside ? unfoldUnions(inside, path) : [{ ...issue, path }];
  });
}

function describeIssues(error: z.ZodError, source: string): string {
  const lines = unfoldUnions(error.issues).map((issue) => {
    const path =
      issue.path.length > 0
        ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
        : "(top level)";
    return `  ${path.replace(/^\./, "")}: ${issue.message}`;
  });
  return `invalid trace plan ${source}:\n${lines.join("\n")}`;
}

/** Validates a parsed JSON value as a plan, filling in defaults. */
export function parsePlan(value: unknown, source = "(inline)"): Plan {
  const result = planSchema.safeParse(value);
  if (!result.success) throw new PlanError(describeIssues(result.error, source));
  return result.data;
}

/** Reads and validates a plan file. */
export function loadPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PlanError(
      `cannot read trace plan ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PlanError(`trace plan ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePlan(json, file);
}

/** True when the plan names no module, application or function: it selects no code to trace. */
export function namesNoCode(plan: Plan): boolean {
  return (
    plan.modules.include.length === 0 && plan.modules.applications.length === 0 && plan.functions.length === 0
  );
}

/**
 * A plan that names no code (one that only sets `capture`, `processes` or `limits`) takes the default plan's
 * modules, every module of `applications` (the Mix project's, the node's own), as the default plan would;
 * other plans, plans with `capture.calls` false and an empty `applications` leave it as it is.
 */
export function withDefaultModules(plan: Plan, applications: string[]): Plan {
  if (!namesNoCode(plan) || !plan.capture.calls || applications.length === 0) return plan;
  return { ...plan, modules: { ...plan.modules, applications: [...applications] } };
}

/** The default plan: the application's own modules, their callbacks' returns, messages, state, process events. */
export function defaultPlan(applications: string[] = []): Plan {
  return parsePlan({ modules: { applications } });
}

/** The modules a plan names by their exact name (not `MyApp.*`), each with the field naming it first. */
export function exactModules(plan: Plan): { field: string; source: string; module: string }[] {
  const named = [
    ...plan.modules.include.map((p, i) => ({ field: `modules.include[${i}]`, source: p })),
    ...plan.functions.map((f, i) => ({ field: `functions[${i}].mfa`, source: f.mfa })),
  ];
  const seen = new Set<string>();
  return named.flatMap(({ field, source }) => {
    const m = parseMfaPattern(source).module;
    if (m.kind !== "exact" || seen.has(m.value)) return [];
    seen.add(m.value);
    return [{ field, source, module: m.value }];
  });
}
