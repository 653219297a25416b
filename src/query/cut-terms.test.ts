// Terms the agent cut because they were too large to record, on a real recording: a GenServer of the
// sample app (SampleApp.Bench.KV, 20 keys) given a 10 kB binary, then one more key. Its states print as the
// map they were, with the binary's first bytes and sizes, in Elixir and Erlang syntax, and its diffs stay
// by key, cut or not. A second one has its whole map replaced by a larger one: a change too large to record
// shows as the new state, cut.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSampleApp, SAMPLE_APP_DIR } from "../demo/sample-app.js";
import { defaultPlan } from "../plan/plan.js";
import { launchAndRecord } from "../record/launch.js";
import { mixEbin } from "../record/mix-project.js";
import { termToJson } from "../server/term-json.js";
import { openRecording, type Recording, type StateView } from "./index.js";

const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const file = join(mkdtempSync(join(tmpdir(), "es-cut-")), "cut.esrec");
const SCRIPT = `
{:ok, kv} = SampleApp.Bench.KV.start_link(20)
:ok = SampleApp.Bench.KV.put(kv, 5, :binary.copy("x", 10240))
:ok = SampleApp.Bench.KV.put(kv, 1, :one)
IO.puts("kv #{inspect(kv)}")
{:ok, kv2} = SampleApp.Bench.KV.start_link(20)
# The agent installs its state capture a moment after a GenServer starts: wait for its sys debug function.
captured? = fn -> match?({:status, _, _, [_, _, _, [_ | _], _]}, :sys.get_status(kv2)) end
true = Enum.any?(1..1000, fn _ -> captured?.() or (Process.sleep(10) && false) end)
:ok = SampleApp.Bench.KV.replace(kv2, Map.new(100..400, &{&1, :binary.copy("y", 100)}))
:ok = SampleApp.Bench.KV.put(kv2, 100, :first)
IO.puts("kv2 #{inspect(kv2)}")
`;
let rec: Recording;
let kvPid: string;
let states: StateView[];
let replaced: StateView[];

before(async () => {
  compileSampleApp();
  const command = ["mix", "run", "-e", SCRIPT];
  const r = await launchAndRecord({
    command,
    cwd: SAMPLE_APP_DIR,
    plan: defaultPlan(["sample_app"]),
    preload: [mixEbin(SAMPLE_APP_DIR, "sample_app", command)],
    out: file,
    stdio: "pipe",
  });
  assert.equal(r.exitCode, 0, r.output);
  kvPid = /kv #PID(<[\d.]+>)/.exec(r.output)![1]!;
  rec = await openRecording(file);
  states = (await rec.states((await rec.resolveProcess(kvPid)).id)).items;
  const kv2Pid = /kv2 #PID(<[\d.]+>)/.exec(r.output)![1]!;
  replaced = (await rec.states((await rec.resolveProcess(kv2Pid)).id)).items;
});

after(async () => {
  await rec?.close();
});

const BINARY = '<<"xxxxxxxxxxxxxxxx"…10240 bytes, cut>>';

test("a state with a cut binary prints as its map, the binary's first bytes and size, and the keys cut", () => {
  const cut = states.filter((s) => s.text.includes(BINARY));
  assert.ok(cut.length >= 2, states.map((s) => s.text).join("\n"));
  for (const s of states) assert.doesNotMatch(s.text, /es_cut/);
  assert.match(
    cut[0]!.text,
    new RegExp(
      `^%\\{0 => 0, 1 => 0, .*5 => ${BINARY.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, …20 keys, cut\\}$`,
    ),
  );
  // Its trigger is the call's receive, although the call's message was cut there and in the state event each
  // on its own budget.
  assert.match(cut[0]!.trigger!.text, /\{:put, 5, <<"x{16}"…10240 bytes, cut>>\}\}$/);
  assert.notEqual(cut[0]!.trigger!.seq, null);
  // The next change applies to what is known of the state: key 1 is :one, the state still cut.
  const last = states[states.length - 1]!;
  assert.match(last.text, /^%\{0 => 0, 1 => :one, .*…20 keys, cut\}$/);
  assert.deepEqual(
    last.diff.map((d) => [d.path, d.kind, d.before, d.after]),
    [["[1]", "changed", "0", ":one"]],
  );
  // The UI's tree: the map's known entries, and what was cut.
  const tree = termToJson(last.state);
  assert.equal(tree.t, "map");
  assert.equal(tree.t === "map" && tree.cut, "20 keys, cut");
});

test("states and state on the command line show cut terms readably, in Elixir and Erlang syntax", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, "query", file, ...args], { encoding: "utf8" });
  const shown = run("states", kvPid);
  assert.equal(shown.status, 0, shown.stderr);
  assert.doesNotMatch(shown.stdout, /es_cut|\(whole state\)/);
  assert.match(shown.stdout, new RegExp(`~ \\[5\\]: 0 -> ${BINARY.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  const erlang = run("state", kvPid, "--erlang");
  assert.match(erlang.stdout, /\n#\{0 => 0,1 => one,.*5 => <<"x{16}"…10240 bytes, cut>>,…20 keys, cut\}\n$/);
});

test("a change too large to record shows as the new state, cut: its known keys, none of the removed ones", () => {
  const texts = replaced.map((s) => s.text);
  assert.equal(replaced.length, 3, texts.join("\n"));
  assert.match(texts[0]!, /^%\{0 => 0, 1 => 0, .* 19 => 0\}$/);
  // 301 keys of 100-byte values do not fit the 2,048-byte budget: the state is the new map's first keys
  // (in the map's own order).
  assert.match(texts[1]!, /^%\{\d{3} => "y{100}", .*…301 keys, cut\}$/);
  assert.match(replaced[1]!.trigger!.text, /:replace/);
  for (const t of texts.slice(1)) {
    assert.doesNotMatch(t, /changed|es_cut|\b0 => 0/, "neither the change's wrapper nor a removed key");
  }
  // The next change applies to what is known: key 100 is :first, the state still cut.
  assert.match(texts[2]!, /(\{|, )100 => :first(, .*)?…301 keys, cut\}$/);
  assert.deepEqual(
    replaced[2]!.diff.map((d) => [d.path, d.kind, d.after]),
    [["[100]", "changed", ":first"]],
  );
});
