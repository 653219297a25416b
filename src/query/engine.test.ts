// The query engine on a real recording of the sample application's workload (examples/sample_app), its
// answers checked against what the workload did: the crash's causal chain, the accounts' balances at
// chosen moments, the messages between two processes, and the CLI that asks them; history and events as a
// reader takes them (a GenServer's state events read as its state after each, not as the changes the agent
// sent; a reply to a caller's alias names the process that received it); mailboxes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { recordSampleWorkload } from "../demo/sample-app.js";
import { K, PROCESS_LIST_SQL } from "../store/schema.js";
import type { EventRow } from "./api.js";
import { openRecording, type Recording } from "./index.js";

const MAIN = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "es-query-"));
const file = join(dir, "workload.esrec");
let rec: Recording;

before(async () => {
  const r = await recordSampleWorkload(file);
  assert.equal(r.exitCode, 0, r.output);
  rec = await openRecording(file);
});

after(async () => {
  await rec?.close();
});

test("the crash's causal chain reaches the bad input, its sender, and what the sender was asked", async () => {
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  assert.ok(crash, "the worker's crash is listed");
  const worker = (await rec.processes())[crash.proc]!;
  assert.equal(worker.initialCall, "SampleApp.Worker.init/1");
  const client = await rec.resolveProcess("SampleApp.Client");
  const [start, handling, sent, asked] = crash.chain;
  assert.equal(start!.kind, "exit");
  assert.equal(handling!.relation, "while handling");
  assert.match(handling!.text, /^receive \{:"\$gen_call", .*\{:process, -1\}\}$/);
  assert.equal(sent!.relation, "sent by");
  assert.equal(sent!.proc, client.id);
  assert.equal(asked!.relation, "while handling");
  assert.match(asked!.text, /\{:submit, \[1, 2, 3, -1\]\}/);
  // The supervisor restarted it.
  const restarted = (await rec.processes())[crash.restartedAs!]!;
  assert.equal(restarted.restartOf, worker.id);
  assert.equal(restarted.name, "SampleApp.Worker");
  assert.equal(restarted.supervisor, (await rec.resolveProcess("SampleApp.Worker.Supervisor")).id);
  // Both belong to the application whose supervision tree they are in.
  assert.equal(worker.application, "sample_app");
  assert.equal(restarted.application, "sample_app");
});

test("the process list the finished recording keeps is the one its events give", async () => {
  // Made at the end from what ingest counted; a recording without it aggregates the events instead.
  const kept = await rec.sql("SELECT * EXCLUDE (exit_etf) FROM process_list ORDER BY id");
  const fromEvents = await rec.sql(`SELECT * FROM (${PROCESS_LIST_SQL}) ORDER BY id`);
  assert.ok(kept.rows.length > 20);
  assert.deepEqual(kept.columns, fromEvents.columns);
  assert.deepEqual(kept.rows, fromEvents.rows);
  const withExit = await rec.sql("SELECT count(*) FROM process_list WHERE exit_etf IS NOT NULL");
  assert.ok(Number(withExit.rows[0]![0]) > 0, "exit reasons are kept with their bytes");
});

/** The workload's transfers (see SampleApp.Workload): balances of accounts 1..5 after each. */
function expectedBalances(): Map<number, number[]> {
  const balance = [0, 100, 100, 100, 100, 100];
  const history = new Map<number, number[]>([1, 2, 3, 4, 5].map((a) => [a, [100]]));
  for (let i = 1; i <= 20; i++) {
    const [from, to, amount] = [(i % 5) + 1, ((i + 1) % 5) + 1, i === 7 || i === 14 ? 1000 : 10];
    if (balance[from]! >= amount) {
      balance[from]! -= amount;
      history.get(from)!.push(balance[from]!);
      balance[to]! += amount;
      history.get(to)!.push(balance[to]!);
    }
  }
  return history;
}

test("state --at gives each account's exact balance at each moment", async () => {
  const expected = expectedBalances();
  const accounts = (await rec.processes()).filter((p) => p.initialCall === "SampleApp.Bank.Account.init/1");
  assert.equal(accounts.length, 5);
  for (const account of accounts) {
    const states = (await rec.states(account.id, { limit: 1000 })).items;
    const id = Number(/id: (\d+)/.exec(states[0]!.text)![1]);
    const balances = states.map((s) => Number(/balance: (\d+)/.exec(s.text)![1]));
    // Every distinct balance in order (withdrawals refused and balance reads leave it unchanged). On a loaded
    // machine the agent can capture a GenServer started while recording a few calls late: what is captured
    // is then the end of the sequence, exactly.
    const distinct = (list: number[]) => list.filter((b, i) => i === 0 || b !== list[i - 1]);
    const want = distinct(expected.get(id)!);
    const got = distinct(balances);
    assert.ok(got.length > 0 && got.length <= want.length, `account ${id} has states`);
    assert.deepEqual(got, want.slice(want.length - got.length), `account ${id}`);
    // Just before a change the old value, at it the new one.
    for (let i = 1; i < states.length; i++) {
      const now = await rec.stateAt(account.id, states[i]!.seq);
      const then = await rec.stateAt(account.id, states[i]!.seq - 1);
      assert.equal(now!.text, states[i]!.text);
      assert.equal(then!.text, states[i - 1]!.text);
    }
  }
});

test("a gen_statem's states are its state names with their data, each after the event that caused it", async () => {
  const door = await rec.resolveProcess("SampleApp.Door");
  assert.equal(door.behaviour, "gen_statem");
  const states = (await rec.states(door.id, { limit: 100 })).items;
  const names = states.map((s) => /^\{:(\w+), /.exec(s.text)![1]);
  assert.deepEqual(names, ["locked", "locked", "open", "locked", "open", "locked", "locked"]);
  assert.match(states[0]!.text, /attempts: 0, code: "1234"/);
  assert.match(states[1]!.text, /attempts: 1/, "a wrong code counts an attempt");
  assert.match(states[1]!.trigger!.text, /\{:unlock, "not 1234"\}/);
  // The replies come from the callbacks' reply actions, one alone or in a list.
  assert.equal(states[1]!.reply, "{:error, :wrong_code}");
  assert.equal(states[2]!.reply, ":ok");
  assert.equal(states[3]!.reply, ":ok");
  assert.equal(states[5]!.reply, null, "a state timeout has no caller");
  // A callback that keeps its state and data still replies: the postponed wait_until_locked, retried once the
  // door is locked, answered by `{:keep_state_and_data, {:reply, from, :ok}}`. Its first try, postponed while the
  // door was open (`{:keep_state_and_data, :postpone}`), answered no one and changed nothing: no row.
  assert.match(states[6]!.trigger!.text, /:wait_until_locked\}$/);
  assert.equal(states[6]!.text, states[5]!.text, "the state and data stay as they were");
  assert.equal(states[6]!.reply, ":ok");
  assert.match(states[3]!.trigger!.text, /:lock\}$/);
  assert.match(states[5]!.trigger!.text, /:state_timeout\}$/, "the last lock is the state timeout's");
});

test("the door, started while recording, gets the agent's sys capture: a snapshot, then each event's next state name", async () => {
  // gen_statem is not loaded when the recording starts (the door is the first to use it): the agent loads it so
  // that its start is heard of. Its debug function sends the state names, in events beside the returns' states.
  const door = await rec.resolveProcess("SampleApp.Door");
  const events = (await rec.history(door.id, { kinds: ["state"], limit: 100 })).items;
  const texts = events.map((e) => e.text!);
  assert.match(texts[0] ?? "", /^\{:locked, %\{attempts: 0, code: "1234"/, "the snapshot is init/1's state");
  // A wrong code, the right one, lock/0, the right code, wait_until_locked/0 postponed, the state timeout, and
  // the postponed call retried.
  const next = ["locked", "open", "locked", "open", "open", "locked", "locked"];
  assert.deepEqual(
    texts.slice(1),
    next.map((name) => `{:state_name, :${name}}`),
  );
});

test("messages between two processes are exactly those exchanged, in order", async () => {
  const client = await rec.resolveProcess("SampleApp.Client");
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const page = await rec.messages(client.id, crash.proc, { limit: 100 });
  const texts = page.items.map((m) =>
    m.text.replace(/#Reference<[^>]+>/g, "ref").replace(/#PID<[^>]+>/g, "pid"),
  );
  const calls = texts.filter((t) => t.startsWith('{:"$gen_call"'));
  assert.deepEqual(
    calls.map((t) => /\{:process, (-?\d+)\}\}$/.exec(t)![1]),
    ["1", "2", "3", "-1"],
  );
  // Three replies (the fourth call crashed the worker), each received by the client.
  const replies = page.items.filter((m) => m.from === crash.proc && m.to === client.id);
  assert.equal(replies.length, 3);
  for (const m of page.items) assert.equal(m.status, "received");
  // A pattern narrows them down.
  const bad = await rec.messages(client.id, crash.proc, { pattern: '{:"$gen_call", _, {:process, n}}' });
  assert.equal(bad.items.length, 4);
});

test("every send of the workload's processes is paired with its receive or classified", async () => {
  const r = await rec.sql(
    `SELECT count(*) FROM events e WHERE e.kind = 3
       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.send_seq = e.seq)`,
  );
  assert.equal(r.rows[0]![0], 0, "sends without a message row");
  const transfers = await rec.messages(null, null, { pattern: "{:transfer, _, _, _}", limit: 100 });
  assert.equal(transfers.items.length, 20);
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  for (const m of transfers.items) {
    assert.equal(m.status, "received");
    assert.equal(m.to, teller.id);
  }
});

test("elixirscope query answers on the command line, and says clearly what is wrong", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, "query", file, ...args], { encoding: "utf8" });
  const crashes = run("crashes");
  assert.equal(crashes.status, 0, crashes.stderr);
  assert.match(
    crashes.stdout,
    /crashed at #\d+: \{%ArgumentError\{message: "expected a non-negative integer, got: -1"\}/,
  );
  assert.match(crashes.stdout, /sent by #\d+ <0\.\d+\.0> SampleApp\.Client/);
  const states = run("states", "SampleApp.Door", "--json");
  assert.equal(states.status, 0, states.stderr);
  assert.ok((JSON.parse(states.stdout) as { items: unknown[] }).items.length >= 1);
  const unknown = run("history", "<0.9999.0>");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no process <0\.9999\.0> in this recording/);
  const badPattern = run("messages", "SampleApp.Client", "--pattern", "{:a, ");
  assert.equal(badPattern.status, 2);
  assert.match(badPattern.stderr, /column/);
  const links = run("links", "SampleApp.Worker.Supervisor");
  assert.equal(links.status, 0, links.stderr);
  assert.match(
    links.stdout,
    /^<0\.\d+\.0> SampleApp\.Worker\.Supervisor at #\d+:\n {2}links: .*SampleApp\.Worker\n/,
  );
  assert.match(links.stdout, /\n {2}(monitors |monitored by |monitors: none)/);
  const sql = run("sql", "SELECT count(*) AS n FROM events");
  assert.match(sql.stdout, /^n\n\d+\n$/);
  const perfetto = join(dir, "trace.json");
  const exported = run("export", "--format", "perfetto", "--out", perfetto);
  assert.equal(exported.status, 0, exported.stderr);
  const trace = JSON.parse(readFileSync(perfetto, "utf8")) as {
    traceEvents: { ph: string; args?: { name?: string } }[];
  };
  assert.ok(trace.traceEvents.some((e) => e.ph === "M" && e.args?.name?.startsWith("SampleApp.Bank.Teller")));
  assert.ok(trace.traceEvents.some((e) => e.ph === "s") && trace.traceEvents.some((e) => e.ph === "f"));
  const missing = spawnSync(process.execPath, [MAIN, "query", join(dir, "nope.esrec"), "info"], {
    encoding: "utf8",
  });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /there is no recording at/);
});

test("the chain's caller monitors each process it spawns, from the spawn to the :DOWN it receives", async () => {
  const tokens = await rec.messages(null, null, { pattern: "{:token, _, _}", limit: 100 });
  const caller = tokens.items[0]!.from!;
  const relays = [...new Set(tokens.items.map((m) => m.to!))].filter((p) => p !== caller);
  assert.equal(relays.length, 10);
  const procs = await rec.processes();
  for (const relay of relays) {
    const p = procs[relay]!;
    assert.equal(p.parent, caller);
    // Held just after the spawn (its monitor event follows it) until the :DOWN, and not after.
    const during = await rec.monitorsAt(caller, p.exitSeq!);
    const m = during.holds.find((h) => h.target === relay);
    assert.ok(m, `the caller monitors ${p.pid} when it exits`);
    assert.ok(m.seq! > p.spawnSeq! && m.seq! < p.exitSeq!);
    assert.equal(m.ended, "down");
    assert.equal(m.reason, ":normal");
    const down = await rec.event(m.endSeq!);
    assert.equal(down.kind, "receive");
    assert.match(down.text!, /^\{:DOWN, #Reference<[\d.]+>, :process, #PID<[\d.]+>, :normal\}$/);
    assert.ok((await rec.monitorsAt(relay, m.seq!)).on.some((o) => o.watcher === caller));
    assert.equal(
      (await rec.monitorsAt(caller, m.seq! - 1)).holds.filter((h) => h.target === relay).length,
      0,
    );
    assert.equal((await rec.monitorsAt(caller, m.endSeq!)).holds.filter((h) => h.target === relay).length, 0);
  }
  // A demonitor ends a monitor at its demonitor event, linked to the monitor.
  const [row] = (await rec.sql("SELECT seq, watcher, end_seq FROM monitors WHERE ended = 1 LIMIT 1")).rows;
  const [seq, watcher, end] = row!.map(Number) as [number, number, number];
  const demonitor = await rec.event(end);
  assert.equal(demonitor.kind, "demonitor");
  assert.equal(demonitor.link, seq);
  assert.equal((await rec.monitorsAt(watcher, end - 1)).holds.filter((h) => h.seq === seq).length, 1);
  assert.equal((await rec.monitorsAt(watcher, end)).holds.filter((h) => h.seq === seq).length, 0);
});

test("a receive that timed out is a timeout, not a message from nowhere, in messages, mailboxes and why", async () => {
  const timeouts = (await rec.sql(`SELECT proc, seq FROM events WHERE kind = ${K.timeout} ORDER BY seq`))
    .rows;
  assert.ok(timeouts.length > 0, "the workload's receives with an `after` time out");
  const fromNowhere = (await rec.messages(null, null, { pattern: ":timeout", limit: 1000 })).items.filter(
    (m) => m.sendSeq === null,
  );
  assert.deepEqual(fromNowhere, [], "no :timeout message without a send");
  for (const [proc, seq] of timeouts.map((r) => r.map(Number) as [number, number])) {
    const mailbox = await rec.mailboxAt(proc, seq);
    assert.ok(!mailbox.some((m) => m.text === ":timeout"), `no :timeout in ${proc}'s mailbox`);
    assert.equal((await rec.event(seq)).text, null);
  }
  for (const crash of await rec.crashes())
    for (const step of crash.chain) {
      assert.notEqual(step.text, "receive :timeout");
      if (step.kind === "timeout") {
        assert.equal(step.relation, "after");
        assert.equal(step.text, "timeout (receive ... after fired)");
      }
    }
  const run = spawnSync(process.execPath, [MAIN, "query", file, "events", "--kinds", "timeout"], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^#\d+ .* timeout \(receive \.\.\. after fired\)$/m);
  assert.doesNotMatch(run.stdout, /from \?/);
});

test("history names the process at the other end of each link event", async () => {
  const supervisor = await rec.resolveProcess("SampleApp.Worker.Supervisor");
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const worker = (await rec.processes())[crash.proc]!;
  const run = spawnSync(
    process.execPath,
    [MAIN, "query", file, "history", supervisor.pid, "--kinds", "link,getting_linked"],
    { encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.ok(lines.length >= 2, run.stdout);
  for (const line of lines) assert.match(line, / (link with|getting_linked by) <0\.\d+\.0>/);
  assert.ok(
    lines.some((l) => l.endsWith(`link with ${worker.pid} SampleApp.Worker`)),
    run.stdout,
  );
});

test("mailbox: a plain process's messages since its last action, not the whole run; a dead process has none", async () => {
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const submit = crash.chain.find((s) => s.relation === "sent by" && /\{:submit, /.test(s.text))!;
  const driver = (await rec.processes())[submit.proc]!;
  assert.equal(driver.behaviour, "process");
  // The driver received Task replies, :DOWNs and more before it submitted: none of those is pending.
  const received = await rec.messages(driver.id, null, { limit: 10_000 });
  assert.ok(received.items.filter((m) => m.to === driver.id && m.receiveSeq! < submit.seq).length > 10);
  const box = await rec.mailbox(driver.id, submit.seq);
  assert.equal(box.basis, "since_last_action");
  assert.equal(box.since, submit.seq, "its send is its last action");
  assert.deepEqual(box.messages, []);
  const later = await rec.mailbox(driver.id, submit.seq + 200);
  for (const m of later.messages) assert.ok(m.receiveSeq! > later.since!);
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, "query", file, ...args], { encoding: "utf8" });
  const shown = run("mailbox", driver.pid, "--at", `#${submit.seq}`);
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(
    shown.stdout,
    `${driver.pid} has no recorded GenServer states, so which messages it had taken is not known; ` +
      `received since its last recorded action (#${submit.seq}) to #${submit.seq}:\n  none\n`,
  );
  // A process that had exited had no mailbox.
  const task = (await rec.processes()).find((p) => p.behaviour === "task" && p.exitSeq !== null)!;
  const dead = await rec.mailbox(task.id, task.exitSeq!);
  assert.equal(dead.exitSeq, task.exitSeq);
  assert.deepEqual(dead.messages, []);
  assert.equal(
    run("mailbox", task.pid).stdout,
    `${task.pid} had exited at #${task.exitSeq} (:normal): no mailbox at #${rec.info().events - 1}\n`,
  );
});

test("a registered name means its holder at --at, and all its holders in turn without", async () => {
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const procs = await rec.processes();
  const crashed = procs[crash.proc]!;
  const restarted = procs[crash.restartedAs!]!;
  const states = (await rec.states(crashed.id)).items;
  const before = states[states.length - 1]!.seq;
  assert.equal((await rec.resolveProcess("SampleApp.Worker", before)).id, crashed.id);
  assert.equal((await rec.resolveProcess("SampleApp.Worker", crash.seq)).id, crashed.id);
  assert.equal((await rec.resolveProcess("SampleApp.Worker")).id, restarted.id);
  const holders = await rec.resolveProcesses("SampleApp.Worker");
  assert.deepEqual(
    holders.map((h) => [h.process.id, h.to]),
    [
      [crashed.id, crash.seq],
      [restarted.id, null],
    ],
  );
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, "query", file, ...args], { encoding: "utf8" });
  const state = run("state", "SampleApp.Worker", "--at", `#${before}`);
  assert.equal(state.status, 0, state.stderr);
  assert.match(state.stdout, new RegExp(`^state of ${crashed.pid} SampleApp\\.Worker at #${before} `));
  assert.match(state.stdout, /\n%\{processed: 3\}\n$/);
  const links = run("links", "SampleApp.Worker", "--at", `#${before}`);
  assert.match(
    links.stdout,
    new RegExp(
      `^${crashed.pid} SampleApp\\.Worker at #${before}:\\n  links: <0\\.\\d+\\.0> SampleApp\\.Worker\\.Supervisor\\n`,
    ),
  );
  const between = run("state", "SampleApp.Worker", "--at", `#${crash.seq + 1}`);
  assert.equal(between.status, 2);
  assert.match(
    between.stderr,
    new RegExp(
      `no process held SampleApp.Worker at #${crash.seq + 1}; it was held by ${crashed.pid} from #\\d+ until #${crash.seq}, ${restarted.pid} from #\\d+`,
    ),
  );
  // Without --at, the states and messages of both, each under the pid it belongs to.
  const all = run("states", "SampleApp.Worker");
  assert.equal(all.status, 0, all.stderr);
  const headings = all.stdout.split("\n").filter((l) => /, holder of SampleApp\.Worker /.test(l));
  assert.deepEqual(
    headings.map((l) => l.split(",")[0]),
    [`${crashed.pid} SampleApp.Worker`, `${restarted.pid} SampleApp.Worker`],
  );
  assert.match(all.stdout, /processed: 2 -> 3/);
  const messages = run("messages", "SampleApp.Worker", "--pattern", '{:"$gen_call", _, {:process, _}}');
  assert.match(messages.stdout, /\{:process, -1\}/, "the crashed worker's last call is among its messages");
  assert.equal(messages.stdout.split("\n").filter((l) => /, holder of SampleApp\.Worker /.test(l)).length, 2);
  const exchanged = run("messages", "SampleApp.Client", "SampleApp.Worker");
  assert.match(
    exchanged.stdout,
    new RegExp(
      `^${crashed.pid} SampleApp\\.Worker, holder of SampleApp\\.Worker from #\\d+ until #${crash.seq}:\n`,
    ),
  );
  assert.match(exchanged.stdout, /\{:process, -1\}/);
});

test("an account's state events read as its state after each, as state --at gives it", async () => {
  // Every account's, each from its capture on (under load the agent can capture an account started while
  // busy a few calls late, and it then has fewer); the rest of the test on the account with the most.
  const accounts = (await rec.processes()).filter((p) => p.initialCall === "SampleApp.Bank.Account.init/1");
  assert.equal(accounts.length, 5);
  let account = accounts[0]!;
  let events: EventRow[] = [];
  for (const acc of accounts) {
    const mine = (await rec.history(acc.id, { kinds: ["state"], limit: 1000 })).items;
    for (const e of mine) {
      assert.match(e.text!, /^%\{balance: \d+, history: \[.*\], id: \d\}$/, `#${e.seq}`);
      assert.equal(e.text, (await rec.stateAt(acc.id, e.seq))!.text, `#${e.seq}`);
    }
    // Its snapshot at least: a capture starts with one.
    assert.ok(mine.length >= 1, `account ${acc.pid} has a state event`);
    if (mine.length > events.length) [account, events] = [acc, mine];
  }
  // Opened with 100, each transfer an account takes part in is a withdrawal or a deposit of 10, then its balance
  // is read: a state after every call. But the bank's transfers take a few milliseconds, so when the test runs
  // beside another on two cores, every account can be captured after most of them, with a state or two each.
  // The teller, started with the application well before the workload, has a state after each of its calls:
  // the 20 transfers ordered, the statement asked for.
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  const told = (await rec.history(teller.id, { kinds: ["state"], limit: 1000 })).items;
  assert.ok(told.length >= 21, `the teller has ${told.length} state events`);
  for (const e of told) {
    // The list it keeps grows long: history shows its start (ending in "…"), state --at all of it.
    assert.doesNotMatch(e.text!, /^(\{:changed|:unchanged)/, `#${e.seq}`);
    const whole = (await rec.stateAt(teller.id, e.seq))!.text;
    assert.ok(whole.startsWith(e.text!.replace(/\s*…$/, "")), `#${e.seq}: ${e.text} against ${whole}`);
  }
  // The same texts in the events of every process, in why's chain and in the term an event's expansion fetches.
  const all = (await rec.events({ procs: [account.id], kinds: ["state"], limit: 1000 })).items;
  assert.deepEqual(
    all.map((e) => e.text),
    events.map((e) => e.text),
  );
  const last = events[events.length - 1]!;
  assert.equal((await rec.why(last.seq))[0]!.text, `state ${last.text}`);
  assert.equal((await rec.term({ seq: last.seq, slot: "main" }))!.text, last.text);
});

test("a reply sent to the caller's alias names the process that received it", async () => {
  const account = await rec.resolveProcess(":account_3");
  const teller = await rec.resolveProcess("SampleApp.Bank.Teller");
  const replies = (await rec.history(account.id, { kinds: ["send"], limit: 1000 })).items.filter((e) =>
    /^\{\[:alias \| #Reference<[\d.]+>\], \{:(ok|error), /.test(e.text ?? ""),
  );
  // One reply per withdrawal and deposit the teller asked of it.
  assert.ok(replies.length >= 8, `account_3 sent ${replies.length} replies`);
  for (const e of replies) {
    assert.notEqual(e.link, null, `#${e.seq} was received`);
    assert.equal(e.other, teller.id, `#${e.seq} went to the teller`);
    assert.equal((await rec.event(e.link!)).proc, teller.id);
  }
});

test("a supervisor's mailbox holds what came since it last acted, not the acks and exits it took long ago", async () => {
  const sup = await rec.resolveProcess("SampleApp.Worker.Supervisor");
  assert.equal(sup.behaviour, "supervisor");
  // Its init/1's return is recorded (a traced callback's), as its one state.
  assert.equal((await rec.states(sup.id)).items.length, 1);
  const end = rec.info().events - 1;
  const box = await rec.mailbox(sup.id, end);
  assert.equal(box.basis, "since_last_action");
  // It started the worker (its :ack), took the crashed worker's :EXIT, answered the client's count_children and
  // started the new worker (another :ack), then replied: nothing it received is left after that.
  assert.deepEqual(
    box.messages.map((m) => m.text),
    [],
  );
  // Just after the crashed worker's exit signal arrived, that is what it had received since it last acted.
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const exit = (await rec.history(sup.id, { kinds: ["receive"], after: crash.seq, limit: 1 })).items[0]!;
  assert.match(exit.text!, /^\{:EXIT, #PID<[\d.]+>, \{%ArgumentError/);
  const then = await rec.mailbox(sup.id, exit.seq);
  assert.deepEqual(
    then.messages.map((m) => m.receiveSeq),
    [exit.seq],
  );
});
