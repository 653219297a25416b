// Ingest and the engine on hand-made batches in the agent's format, for the cases a sample app rarely
// shows: identical messages sent repeatedly, messages to dead processes and never received, sends by
// registered name, long state histories rebuilt through checkpoints, unclosed calls, a cut-off file, a
// gen_statem's callbacks that keep their state and data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "../etf/encode.js";
import { atom, ErlMap, Pid, tuple, type Term } from "../etf/terms.js";
import { openRecording, RecordingError } from "../query/index.js";
import { StoreWriter } from "../store/writer.js";
import { Ingest } from "./ingest.js";

const NODE = atom("app@host");
const BASE = -576460752303423488n;
const pid = (id: number) => new Pid(NODE, id, 0, 1);
const map = (o: Record<string, Term>) => new ErlMap(Object.entries(o).map(([k, v]) => [atom(k), v]));
const plan = map({
  functions: [
    map({
      module: atom("Elixir.App"),
      function: atom("work"),
      arity: 1,
      args: atom("false"),
      return: atom("true"),
    }),
  ],
});

class Script {
  private ns = 0n;
  readonly events: Term[] = [];
  private ts(): bigint {
    this.ns += 1000n;
    return BASE + this.ns;
  }
  trace(p: Pid, kind: string, ...rest: Term[]): this {
    this.events.push(tuple(atom("trace_ts"), p, atom(kind), ...rest, this.ts()));
    return this;
  }
  state(p: Pid, trigger: Term, reply: Term, after: Term): this {
    this.events.push(tuple(atom("es_state"), p, this.ts(), trigger, reply, after));
    return this;
  }
  frames(size = 7): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.events.length; i += size)
      out.push(encode(tuple(atom("events"), i, this.events.slice(i, i + size))));
    return out;
  }
}

async function ingestInto(path: string, script: Script, finish = true): Promise<void> {
  const store = await StoreWriter.create(path, { node: NODE.name });
  const ingest = new Ingest(store, { node: NODE.name, monotonicNs: BASE, plan });
  for (const f of script.frames()) ingest.batch(f);
  if (finish) await ingest.finish({ ended: "test" });
  else {
    // The collector's timer flushes every FLUSH_MS; a flush with no batch since the last one also releases
    // the events held for reordering.
    ingest.flush();
    ingest.flush();
    await store.close();
  }
}

test("every send is paired with its receive or classified, identical messages in order", async () => {
  const [a, b, dead, untraced, helper] = [pid(1), pid(2), pid(3), pid(4), pid(5)];
  const s = new Script();
  s.trace(b, "register", atom("bee"));
  // A process that did nothing recorded, and one that was only born traced (as the agent's helpers are).
  s.trace(helper, "spawned", a, tuple(atom("erlang"), atom("apply"), [atom("f"), []]));
  s.trace(a, "send", atom("outside"), untraced);
  s.trace(a, "send", atom("to_helper"), helper);
  for (let i = 0; i < 3; i++) s.trace(a, "send", atom("ping"), b);
  s.trace(a, "send", tuple(atom("hello"), 1), atom("bee")); // by name
  s.trace(a, "send_to_non_existing_process", atom("lost"), dead);
  s.trace(a, "send", atom("never"), b);
  for (let i = 0; i < 3; i++) s.trace(b, "receive", atom("ping"));
  s.trace(b, "receive", tuple(atom("hello"), 1));
  s.trace(b, "receive", atom("from_nowhere"));
  const file = join(mkdtempSync(join(tmpdir(), "es-ingest-")), "m.esrec");
  await ingestInto(file, s);
  const rec = await openRecording(file);
  try {
    const all = (await rec.messages(null, null, { limit: 100 })).items;
    const pings = all.filter((m) => m.text === ":ping");
    assert.deepEqual(
      pings.map((m) => [m.sendSeq, m.receiveSeq]),
      [
        [4, 10],
        [5, 11],
        [6, 12],
      ],
    );
    // Whether a process that did nothing recorded got its messages is not known: not "unreceived".
    assert.equal(all.find((m) => m.text === ":outside")!.status, "unobserved");
    assert.equal(all.find((m) => m.text === ":to_helper")!.status, "unobserved");
    const hello = all.find((m) => m.text === "{:hello, 1}")!;
    assert.equal(hello.status, "received");
    assert.equal(hello.toName, ":bee");
    assert.equal(hello.to, (await rec.resolveProcess("bee")).id);
    assert.equal(all.find((m) => m.text === ":lost")!.status, "dead");
    assert.equal(all.find((m) => m.text === ":never")!.status, "unreceived");
    const nowhere = all.find((m) => m.text === ":from_nowhere")!;
    assert.equal(nowhere.sendSeq, null);
    const unreceived = await rec.messages(null, null, { status: ["dead", "unreceived"] });
    assert.deepEqual(unreceived.items.map((m) => m.text).sort(), [":lost", ":never"]);
    // The receive knows its sender, and why walks back to the send.
    const chain = await rec.why(12);
    assert.deepEqual(
      chain.map((c) => [c.seq, c.relation]),
      [
        [12, "start"],
        [6, "sent by"],
      ],
    );
  } finally {
    await rec.close();
  }
});

test("a state with hundreds of changes is rebuilt exactly at every moment", async () => {
  const g = pid(10);
  const s = new Script();
  let balances: Record<string, number> = { a: 0, b: 0 };
  s.state(g, atom("snapshot"), atom("none"), map({ a: 0, b: 0 }));
  const expected: Record<string, number>[] = [{ ...balances }];
  for (let i = 1; i <= 300; i++) {
    const key = i % 2 === 0 ? "a" : "b";
    const msg = tuple(atom("$gen_call"), tuple(pid(11), i), tuple(atom("add"), atom(key), i));
    s.trace(g, "receive", msg);
    balances = { ...balances, [key]: balances[key]! + i };
    expected.push({ ...balances });
    const change = i % 50 === 0 ? map(balances) : tuple(atom("changed"), map({ [key]: balances[key]! }), []);
    s.state(g, tuple(atom("in"), msg), atom("ok"), i % 7 === 0 ? atom("unchanged") : change);
    if (i % 7 === 0) {
      balances = { ...expected[expected.length - 2]! };
      expected[expected.length - 1] = { ...balances };
    }
  }
  const file = join(mkdtempSync(join(tmpdir(), "es-ingest-")), "s.esrec");
  await ingestInto(file, s);
  const rec = await openRecording(file);
  try {
    const proc = (await rec.resolveProcess("<0.10.0>")).id;
    const page = await rec.states(proc, { limit: 1000 });
    assert.equal(page.items.length, 301);
    for (const [i, v] of page.items.entries()) {
      assert.equal(v.text, `%{a: ${expected[i]!.a}, b: ${expected[i]!.b}}`, `state ${i}`);
      const at = await rec.stateAt(proc, v.seq);
      assert.equal(at!.text, v.text);
      if (i > 0) assert.equal(v.trigger!.seq, v.seq - 1, "the trigger is the receive just before");
    }
    // A change shows as a diff against the state before.
    const third = page.items[3]!;
    assert.deepEqual(
      third.diff.map((d) => [d.path, d.before, d.after]),
      [[".b", "1", "4"]],
    );
  } finally {
    await rec.close();
  }
});

test("calls pair with their returns, and a call left open at the end stays open", async () => {
  const p = pid(20);
  const work = tuple(atom("Elixir.App"), atom("work"), 1);
  const s = new Script()
    .trace(p, "call", work)
    .trace(p, "call", tuple(atom("Elixir.App"), atom("helper"), 0))
    .trace(p, "return_from", work, atom("done"))
    .trace(p, "call", work);
  const file = join(mkdtempSync(join(tmpdir(), "es-ingest-")), "c.esrec");
  await ingestInto(file, s);
  const rec = await openRecording(file);
  try {
    const tree = await rec.calls(0);
    assert.deepEqual(
      tree.map((n) => [n.mfa, n.outcome, n.result, n.children.map((c) => [c.mfa, c.outcome])]),
      [
        ["App.work/1", "return", ":done", [["App.helper/0", "untimed"]]],
        ["App.work/1", "open", null, []],
      ],
    );
    assert.equal(tree[0]!.durationNs, 2000);
  } finally {
    await rec.close();
  }
});

test("a recording cut off opens with what was flushed; bad files fail with a clear error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "es-ingest-"));
  const s = new Script().trace(pid(1), "send", atom("x"), pid(2));
  await ingestInto(join(dir, "cut.esrec"), s, false);
  const rec = await openRecording(join(dir, "cut.esrec"));
  assert.equal(rec.info().complete, false);
  assert.equal(rec.info().events, 1);
  await rec.close();

  const fails = async (path: string, pattern: RegExp) => {
    await assert.rejects(
      openRecording(path),
      (err: Error) => err instanceof RecordingError && pattern.test(err.message),
    );
  };
  await fails(join(dir, "missing.esrec"), /there is no recording at .*missing\.esrec/);
  writeFileSync(join(dir, "text.esrec"), "hello, this is not a recording at all");
  await fails(join(dir, "text.esrec"), /is not an ElixirScope recording/);
  writeFileSync(join(dir, "v0.esrec"), Buffer.concat([Buffer.from("ESREC\0", "latin1"), Buffer.alloc(20)]));
  await fails(join(dir, "v0.esrec"), /format version 0.*record it again/);
  const good = join(dir, "good.esrec");
  await ingestInto(good, s);
  const bytes = (await import("node:fs")).readFileSync(good);
  writeFileSync(
    join(dir, "damaged.esrec"),
    Buffer.concat([bytes.subarray(0, 4096), Buffer.alloc(bytes.length - 4096, 0xab)]),
  );
  await fails(join(dir, "damaged.esrec"), /damaged/);
  // SQL over a recording reads that recording and no other file.
  const sql = await openRecording(good);
  try {
    await assert.rejects(
      sql.sql("SELECT * FROM read_text('/etc/hostname')"),
      /file system operations are disabled/,
    );
    await assert.rejects(sql.sql(`COPY (SELECT 1) TO '${join(dir, "out.csv")}'`), /disabled/);
  } finally {
    await sql.close();
  }
  // A recording another process is still writing belongs to it until it ends.
  const holderScript = join(dir, "holder.mjs");
  writeFileSync(
    holderScript,
    `const { StoreWriter } = await import(${JSON.stringify(new URL("../store/writer.js", import.meta.url).href)});
     const w = await StoreWriter.create(process.argv[2], {});
     w.flush();
     console.log("open");
     setTimeout(() => w.close(), 20000);`,
  );
  const holder = spawn(process.execPath, [holderScript, join(dir, "busy.esrec")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((r) => holder.stdout.once("data", r));
  try {
    await fails(join(dir, "busy.esrec"), /still being recorded by another process.*record --open/);
  } finally {
    holder.kill();
  }
});

test("a receive of :timeout that nobody sent is a receive timeout; a :timeout sent is a message", async () => {
  const [a, b] = [pid(30), pid(31)];
  const s = new Script()
    .trace(b, "receive", atom("timeout")) // #0: a `receive ... after` fired
    .trace(b, "send", atom("after_wait"), a) // #1
    .trace(a, "send", atom("timeout"), b) // #2
    .trace(b, "receive", atom("timeout")) // #3: the message #2 sent
    .trace(b, "send", atom("next"), a); // #4
  const file = join(mkdtempSync(join(tmpdir(), "es-ingest-")), "t.esrec");
  await ingestInto(file, s);
  const rec = await openRecording(file);
  try {
    const proc = (await rec.resolveProcess("<0.31.0>")).id;
    const history = (await rec.history(proc)).items;
    assert.deepEqual(
      history.map((e) => [e.seq, e.kind, e.text]),
      [
        [0, "timeout", null],
        [1, "send", ":after_wait"],
        [3, "receive", ":timeout"],
        [4, "send", ":next"],
      ],
    );
    const timeouts = (await rec.messages(null, null, { pattern: ":timeout" })).items;
    assert.deepEqual(
      timeouts.map((m) => [m.sendSeq, m.receiveSeq, m.status]),
      [[2, 3, "received"]],
    );
    assert.deepEqual(await rec.mailboxAt(proc, 0), []);
    assert.deepEqual(
      (await rec.why(1)).map((c) => [c.seq, c.relation, c.text]),
      [
        [1, "start", "send :after_wait"],
        [0, "after", "timeout (receive ... after fired)"],
      ],
    );
    assert.deepEqual(
      (await rec.why(4)).map((c) => [c.seq, c.relation]),
      [
        [4, "start"],
        [3, "while handling"],
        [2, "sent by"],
      ],
    );
  } finally {
    await rec.close();
  }
});

test("a gen_statem's keep_state_and_data is a state when it replies, with the state before, and not otherwise", async () => {
  const [door, caller] = [pid(40), pid(41)];
  const fn = (f: string, arity: number) => tuple(atom("Elixir.Door"), atom(f), arity);
  const data = map({ n: 0 });
  const from = tuple(caller, 7);
  const request = (r: string) => tuple(atom("$gen_call"), from, atom(r));
  const reply = (r: string) => tuple(atom("reply"), from, atom(r));
  const init = [
    atom("gen_statem"),
    caller,
    caller,
    tuple(atom("local"), atom("door")),
    atom("Elixir.Door"),
    data,
    [],
  ];
  const s = new Script().trace(
    door,
    "spawned",
    caller,
    tuple(atom("proc_lib"), atom("init_p"), [caller, [], atom("gen"), atom("init_it"), init]),
  );
  const callback = (f: string, result: Term, message?: Term) => {
    const mfa = fn(f, f === "init" ? 1 : 3);
    if (message !== undefined) s.trace(door, "receive", message);
    s.trace(door, "call", mfa).trace(door, "return_from", mfa, result);
  };
  const keep = (actions?: Term) =>
    actions === undefined ? atom("keep_state_and_data") : tuple(atom("keep_state_and_data"), actions);
  callback("init", tuple(atom("ok"), atom("locked"), data));
  callback("locked", keep(reply("locked")), request("state"));
  // Kept with no reply: nothing changed and no one was answered (nor can its return tell it from an enter call's).
  callback("locked", keep(), atom("ignored"));
  callback("locked", tuple(atom("next_state"), atom("open"), data, [reply("ok")]), request("unlock"));
  // What a state enter call returns, then a postponed call, retried once the state timeout locks the door.
  callback("open", keep([tuple(atom("state_timeout"), 10, atom("lock"))]));
  callback("open", keep(atom("postpone")), request("wait"));
  callback(
    "open",
    tuple(atom("next_state"), atom("locked"), data),
    tuple(atom("timeout"), 1, atom("state_timeout")),
  );
  callback("locked", keep([reply("ok")]));
  const file = join(mkdtempSync(join(tmpdir(), "es-ingest-")), "sm.esrec");
  await ingestInto(file, s);
  const rec = await openRecording(file);
  try {
    const proc = (await rec.resolveProcess("<0.40.0>")).id;
    const states = (await rec.states(proc, { limit: 100 })).items;
    assert.deepEqual(
      states.map((st) => [st.text, st.trigger?.text ?? null, st.reply]),
      [
        ["{:locked, %{n: 0}}", null, null],
        ["{:locked, %{n: 0}}", '{:"$gen_call", {#PID<0.41.0>, 7}, :state}', ":locked"],
        ["{:open, %{n: 0}}", '{:"$gen_call", {#PID<0.41.0>, 7}, :unlock}', ":ok"],
        ["{:locked, %{n: 0}}", "{:timeout, 1, :state_timeout}", null],
        ["{:locked, %{n: 0}}", '{:"$gen_call", {#PID<0.41.0>, 7}, :wait}', ":ok"],
      ],
    );
  } finally {
    await rec.close();
  }
});
