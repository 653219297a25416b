// The distribution client against real nodes: connecting, messaging both ways, links and monitors,
// remote calls, code loading, node-down detection, and every bad input the issue lists.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { atom, binary, charlist, isAtom, Pid, Tuple, tuple, termEquals, type Term } from "../etf/terms.js";
import { LocalNode } from "./node.js";
import { rpc, RpcError } from "./rpc.js";
import { DistError } from "./errors.js";
import { registerNode } from "./epmd.js";
import { loadModule } from "../agent/load.js";
import { ensureEpmd, startNode, type TestNode, uniqueName } from "../../test/support/nodes.js";

const ECHO_SERVER =
  "register(echo, spawn(fun Loop() -> receive {From, Msg} -> From ! {echo, Msg}, Loop() end end))," +
  "register(linker, spawn(fun L() -> receive {link_to, Target, Report} -> spawn(fun() -> " +
  "process_flag(trap_exit, true), link(Target), Report ! linked, " +
  "receive {'EXIT', From, Why} -> Report ! {got_exit, From, Why} end end), L() end end)).";

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DistError, `expected a DistError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("against an erl node", () => {
  let peer: TestNode;
  let node: LocalNode;

  before(async () => {
    peer = await startNode({ eval: ECHO_SERVER });
    node = await LocalNode.start({ cookie: peer.cookie });
  });
  after(async () => {
    await node.stop();
    await peer.stop();
  });

  test("rpc returns the OTP release the node runs", async () => {
    const release = await rpc(node, peer.name, "erlang", "system_info", [atom("otp_release")]);
    assert.ok(Array.isArray(release));
    assert.ok(Number(String.fromCharCode(...(release as number[]))) >= 25);
  });

  test("a message to a registered process comes back", async () => {
    const me = node.spawn();
    const payload = tuple(atom("hello"), binary("world"), [1, 2, 3], 2n ** 80n);
    me.send({ name: "echo", node: peer.name }, tuple(me.pid, payload));
    const reply = await me.receive((m) => m, 5000);
    assert.ok(termEquals(reply, tuple(atom("echo"), payload)), `got ${String(reply)}`);
  });

  test("selective receive leaves other messages queued, and times out clearly", async () => {
    const me = node.spawn();
    me.send({ name: "echo", node: peer.name }, tuple(me.pid, atom("first")));
    me.send({ name: "echo", node: peer.name }, tuple(me.pid, atom("second")));
    const second = await me.receive(
      (m) => (m instanceof Tuple && isAtom(m.at(1), "second") ? m : undefined),
      5000,
    );
    assert.ok(isAtom((second as Tuple).at(1), "second"));
    assert.equal(me.queued.length, 1);
    await rejectsWith(
      me.receive((m) => (isAtom(m, "never") ? m : undefined), 100),
      "TIMEOUT",
      /no matching message within 100 ms/,
    );
  });

  test("remote code sending to our registered name reaches it, as do large fragmented messages", async () => {
    const listening = await LocalNode.start({ cookie: peer.cookie, listen: true });
    try {
      const inbox = listening.spawn();
      inbox.register("inbox");
      // The node connects to us (we are the acceptor) and sends a 2 MB message, which OTP fragments.
      await rpc(listening, peer.name, "erlang", "send", [
        tuple(atom("inbox"), listening.nameAtom),
        tuple(atom("big"), new Uint8Array(2_000_000).fill(7), charlist("tail")),
      ]);
      const got = (await inbox.receive((m) => m, 5000)) as Tuple;
      assert.ok(isAtom(got.at(0), "big"));
      assert.equal((got.at(1) as Uint8Array).length, 2_000_000);
      assert.equal((got.at(1) as Uint8Array)[1_999_999], 7);
    } finally {
      await listening.stop();
    }
  });

  test("atoms sent many times decode the same through the atom cache", async () => {
    const me = node.spawn();
    const msg = tuple(atom("cached_atom_one"), atom("cached_atom_two"), [atom("cached_atom_one")]);
    for (let i = 0; i < 3; i++) me.send({ name: "echo", node: peer.name }, tuple(me.pid, msg));
    for (let i = 0; i < 3; i++) {
      const reply = await me.receive((m) => m, 5000);
      assert.ok(termEquals(reply, tuple(atom("echo"), msg)));
    }
  });

  test("a monitor fires with the exit reason, and a link delivers the exit", async () => {
    const me = node.spawn();
    const pid = (await rpc(node, peer.name, "erlang", "spawn", [
      atom("timer"),
      atom("sleep"),
      [atom("infinity")],
    ])) as Pid;
    assert.ok(pid instanceof Pid);
    const ref = me.monitor(pid);
    me.link(pid);
    await new Promise((r) => setTimeout(r, 100));
    await rpc(node, peer.name, "erlang", "exit", [pid, atom("shutdown_for_test")]);
    const down = await me.receive(
      (m) => (m instanceof Tuple && isAtom(m.at(0), "DOWN") ? m : undefined),
      5000,
    );
    assert.ok(termEquals(down, tuple(atom("DOWN"), ref, atom("process"), pid, atom("shutdown_for_test"))));
    const exit = await me.receive(
      (m) => (m instanceof Tuple && isAtom(m.at(0), "EXIT") ? m : undefined),
      5000,
    );
    assert.ok(termEquals(exit, tuple(atom("EXIT"), pid, atom("shutdown_for_test"))));
  });

  test("monitoring a process that does not exist answers noproc", async () => {
    const me = node.spawn();
    const ref = me.monitor({ name: "no_such_process", node: peer.name });
    const down = await me.receive((m) => m, 5000);
    assert.ok(
      termEquals(
        down,
        tuple(
          atom("DOWN"),
          ref,
          atom("process"),
          tuple(atom("no_such_process"), atom(peer.name)),
          atom("noproc"),
        ),
      ),
    );
  });

  test("when our process exits, a remote process linked to it gets the exit signal", async () => {
    const me = node.spawn();
    const watcher = node.spawn();
    // `linker` on the node spawns a process that traps exits, links to our pid and reports what it gets.
    me.send({ name: "linker", node: peer.name }, tuple(atom("link_to"), me.pid, watcher.pid));
    await watcher.receive((m) => (isAtom(m, "linked") ? true : undefined), 5000);
    me.exit(atom("bye_from_typescript"));
    const got = await watcher.receive((m) => m, 5000);
    assert.ok(termEquals(got, tuple(atom("got_exit"), me.pid, atom("bye_from_typescript"))), String(got));
  });

  test("a module loaded over distribution can be called", async () => {
    await loadModule(node, peer.name, "elixirscope_probe");
    const info = await rpc(node, peer.name, "elixirscope_probe", "info", []);
    assert.ok(info instanceof Object && "get" in info);
    const map = info as unknown as { get(k: Term): Term | undefined };
    assert.ok(isAtom(map.get(atom("node"))!, peer.name));
    assert.ok(isAtom(map.get(atom("elixir_version"))!, "nil"));
  });

  test("an rpc that raises names the exception", async () => {
    await assert.rejects(rpc(node, peer.name, "erlang", "binary_to_atom", [42]), (err: unknown) => {
      assert.ok(err instanceof RpcError);
      assert.match(err.message, /:erlang\.binary_to_atom\/1 on .* raised :badarg/);
      return true;
    });
  });

  test("an rpc that does not answer in time times out", async () => {
    await rejectsWith(
      rpc(node, peer.name, "timer", "sleep", [3000], 200),
      "TIMEOUT",
      /did not answer within 200 ms/,
    );
  });
});

describe("against an Elixir node", () => {
  test("Elixir code on the node can send to our registered name", async () => {
    ensureEpmd();
    const ours = await LocalNode.start({
      name: uniqueName("es_listener"),
      cookie: "elixir_cookie_x",
      listen: true,
    });
    const inbox = ours.spawn();
    inbox.register("inbox");
    const elixir = await startNode({
      kind: "elixir",
      cookie: "elixir_cookie_x",
      eval: `send({:inbox, :"${ours.name}"}, {:hello_from_elixir, System.version(), self()})`,
    });
    try {
      const got = (await inbox.receive((m) => m, 15_000)) as Tuple;
      assert.ok(isAtom(got.at(0), "hello_from_elixir"));
      assert.match(Buffer.from(got.at(1) as Uint8Array).toString(), /^1\.\d+/);
      assert.ok(got.at(2) instanceof Pid);
      assert.ok(isAtom((got.at(2) as Pid).node, elixir.name));
    } finally {
      await elixir.stop();
      await ours.stop();
    }
  });
});

describe("node down", () => {
  test("a node that halts is reported down at once, with noconnection to monitors", async () => {
    const peer = await startNode();
    const node = await LocalNode.start({ cookie: peer.cookie });
    try {
      const me = node.spawn();
      const ref = me.monitor({ name: "rex", node: peer.name });
      await node.connect(peer.name);
      const down = new Promise<number>((resolve) => node.once("nodedown", () => resolve(Date.now())));
      const started = Date.now();
      peer.child.kill("SIGKILL");
      assert.ok((await down) - started < 1000);
      const msg = await me.receive((m) => m, 1000);
      assert.ok(
        termEquals(
          msg,
          tuple(
            atom("DOWN"),
            ref,
            atom("process"),
            tuple(atom("rex"), atom(peer.name)),
            atom("noconnection"),
          ),
        ),
      );
    } finally {
      await node.stop();
      await peer.stop();
    }
  });

  test("a node that freezes is reported down within the tick time", async () => {
    const peer = await startNode({ extraArgs: ["-kernel", "net_ticktime", "2"] });
    const node = await LocalNode.start({ cookie: peer.cookie, tickTimeMs: 2000 });
    try {
      await node.connect(peer.name);
      const down = new Promise<[number, string]>((resolve) =>
        node.once("nodedown", (_p, why) => resolve([Date.now(), why])),
      );
      const started = Date.now();
      peer.child.kill("SIGSTOP");
      const [at, why] = await down;
      assert.match(why, /no tick/);
      assert.ok(at - started <= 2600, `took ${at - started} ms`);
    } finally {
      peer.child.kill("SIGCONT");
      await node.stop();
      await peer.stop();
    }
  });
});

describe("bad input", () => {
  let peer: TestNode;
  before(async () => {
    peer = await startNode();
  });
  after(async () => {
    await peer.stop();
  });

  test("an unknown node", async () => {
    const node = await LocalNode.start({ cookie: "x" });
    try {
      await rejectsWith(
        node.connect("no_such_node_here"),
        "NODE_UNKNOWN",
        /no node named 'no_such_node_here'.*nodes there: /,
      );
    } finally {
      await node.stop();
    }
  });

  test("no EPMD", async () => {
    const saved = process.env["ERL_EPMD_PORT"];
    process.env["ERL_EPMD_PORT"] = "1"; // nothing listens on port 1
    const node = await LocalNode.start({ cookie: "x" });
    try {
      await rejectsWith(
        node.connect(peer.name),
        "EPMD_UNREACHABLE",
        /cannot reach EPMD on .*:1 \(ECONNREFUSED\)/,
      );
    } finally {
      if (saved === undefined) delete process.env["ERL_EPMD_PORT"];
      else process.env["ERL_EPMD_PORT"] = saved;
      await node.stop();
    }
  });

  test("a wrong cookie", async () => {
    const node = await LocalNode.start({ cookie: "definitely_not_the_cookie" });
    try {
      await rejectsWith(node.connect(peer.name), "BAD_COOKIE", /rejected our cookie.*--cookie/);
    } finally {
      await node.stop();
    }
  });

  test("a refused connection", async () => {
    // A name registered with EPMD whose port nobody listens on.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const name = uniqueName("es_ghost");
    const reg = await registerNode(name, port);
    const node = await LocalNode.start({ cookie: "x" });
    try {
      await rejectsWith(node.connect(name), "CONNECTION_REFUSED", /ECONNREFUSED.*shutting down/);
    } finally {
      reg.close();
      await node.stop();
    }
  });

  test("a peer closing mid-handshake", async () => {
    const rude = createServer((s) => s.once("data", () => s.destroy()));
    await new Promise<void>((r) => rude.listen(0, "127.0.0.1", () => r()));
    const name = uniqueName("es_rude");
    const reg = await registerNode(name, (rude.address() as { port: number }).port);
    const node = await LocalNode.start({ cookie: "x" });
    try {
      await rejectsWith(
        node.connect(name),
        "HANDSHAKE_FAILED",
        /closed the connection during the handshake \(at the status\)/,
      );
    } finally {
      reg.close();
      rude.close();
      await node.stop();
    }
  });
});
