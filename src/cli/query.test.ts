// `elixirscope record` and `elixirscope query` as a user runs them on the sample workload's recording: the
// summary states what the file holds, damaged files and bad options are one clear line with exit status 2,
// and answers say what they leave out (unobserved messages, processes without events, a moment past the end).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSampleApp, SAMPLE_APP_DIR } from "../demo/sample-app.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: Run, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /IO Error|Binder Error|DuckDB|checksum \d|\n\s+at /);
}

function record(out: string, ...command: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, "record", "--out", out, "--", ...command], {
    cwd: SAMPLE_APP_DIR,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("a recording of the sample workload", () => {
  const dir = mkdtempSync(join(tmpdir(), "es-query-"));
  const file = join(dir, "run.esrec");
  let recorded: Run;
  const q = (...args: string[]) => cli("query", file, ...args);

  before(() => {
    compileSampleApp();
    recorded = record(file, "mix", "run", "run_workload.exs");
    assert.equal(recorded.status, 0, recorded.stderr);
  });

  test("record's summary gives the events and duration that info finds in the file", () => {
    const summary = /Recorded ([\d,]+) events in ([\d.]+) s into /.exec(recorded.stderr);
    assert.ok(summary, recorded.stderr);
    const info = q("info");
    assert.equal(info.status, 0, info.stderr);
    const held = /, ([\d.]+) s, ([\d,]+) events, /.exec(info.stdout);
    assert.ok(held, info.stdout);
    assert.equal(summary[1], held[2], `summary:\n${recorded.stderr}\ninfo:\n${info.stdout}`);
    assert.equal(summary[2], held[1]);
    // What the agent sent beyond that is said as such.
    const sent = /The agent sent ([\d,]+) trace events: ([\d,]+) are folded into others or left out/.exec(
      recorded.stderr,
    );
    if (sent) {
      const n = (s: string) => Number(s.replace(/,/g, ""));
      assert.equal(n(sent[1]!) - n(sent[2]!), n(summary[1]!));
    }
  });

  test("info counts the processes that processes lists, and says how many more it knows", () => {
    const info = q("info");
    const m = /, ([\d,]+) processes( \(and ([\d,]+) more known with no events of their own\))?/.exec(
      info.stdout,
    );
    assert.ok(m, info.stdout);
    const listed = q("processes").stdout.trimEnd().split("\n").length;
    assert.equal(Number(m[1]!.replace(/,/g, "")), listed);
    const all = Number(q("sql", "SELECT count(*) FROM procs").stdout.split("\n")[1]);
    assert.equal(listed + Number((m[3] ?? "0").replace(/,/g, "")), all);
  });

  test("a copy cut short is one line saying so, exit status 2", () => {
    const cut = join(dir, "cut.esrec");
    writeFileSync(cut, readFileSync(file).subarray(0, 3_000_000));
    for (const question of ["info", "processes"]) {
      assertOneLineError(
        cli("query", cut, question),
        /cut\.esrec is damaged: it is cut short .*record it again/,
      );
    }
  });

  test("open on a file it cannot read is one line and exit status 2, with nothing served", () => {
    const notRecording = join(dir, "notes.esrec");
    writeFileSync(notRecording, "these are notes, not a recording\n".repeat(100));
    const cut = join(dir, "cut-for-open.esrec");
    writeFileSync(cut, readFileSync(file).subarray(0, 3_000_000));
    for (const [path, why] of [
      [notRecording, /notes\.esrec is not an ElixirScope recording/],
      [cut, /cut-for-open\.esrec is damaged: it is cut short/],
      [join(dir, "missing.esrec"), /there is no recording at .*missing\.esrec: make one with/],
    ] as const) {
      const r = spawnSync(process.execPath, [MAIN, "open", "--no-browser", path], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, why);
    }
  });

  test("a copy with a part overwritten is one line saying so when a question reads that part", () => {
    const damaged = join(dir, "overwritten.esrec");
    copyFileSync(file, damaged);
    // Junk over a block the events table uses (DuckDB's file: three 4 KiB headers, then the blocks).
    const [block, blockSize] = q(
      "sql",
      "SELECT (SELECT min(block_id) FROM pragma_storage_info('events') WHERE block_id >= 0), " +
        "(SELECT block_size FROM pragma_database_size())",
    )
      .stdout.split("\n")[1]!
      .split(/\s*\|\s*|\s+/)
      .filter(Boolean)
      .map(Number);
    assert.ok(Number.isInteger(block) && blockSize! > 0, `block ${block} of ${blockSize} bytes`);
    const fd = openSync(damaged, "r+");
    const junk = Buffer.alloc(200_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 0xff;
    writeSync(fd, junk, 0, junk.length, 3 * 4096 + block! * blockSize! + 1000);
    closeSync(fd);
    // Every column of every table is read by one question or another (a hash of each value: `max` alone
    // may be answered from the statistics DuckDB keeps, without reading the data).
    const tables = [
      ...["events", "terms", "mfas", "procs", "spawns", "names", "apps", "calls", "messages", "states"],
      ...["monitors", "notes", "process_list"],
    ];
    const questions = [
      ["info"],
      ["processes"],
      ...tables.map((t) => ["sql", `SELECT max(hash(COLUMNS(*))) FROM ${t}`]),
    ];
    let failed = 0;
    for (const question of questions) {
      const r = cli("query", damaged, ...question);
      if (r.status === 0) continue;
      failed++;
      assertOneLineError(r, /overwritten\.esrec is damaged: part of it was overwritten .*record it again/);
    }
    assert.ok(failed > 0, "no question read the overwritten part");
  });

  test("--limit must be a whole number of 1 or more", () => {
    for (const limit of ["abc", "0", "-1", "1.5"]) {
      assertOneLineError(
        q("history", "SampleApp.Door", "--limit", limit),
        new RegExp(`--limit must be a whole number of 1 or more, got '${limit.replace(".", "\\.")}'`),
      );
    }
    const one = q("history", "SampleApp.Door", "--limit", "1");
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /^#\d+ .*\n\.\.\. more: --after #\d+\n$/);
  });

  test("--from and --to must be times", () => {
    assertOneLineError(q("events", "--from", "abc"), /--from must be a time since the start .*1\.5s.*'abc'/);
    assertOneLineError(q("callgraph", "--to", "2"), /--to must be a time since the start .*'2'/);
  });

  test("--at names both forms it accepts, and a moment past the end says it answers at the end", () => {
    assertOneLineError(
      q("state", "SampleApp.Door", "--at", "yesterday"),
      /--at must be an event number such as #1234 or a time since the start .* such as 1\.5s or 250ms, got 'yesterday'/,
    );
    const late = q("state", "SampleApp.Door", "--at", "99s");
    assert.equal(late.status, 0, late.stderr);
    assert.match(
      late.stderr,
      /--at 99s is after the recording's end \([\d.]+ s\): answering at its end, #\d+/,
    );
    const end = /#(\d+)\n/.exec(late.stderr)![1];
    assert.match(late.stdout, new RegExp(`^state of .* at #${end} `));
    const beyond = q("state", "SampleApp.Door", "--at", "#99999999");
    assert.equal(beyond.status, 0, beyond.stderr);
    assert.match(
      beyond.stderr,
      new RegExp(`--at #99999999 is past the recording's last event: answering at its end, #${end}`),
    );
  });

  test("sql refuses more than one statement, and takes one with a trailing ';' or a ';' in a string", () => {
    assertOneLineError(q("sql", "select 1; select 2"), /'sql' runs one statement and this has 2/);
    const one = q("sql", "SELECT ';' AS x;");
    assert.equal(one.status, 0, one.stderr);
    assert.equal(one.stdout, "x\n;\n");
  });

  test("--json answers and the jsonl export name processes by pid and registered name beside their ids", () => {
    const page = JSON.parse(q("history", "SampleApp.Door", "--limit", "1", "--json").stdout) as {
      items: Record<string, unknown>[];
    };
    const door = page.items[0]!;
    assert.equal(typeof door["proc"], "number");
    assert.match(String(door["procPid"]), /^<0\.\d+\.0>$/);
    assert.equal(door["procName"], "SampleApp.Door");
    const out = join(dir, "run.jsonl");
    assert.equal(q("export", "--format", "jsonl", "--out", out).status, 0);
    const sends = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e["kind"] === "send" && e["other"] !== null);
    assert.ok(sends.length > 0);
    for (const e of sends.slice(0, 100)) {
      assert.match(String(e["procPid"]), /^<\d+\.\d+\.\d+>$/);
      assert.match(String(e["otherPid"]), /^<\d+\.\d+\.\d+>$/);
    }
  });

  test("sender takes any state that states lists, a gen_statem's too, and gives the send of its message", () => {
    const states = JSON.parse(q("states", "SampleApp.Door", "--json").stdout) as {
      items: { seq: number; trigger: { seq: number | null; text: string } | null }[];
    };
    // The wrong code: a gen_statem's state row is its callback's return.
    const wrong = states.items.find((s) => /\{:unlock, "not 1234"\}/.test(s.trigger?.text ?? ""))!;
    assert.ok(wrong, "the door's state after the wrong code");
    const r = q("sender", String(wrong.seq));
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^#\d+ .* send {2}\{:"\$gen_call", .*\{:unlock, "not 1234"\}\} to <0\.\d+\.0> SampleApp\.Door\n$/,
    );
    const first = q("sender", `#${states.items[0]!.seq}`);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /no message caused this state/);
  });

  test("calls takes an event number with or without its '#', as why and sender do", () => {
    const call = q(
      "sql",
      "SELECT min(e.seq) FROM events e JOIN mfas m ON m.id = e.mfa WHERE m.name = 'SampleApp.Bank.transfer/3'",
    );
    const seq = call.stdout.split("\n")[1]!;
    const bare = q("calls", seq);
    assert.equal(bare.status, 0, bare.stderr);
    assert.match(bare.stdout, new RegExp(`^#${seq} SampleApp\\.Bank\\.transfer/3 `));
    assert.equal(q("calls", `#${seq}`).stdout, bare.stdout);
  });

  test("a name the recording lacks is answered with the names nearest it, the application's before OTP's", () => {
    assertOneLineError(
      q("history", "SampleApp.Bank.Tellr"),
      /^elixirscope: no process SampleApp\.Bank\.Tellr in this recording; its named processes are SampleApp\.Bank\.Teller, /,
    );
    const r = q("history", "Foo.Bar");
    const named = /its named processes are (.*), \.\.\. \(see/.exec(r.stderr)?.[1]?.split(", ");
    assert.ok(named, r.stderr);
    for (const name of ["SampleApp.Bank.Teller", "SampleApp.Worker", "SampleApp.Door"])
      assert.ok(named.includes(name), `${name} in ${r.stderr}`);
    assert.equal(new Set(named).size, named.length, "each name once");
  });

  test("an empty answer says so", () => {
    // The client sent nothing to the worker that replaced the crashed one.
    const r = q("messages", "SampleApp.Client", "SampleApp.Worker");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /holder of SampleApp\.Worker from #\d+:\nNo messages\.\n$/);
    assert.equal(
      q("messages", "SampleApp.Door", "--pattern", "{:nothing, _}").stdout,
      "No messages matching {:nothing, _}.\n",
    );
    assert.equal(q("history", "SampleApp.Door", "--kinds", "spawn").stdout, "No events.\n");
  });

  test("unreceived reports the unobserved messages apart from the unreceived ones", () => {
    const count = (status: number) =>
      Number(q("sql", `SELECT count(*) FROM messages WHERE status = ${status}`).stdout.split("\n")[1]);
    const unobserved = count(4);
    assert.ok(unobserved > 0, "the workload's recording has messages to processes outside it");
    const r = q("unreceived", "--limit", "10000");
    assert.equal(r.status, 0, r.stderr);
    const lost = count(1) + count(2);
    assert.match(r.stdout, lost === 0 ? /^Not received: none / : new RegExp(`^Not received: ${lost} `));
    assert.match(
      r.stdout,
      new RegExp(`\nUnobserved: ${unobserved}, sent to processes that did nothing recorded`),
    );
    assert.equal((r.stdout.match(/ {2}\[unobserved\]$/gm) ?? []).length, unobserved);
    const json = JSON.parse(q("unreceived", "--json").stdout) as { counts: Record<string, number> };
    assert.equal(json.counts["unobserved"], unobserved);
  });
});

test("recover refuses a recording its recorder is still writing, which then ends whole", async () => {
  compileSampleApp();
  const file = join(mkdtempSync(join(tmpdir(), "es-recover-")), "live.esrec");
  const child = spawn(
    process.execPath,
    [MAIN, "record", "--out", file, "--", "mix", "run", "-e",
     "SampleApp.Workload.run(); Process.sleep(3000); SampleApp.Workload.run()"],
    { cwd: SAMPLE_APP_DIR, stdio: ["ignore", "ignore", "pipe"] },
  ); // prettier-ignore
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  try {
    const deadline = Date.now() + 60_000;
    while (!(existsSync(file) && existsSync(`${file}.spool`))) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `the recording did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = cli("recover", file);
    assertOneLineError(
      r,
      new RegExp(`live\\.esrec is still being recorded by another process \\(PID ${child.pid}\\)`),
    );
    assert.equal(await exited, 0, err);
    const summary = /Recorded ([\d,]+) events/.exec(err);
    assert.ok(summary, err);
    const info = cli("query", file, "info");
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`, ${summary[1]} events, `));
    assert.doesNotMatch(info.stdout, /Recovered|Cut off/);
  } finally {
    child.kill("SIGINT");
  }
});
