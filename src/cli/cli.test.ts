// The elixirscope command as a user runs it: output, exit status, and one clear line for each mistake.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, type TestNode } from "../../test/support/nodes.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: ReturnType<typeof cli>, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
}

describe("elixirscope ping", () => {
  let peer: TestNode;
  before(async () => {
    peer = await startNode();
  });
  after(async () => {
    await peer.stop();
  });

  test("prints the node's versions and round-trip time", () => {
    const r = cli("ping", "--node", peer.name, "--cookie", peer.cookie);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^pong from ${peer.name}\n`));
    assert.match(r.stdout, /\n {2}OTP 2\d \(ERTS \d+\.\d+(\.\d+)*\)\n/);
    assert.match(r.stdout, /\n {2}Elixir not loaded on this node\n/);
    assert.match(r.stdout, /\n {2}round trip \d+\.\d{3} ms \(median of 9\)\n$/);
  });

  test("a wrong cookie is one line and exit status 2", () => {
    assertOneLineError(
      cli("ping", "--node", peer.name, "--cookie", "wrong"),
      /^elixirscope: .* rejected our cookie/,
    );
  });

  test("an unknown node is one line naming the nodes EPMD knows", () => {
    assertOneLineError(
      cli("ping", "--node", "surely_not_running", "--cookie", "x"),
      new RegExp(`no node named 'surely_not_running'.*${peer.name.split("@")[0]}`),
    );
  });

  test("a malformed node name is one line", () => {
    assertOneLineError(cli("ping", "--node", "two@@ats", "--cookie", "x"), /'two@@ats' is not a node name/);
  });

  test("attach names the node by its full name when given a bare one", () => {
    const out = join(mkdtempSync(join(tmpdir(), "es-cli-attach-")), "a.esrec");
    const r = cli(
      "attach",
      "--node",
      peer.name.split("@")[0]!,
      "--cookie",
      peer.cookie,
      "--duration",
      "1",
      "--out",
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^Recording ${peer.name} for 1 s; Ctrl-C stops\\.\n`));
  });

  test("a missing option is a usage error", () => {
    const r = cli("ping");
    assert.equal(r.status, 64);
    assert.match(r.stderr, /required option '--node <name>' not specified/);
  });
});

test("elixirscope ping reaches an IEx session and reports its Elixir version", async () => {
  const iex = await startNode({ kind: "iex" });
  try {
    const r = cli("ping", "--node", iex.name, "--cookie", iex.cookie);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\n {2}Elixir 1\.\d+\.\d+\n/);
  } finally {
    await iex.stop();
  }
});

test("elixirscope demo records the sample workload and says what the recording holds", () => {
  const file = join(mkdtempSync(join(tmpdir(), "es-demo-")), "demo.esrec");
  const r = cli("demo", "--out", file, "--no-open");
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Recorded [\d,]+ events in [\d.]+ s into .*demo\.esrec/);
  assert.match(r.stdout, /No event was dropped\./);
  assert.match(
    r.stdout,
    /the crash: <0\.\d+\.0> SampleApp\.Worker exited at #\d+ with %ArgumentError\{message: "expected a non-negative integer, got: -1"\} \(and its stack trace\)/,
  );
  assert.match(r.stdout, /sent by #\d+ <0\.\d+\.0> SampleApp\.Client: send .*\{:process, -1\}/);
  assert.match(r.stdout, new RegExp(`The recording is ${file.replace(/[.]/g, "\\.")}\\.`));
});

describe("record, attach, listen and demo refuse an --out they cannot write, before anything runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "es-cli-out-"));
  /** An erl command that leaves a file behind when it runs. */
  const marker = join(dir, "ran");
  const erl = ["erl", "-noshell", "-eval", `file:write_file("${marker}", <<>>), halt().`];

  function assertRefused(r: ReturnType<typeof cli>, pattern: RegExp): void {
    assert.notEqual(r.status, 0, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
    assert.match(lines[0]!, pattern);
    assert.equal(existsSync(marker), false, "the command must not run");
  }

  test("a folder that does not exist", () => {
    const out = join(dir, "missing", "run.esrec");
    assertRefused(
      cli("record", "--out", out, "--", ...erl),
      /^elixirscope: cannot write the recording .*: the folder .*missing does not exist; create it or choose another --out$/,
    );
    for (const args of [
      ["attach", "--node", "app@localhost", "--out", out],
      ["listen", "--port", "4949", "--token", "t", "--out", out],
      ["demo", "--no-open", "--out", out],
    ])
      assertRefused(
        cli(...args),
        /^elixirscope: cannot write the recording .*: the folder .*missing does not exist/,
      );
  });

  test("a folder", () => {
    assertRefused(
      cli("record", "--out", dir, "--", ...erl),
      /^elixirscope: --out .* is a folder: give a file name in it, as in --out .*\/run\.esrec$/,
    );
  });

  test("a path through a file", () => {
    const file = join(dir, "plain-file");
    writeFileSync(file, "");
    assertRefused(
      cli("record", "--out", join(file, "run.esrec"), "--", ...erl),
      /plain-file is not a folder/,
    );
  });
});

describe("record with a command that is not a BEAM program", () => {
  const dir = mkdtempSync(join(tmpdir(), "es-cli-cmd-"));
  const out = join(dir, "run.esrec");

  test("a command not found is one line, before anything else", () => {
    const r = cli("record", "--out", out, "--", "no-such-command-xyz");
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr,
      "elixirscope: cannot run 'no-such-command-xyz': command not found (give an erl, elixir, iex or mix command)\n",
    );
  });

  test("one that succeeds without starting a VM ends with a non-zero status", () => {
    const r = cli("record", "--out", out, "--", "true");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /nothing was recorded: no BEAM VM started by the command/);
  });
});

describe("a usage mistake is one line that says where to look", () => {
  for (const [args, line] of [
    [["frob"], "error: unknown command 'frob' (see 'elixirscope --help')"],
    [["reord"], "error: unknown command 'reord': did you mean record? (see 'elixirscope --help')"],
    [["record", "--frob", "--", "ls"], "error: unknown option '--frob' (see 'elixirscope record --help')"],
    [["record"], "error: missing required argument 'command' (see 'elixirscope record --help')"],
    [["attach"], "error: required option '--node <name>' not specified (see 'elixirscope attach --help')"],
  ] as const) {
    test(args.join(" "), () => {
      const r = cli(...args);
      assert.equal(r.status, 64);
      assert.equal(r.stderr, line + "\n");
    });
  }
});
