// Trace plans: defaults, MFA patterns in Elixir and Erlang spelling, and errors that name the bad field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultPlan, loadPlanFile, parsePlan, PlanError } from "./plan.js";
import { matchesMfa, parseMfaPattern } from "./mfa-pattern.js";
import { agentPlanOf, selectionTerm } from "./agent-terms.js";
import { planToTerm } from "../capture/plan-term.js";
import { formatTerm } from "../etf/format.js";
import { atom } from "../etf/terms.js";

test("an empty plan gets the documented defaults", () => {
  const plan = defaultPlan(["sample_app"]);
  assert.deepEqual(plan.modules.applications, ["sample_app"]);
  assert.equal(plan.processes, "all");
  assert.equal(plan.capture.messages, true);
  assert.equal(plan.capture.args, false);
  assert.equal(plan.limits.maxTermBytes, 4096);
  assert.equal(plan.limits.maxEvents, null);
});

test("MFA patterns in Elixir and Erlang spelling", () => {
  const cases: [string, string, string, number, boolean][] = [
    ["SampleApp.Bank.*", "Elixir.SampleApp.Bank.Account", "deposit", 2, true],
    ["SampleApp.Bank.*", "Elixir.SampleApp.Bank", "transfer", 3, true],
    ["SampleApp.Bank.*", "Elixir.SampleApp.BankRobber", "x", 0, false],
    ["SampleApp.Bank.transfer/3", "Elixir.SampleApp.Bank", "transfer", 3, true],
    ["SampleApp.Bank.transfer/3", "Elixir.SampleApp.Bank", "transfer", 2, false],
    ["SampleApp.Bank.transfer/_", "Elixir.SampleApp.Bank", "transfer", 2, true],
    ["SampleApp.Bank.Account.handle_*", "Elixir.SampleApp.Bank.Account", "handle_call", 3, true],
    ["SampleApp.Bank.Account", "Elixir.SampleApp.Bank.Account", "init", 1, true],
    [":lists.map/2", "lists", "map", 2, true],
    ["lists:map/2", "lists", "map", 2, true],
    ["ets", "ets", "insert", 2, true],
  ];
  for (const [pattern, m, f, a, expected] of cases) {
    assert.equal(matchesMfa(parseMfaPattern(pattern), m, f, a), expected, `${pattern} vs ${m}.${f}/${a}`);
  }
});

test("a malformed plan names every bad field", () => {
  assert.throws(
    () =>
      parsePlan(
        {
          modules: { include: ["SampleApp.Bank.transfer/x"] },
          limits: { maxQueue: 0 },
          processes: "some",
          extra: 1,
        },
        "plan.json",
      ),
    (err: unknown) => {
      assert.ok(err instanceof PlanError);
      assert.match(err.message, /^invalid trace plan plan\.json:/);
      assert.match(
        err.message,
        /modules\.include\[0\]: 'SampleApp\.Bank\.transfer\/x': arity 'x' must be 0\.\.255 or _/,
      );
      assert.match(err.message, /limits\.maxQueue: /);
      assert.match(err.message, /processes: /);
      assert.match(err.message, /Unrecognized key: "extra"/);
      return true;
    },
  );
});

test("a value of the wrong kind where several are accepted says which are", () => {
  assert.throws(
    () => parsePlan({ processes: "some" }),
    /processes: expected "all", "new" or an object with "names" and\/or "applications"/,
  );
  assert.throws(
    () => parsePlan({ capture: { callbackReturns: "sometimes" } }),
    /capture\.callbackReturns: expected true, false or "auto"/,
  );
  // The right kind with something wrong inside names what is wrong there.
  assert.throws(
    () => parsePlan({ processes: { names: [1] } }),
    /processes\.names\[0\]: Invalid input: expected string, received number/,
  );
});

test("a plan file that is missing or not JSON says so", () => {
  const dir = mkdtempSync(join(tmpdir(), "es-plan-"));
  assert.throws(() => loadPlanFile(join(dir, "nope.json")), /cannot read trace plan .*nope\.json: ENOENT/);
  writeFileSync(join(dir, "bad.json"), "{ modules: ");
  assert.throws(() => loadPlanFile(join(dir, "bad.json")), /bad\.json is not valid JSON/);
  writeFileSync(join(dir, "ok.json"), JSON.stringify({ functions: [{ mfa: "SampleApp.Bank.transfer/3" }] }));
  assert.equal(loadPlanFile(join(dir, "ok.json")).functions[0]!.returns, true);
});

test("docs/plan.schema.json is the schema of this code (regenerate with npm run plan-schema)", async () => {
  const { readFileSync } = await import("node:fs");
  const { z } = await import("zod");
  const { planSchema } = await import("./plan.js");
  const file = new URL("../../../docs/plan.schema.json", import.meta.url);
  const committed = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const current = { ...z.toJSONSchema(planSchema, { io: "input" }), title: "ElixirScope trace plan" };
  assert.deepEqual(committed, JSON.parse(JSON.stringify(current)));
});

test("processes by application and name become the agent's process list; an empty selection is refused", () => {
  const plan = parsePlan({ processes: { applications: ["my_app"], names: ["MyApp.Teller"] } });
  assert.equal(
    formatTerm(planToTerm(agentPlanOf(plan)).get(atom("processes"))!, { syntax: "erlang" }),
    "['Elixir.MyApp.Teller',{application,my_app}]",
  );
  assert.throws(() => parsePlan({ processes: {} }), /processes: give names, applications or both/);
  assert.throws(
    () => parsePlan({ processes: { applications: ["MyApp"] } }),
    /processes\.applications\[0\]: an OTP application name/,
  );
});

test("callbackReturns auto: GenServer callbacks are not return-traced when state is captured", () => {
  const returns = (capture: object) =>
    formatTerm(selectionTerm(parsePlan({ capture })).get(atom("callback_returns"))!, { syntax: "erlang" });
  assert.equal(returns({}), "[gen_statem,supervisor,application]");
  assert.equal(returns({ state: false }), "true");
  assert.equal(returns({ callbackReturns: true }), "true");
  assert.equal(returns({ callbackReturns: false }), "false");
});
