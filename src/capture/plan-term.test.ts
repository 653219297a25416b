// The resolved plan as an Erlang term: field names, atoms, defaults left to the agent, and readable errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTerm } from "../etf/format.js";
import { atom, binary, Pid, tuple } from "../etf/terms.js";
import { EBIN_DIR } from "../agent/load.js";
import { agentPlanOf } from "../plan/agent-terms.js";
import { defaultPlan } from "../plan/plan.js";
import { runErl } from "../../test/support/erl.js";
import { agentConfigTerm, DEFAULT_AGENT_LIMITS, describePlanError, planToTerm } from "./plan-term.js";

test("a plan becomes the map elixirscope_agent:start/1 takes", () => {
  const pid = new Pid(atom("a@h"), 81, 0, 1);
  const term = planToTerm({
    functions: [{ module: "Elixir.App.Worker", function: "handle", arity: 2, args: true, return: false }],
    exclude: [{ module: "lists", function: "_", arity: "_" }],
    processes: [pid, "my_server"],
    messages: true,
    callers: true,
    state: "all",
    limits: { maxEventsPerSec: 1000, maxEvents: "infinity" },
  });
  assert.equal(
    formatTerm(term, { syntax: "erlang" }),
    "#{functions => [#{module => 'Elixir.App.Worker',function => handle,arity => 2,args => true,return => false}]," +
      "exclude => [{lists,'_','_'}],processes => [<0.81.0>,my_server],messages => true,callers => true," +
      "process_events => false,state => all,limits => #{max_events_per_sec => 1000,max_events => infinity}}",
  );
});

test("mistakes a caller can make are refused with the field", () => {
  assert.throws(
    () => planToTerm({ functions: [{ module: "m", function: "f", arity: 300, args: true, return: true }] }),
    /plan functions\[0\]\.arity: expected an arity 0\.\.255 or "_", got 300/,
  );
  assert.throws(() => planToTerm({ processes: "some" as "all" }), /plan processes: expected "all" or "new"/);
  assert.throws(
    () => planToTerm({ limits: { maxQueue: -1 } }),
    /plan limits\.maxQueue: expected a positive integer/,
  );
  assert.throws(
    () => agentConfigTerm({ host: "127.0.0.1", port: 70000, token: "t", plan: {} }),
    /plan port: expected a TCP port number/,
  );
});

test("the agent's bad_plan reasons read as one sentence", () => {
  const reason = tuple(atom("bad_plan"), tuple(atom("functions"), 2), binary("arity must be 0..255"));
  assert.equal(describePlanError(reason), "functions[2]: arity must be 0..255");
  assert.equal(describePlanError(atom("other")), undefined);
});

test("the agent's default limits are DEFAULT_AGENT_LIMITS, and the trace plan's defaults too", async () => {
  const { stdout } = await runErl([
    "-noshell",
    "-pa",
    EBIN_DIR,
    "-eval",
    'io:format("~0p", [elixirscope_agent_plan:default_limits()]), halt().',
  ]);
  const expected = new Map(
    Object.entries(DEFAULT_AGENT_LIMITS).map(([k, v]) => [
      k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      String(v),
    ]),
  );
  const agent = new Map([...stdout.matchAll(/(\w+) => (\w+)/g)].map((m) => [m[1]!, m[2]!]));
  assert.deepEqual(agent, expected);
  const limits = agentPlanOf(defaultPlan()).limits;
  assert.deepEqual(limits, { ...DEFAULT_AGENT_LIMITS });
});
