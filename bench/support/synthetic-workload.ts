/**
 * A synthetic, seeded workload in the agent's wire format: `{events, Seq, [Event]}` frames of 500 trace
 * messages (docs/agent-protocol.md, "Events"), encoded with src/etf, produced one frame at a time so that
 * ten million events never sit in memory at once.
 *
 * The system it pretends to trace, 200 long-lived processes on `bench@localhost`:
 *
 *   <0.100.0>            a supervisor, linked to the relays, trapping exits
 *   <0.101.0>..<0.120.0> 20 GenServers (Bench.Account), registered, states captured (`es_state`)
 *   <0.121.0>..<0.132.0> a chain of 12 relay processes passing `{:relay, i, payload}` along
 *   <0.133.0>..<0.232.0> 100 clients calling and casting to the GenServers (each mostly to one)
 *   <0.233.0>..<0.299.0> 67 workers computing and messaging each other
 *
 * plus short-lived tasks that workers spawn and link to. GenServer calls are `{:"$gen_call", {pid, ref},
 * req}` sends with their receive, `handle_call/3`, a return-traced `Bench.Ledger.post/2`, the `{ref, reply}`
 * reply and an `es_state` event with a `{changed, %{...}, []}` diff; every GenServer gets a snapshot at the
 * start and again now and then. At 90% of the events one relay message carries `:bad_input` down the whole
 * chain and the last relay crashes with `:badarith`; the supervisor gets its `{:EXIT, ...}` and starts a
 * replacement: a causal chain of 25 hops from the crash back to the client that sent it.
 *
 * Mixes: `full` (all of the above), `calls` (only calls and returns), `messages` (only sends and receives).
 * Timestamps are `erlang:monotonic_time(nanosecond)`-like: large negative bigints, increasing. The session's
 * hello (node, clocks, plan) is in `synthetic-hello.ts`.
 */
import { encode } from "../../src/etf/encode.js";
import { atom, binary, ErlMap, NIL_ATOM, tuple, type Pid, type Term } from "../../src/etf/terms.js";
import { syntheticHello } from "./synthetic-hello.js";
import { ev, mfa, pid, ref, Rng } from "./synthetic-terms.js";

export type WorkloadMix = "full" | "calls" | "messages";

export interface WorkloadOptions {
  /** Exactly this many events are produced. */
  events: number;
  mix?: WorkloadMix;
  seed?: number;
  /** Events per frame (the agent's default `batch_size`). */
  batchSize?: number;
}

/** What the workload did, for benchmarks to ask about. Pids as the query engine prints them. */
export interface WorkloadFacts {
  genservers: string[];
  /** A client and the GenServer it mostly calls. */
  pair: [string, string];
  relays: number;
  /** The relay process that crashed, once it has, and the client that sent it the bad input. */
  crashed: string | null;
  crashOrigin: string | null;
  /** A state event of `genservers[0]` from about three quarters in: its seq and the balance it left. */
  probe: { seq: number; balance: number } | null;
}

const A = {
  events: atom("events"),
  genCall: atom("$gen_call"),
  genCast: atom("$gen_cast"),
  transfer: atom("transfer"),
  balance: atom("balance"),
  deposit: atom("deposit"),
  ok: atom("ok"),
  in: atom("in"),
  none: atom("none"),
  changed: atom("changed"),
  unchanged: atom("unchanged"),
  snapshot: atom("snapshot"),
  ops: atom("ops"),
  lastTx: atom("last_tx"),
  id: atom("id"),
  owner: atom("owner"),
  limits: atom("limits"),
  daily: atom("daily"),
  single: atom("single"),
  event: atom("event"),
  done: atom("done"),
  ping: atom("ping"),
  relay: atom("relay"),
  job: atom("job"),
  badInput: atom("bad_input"),
  badarith: atom("badarith"),
  exitMsg: atom("EXIT"),
  normal: atom("normal"),
  link: atom("link"),
  gettingLinked: atom("getting_linked"),
  gettingUnlinked: atom("getting_unlinked"),
  procLib: atom("proc_lib"),
  gen: atom("gen"),
  initIt: atom("init_it"),
  genServer: atom("gen_server"),
  local: atom("local"),
};

const ACCOUNT = "Elixir.Bench.Account";
const F = {
  handleCall: mfa(ACCOUNT, "handle_call", 3),
  handleCast: mfa(ACCOUNT, "handle_cast", 2),
  post: mfa("Elixir.Bench.Ledger", "post", 2),
  validate: mfa("Elixir.Bench.Ledger", "validate", 1),
  transfer: mfa("Elixir.Bench.Client", "transfer", 3),
  balance: mfa("Elixir.Bench.Client", "balance", 1),
  run: mfa("Elixir.Bench.Worker", "run", 1),
  compute: mfa("Elixir.Bench.Worker", "compute", 1),
  onTransfer: mfa("Elixir.Bench.Worker", "on_transfer", 1),
  task: mfa("Elixir.Bench.Worker", "task", 1),
  parse: mfa("Elixir.Bench.Util", "parse", 1),
  format: mfa("Elixir.Bench.Util", "format", 2),
  forward: mfa("Elixir.Bench.Relay", "forward", 2),
  finish: mfa("Elixir.Bench.Relay", "finish", 1),
};

interface Account {
  pid: Pid;
  id: number;
  balance: number;
  ops: number;
  lastTx: Term;
}

export class SyntheticWorkload {
  readonly hello = syntheticHello();
  readonly facts: WorkloadFacts;
  private readonly rng: Rng;
  private readonly total: number;
  private readonly batch: number;
  private readonly mix: WorkloadMix;
  private emitted = 0;
  private frames = 0;
  private queue: Term[] = [];
  private deferred: (() => void)[] = [];
  private offsetNs = 1_000;
  private refs = 0;
  private nextPid = 1000;
  private crashAt: number;
  private readonly sup = pid(100);
  private readonly accounts: Account[] = [];
  private readonly relays: Pid[] = [];
  private readonly clients: Pid[] = [];
  private readonly workers: Pid[] = [];
  private readonly dead: Pid[] = [];

  constructor(options: WorkloadOptions) {
    this.total = options.events;
    this.batch = options.batchSize ?? 500;
    this.mix = options.mix ?? "full";
    this.rng = new Rng(options.seed ?? 20261203);
    for (let i = 0; i < 20; i++)
      this.accounts.push({ pid: pid(101 + i), id: i + 1, balance: 10_000, ops: 0, lastTx: NIL_ATOM });
    for (let i = 0; i < 12; i++) this.relays.push(pid(121 + i));
    for (let i = 0; i < 100; i++) this.clients.push(pid(133 + i));
    for (let i = 0; i < 67; i++) this.workers.push(pid(233 + i));
    this.crashAt = this.mix === "full" && this.total >= 1000 ? Math.floor(this.total * 0.9) : Infinity;
    this.facts = {
      genservers: this.accounts.map((a) => text(a.pid)),
      pair: [text(this.clients[0]!), text(this.accounts[0]!.pid)],
      relays: this.relays.length,
      crashed: null,
      crashOrigin: null,
      probe: null,
    };
    if (this.mix === "full") this.startup();
  }

  /** Events put into frames so far. */
  get produced(): number {
    return this.emitted - this.queue.length;
  }

  /** The next `{events, Seq, [Event]}` frame, or undefined once all the events are out. */
  nextFrame(): Buffer | undefined {
    while (this.queue.length < this.batch && this.emitted < this.total) this.step();
    if (this.queue.length === 0) return undefined;
    const events = this.queue.length > this.batch ? this.queue.splice(0, this.batch) : this.queue;
    if (events === this.queue) this.queue = [];
    return encode(tuple(A.events, this.frames++, events));
  }

  *[Symbol.iterator](): Generator<Buffer> {
    for (let f = this.nextFrame(); f; f = this.nextFrame()) yield f;
  }

  // -------------------------------------------------------------------------------------------------------

  private ts(): bigint {
    this.offsetNs += 150 + this.rng.int(1500);
    return this.hello.monotonicNs + BigInt(this.offsetNs);
  }

  private push(e: Term): void {
    if (this.emitted >= this.total) return;
    this.queue.push(e);
    this.emitted++;
  }

  private step(): void {
    const later = this.deferred;
    this.deferred = [];
    for (const f of later) f();
    if (this.emitted >= this.crashAt) {
      this.crashAt = Infinity;
      return this.relay(this.clients[7]!, true);
    }
    const r = this.rng.next() * 100;
    if (this.mix === "calls")
      return this.compute(this.rng.pick(this.rng.next() < 0.5 ? this.workers : this.clients));
    if (this.mix === "messages") return r < 50 ? this.peer() : this.genCall(true);
    if (r < 30) return this.genCall(false);
    if (r < 38) return this.cast();
    if (r < 70) return this.compute(this.rng.pick(this.workers));
    if (r < 99.87) return this.peer();
    if (r < 99.92) return this.taskSpawn();
    if (r < 99.97) return this.sendDead();
    if (r < 99.99) return this.snapshot(this.rng.pick(this.accounts));
    return this.relay(this.rng.pick(this.clients), false);
  }

  /** The supervisor starts everything, names the GenServers, links to the relays; snapshots of the states. */
  private startup(): void {
    for (const a of this.accounts) {
      const name = atom(`${ACCOUNT}${a.id}`);
      const init = tuple(A.procLib, atom("init_p"), [
        this.sup,
        [this.sup],
        A.gen,
        A.initIt,
        [A.genServer, this.sup, this.sup, tuple(A.local, name), atom(ACCOUNT), a.id, []],
      ]);
      this.push(ev.spawn(this.sup, a.pid, init, this.ts()));
      this.push(ev.spawned(a.pid, this.sup, init, this.ts()));
      this.push(ev.register(a.pid, name, this.ts()));
    }
    for (let i = 0; i < this.relays.length; i++) this.startRelay(i);
    for (const p of [...this.clients, ...this.workers]) {
      const init = tuple(atom("Elixir.Bench.Worker"), atom("start"), [p.id]);
      this.push(ev.spawn(this.sup, p, init, this.ts()));
      this.push(ev.spawned(p, this.sup, init, this.ts()));
    }
    for (const a of this.accounts) this.snapshot(a);
  }

  private startRelay(i: number): void {
    const p = this.relays[i]!;
    const init = tuple(atom("Elixir.Bench.Relay"), atom("loop"), [i]);
    this.push(ev.spawn(this.sup, p, init, this.ts()));
    this.push(ev.spawned(p, this.sup, init, this.ts()));
    this.push(ev.linkish(this.sup, A.link, p, this.ts()));
    this.push(ev.linkish(p, A.gettingLinked, this.sup, this.ts()));
  }

  private stateOf(a: Account): ErlMap {
    return new ErlMap([
      [A.id, a.id],
      [A.balance, a.balance],
      [A.ops, a.ops],
      [A.owner, binary(`user-${a.id}`)],
      [
        A.limits,
        new ErlMap([
          [A.daily, 5000],
          [A.single, 1000],
        ]),
      ],
      [A.lastTx, a.lastTx],
    ]);
  }

  private snapshot(a: Account): void {
    this.push(ev.state(a.pid, this.ts(), A.snapshot, A.none, this.stateOf(a)));
  }

  /** A client's `GenServer.call`; `bare`: only its four messages. */
  private genCall(bare: boolean): void {
    const ci = this.rng.int(this.clients.length);
    const c = this.clients[ci]!;
    const a =
      this.rng.next() < 0.8 ? this.accounts[ci % this.accounts.length]! : this.rng.pick(this.accounts);
    const r = ref(++this.refs);
    const isTransfer = this.rng.next() < 0.7;
    const to = 1 + this.rng.int(this.accounts.length);
    const amount = 1 + this.rng.int(500);
    const req = isTransfer ? tuple(A.transfer, a.id, to, amount) : tuple(A.balance, a.id);
    const msg = tuple(A.genCall, tuple(c, r), req);
    if (!bare) this.push(ev.call(c, isTransfer ? F.transfer : F.balance, this.ts()));
    this.push(ev.send(c, msg, a.pid, this.ts()));
    this.push(ev.receive(a.pid, msg, this.ts()));
    let reply: Term;
    let change: Term = A.unchanged;
    if (isTransfer) {
      a.balance -= amount;
      a.ops++;
      a.lastTx = tuple(to, amount);
      reply = A.ok;
      change = tuple(
        A.changed,
        new ErlMap([
          [A.balance, a.balance],
          [A.ops, a.ops],
          [A.lastTx, a.lastTx],
        ]),
        [],
      );
    } else {
      reply = tuple(A.ok, a.balance);
    }
    if (!bare) {
      this.push(ev.call(a.pid, F.handleCall, this.ts()));
      if (isTransfer) {
        this.push(ev.call(a.pid, F.post, this.ts()));
        this.push(ev.call(a.pid, F.validate, this.ts()));
        this.push(ev.ret(a.pid, F.post, tuple(A.ok, a.balance), this.ts()));
      }
    }
    const answer = tuple(r, reply);
    this.push(ev.send(a.pid, answer, c, this.ts()));
    if (!bare) this.pushState(a, tuple(A.in, msg), reply, change);
    this.push(ev.receive(c, answer, this.ts()));
  }

  /** A `GenServer.cast`, to the pid or to the registered name. */
  private cast(): void {
    const c = this.rng.pick(this.clients);
    const a = this.rng.pick(this.accounts);
    const amount = 1 + this.rng.int(500);
    const msg = tuple(A.genCast, tuple(A.deposit, a.id, amount));
    const to = this.rng.next() < 0.3 ? atom(`${ACCOUNT}${a.id}`) : a.pid;
    this.push(ev.send(c, msg, to, this.ts()));
    this.push(ev.receive(a.pid, msg, this.ts()));
    this.push(ev.call(a.pid, F.handleCast, this.ts()));
    a.balance += amount;
    a.ops++;
    const change = tuple(
      A.changed,
      new ErlMap([
        [A.balance, a.balance],
        [A.ops, a.ops],
      ]),
      [],
    );
    this.pushState(a, tuple(A.in, msg), A.none, change);
  }

  /** An `es_state` event; the event's seq in the recording is the number of events before it. */
  private pushState(a: Account, trigger: Term, reply: Term, change: Term): void {
    if (
      a === this.accounts[0] &&
      !this.facts.probe &&
      this.emitted >= this.total * 0.75 &&
      this.emitted < this.total
    )
      this.facts.probe = { seq: this.emitted, balance: a.balance };
    this.push(ev.state(a.pid, this.ts(), trigger, reply, change));
  }

  /** Local calls: `run/1` (untimed) around a return-traced `compute/1` with helpers inside. */
  private compute(w: Pid): void {
    this.push(ev.call(w, F.run, this.ts()));
    this.push(ev.call(w, F.compute, this.ts()));
    const helpers = 1 + this.rng.int(3);
    for (let i = 0; i < helpers; i++) this.push(ev.call(w, i === 2 ? F.format : F.parse, this.ts()));
    const n = this.rng.int(1000);
    this.push(ev.ret(w, F.compute, this.rng.next() < 0.5 ? n : tuple(A.ok, n), this.ts()));
  }

  /** A plain message between two processes; a third of them received a little later. */
  private peer(): void {
    const all = this.rng.next() < 0.5 ? this.workers : this.clients;
    const from = this.rng.pick(all);
    let to = this.rng.pick(this.workers);
    if (to === from) to = this.workers[(this.workers.indexOf(to) + 1) % this.workers.length]!;
    const msg =
      this.rng.next() < 0.6
        ? tuple(A.transfer, this.rng.int(50), this.rng.int(50), 1 + this.rng.int(1000))
        : tuple(A.event, this.rng.int(100));
    this.push(ev.send(from, msg, to, this.ts()));
    const deliver = () => {
      this.push(ev.receive(to, msg, this.ts()));
      if (this.mix !== "messages") this.push(ev.call(to, F.onTransfer, this.ts()));
    };
    if (this.rng.next() < 0.33) this.deferred.push(deliver);
    else deliver();
  }

  /** A worker spawns a linked task, which computes, sends its result back and exits. */
  private taskSpawn(): void {
    const w = this.rng.pick(this.workers);
    const t = pid(this.nextPid++);
    const init = tuple(atom("Elixir.Bench.Worker"), atom("task"), [t.id]);
    this.push(ev.spawn(w, t, init, this.ts()));
    this.push(ev.spawned(t, w, init, this.ts()));
    this.push(ev.linkish(w, A.link, t, this.ts()));
    this.push(ev.linkish(t, A.gettingLinked, w, this.ts()));
    this.push(ev.call(t, F.task, this.ts()));
    this.compute(t);
    const result = tuple(A.done, t, this.rng.int(1000));
    this.push(ev.send(t, result, w, this.ts()));
    this.push(ev.receive(w, result, this.ts()));
    this.push(ev.exit(t, A.normal, this.ts()));
    this.push(ev.linkish(w, A.gettingUnlinked, t, this.ts()));
    this.dead.push(t);
  }

  private sendDead(): void {
    if (this.dead.length === 0) return;
    const w = this.rng.pick(this.workers);
    this.push(ev.sendDead(w, tuple(A.ping, this.rng.int(10)), this.rng.pick(this.dead), this.ts()));
  }

  /** A message passed along every relay; with `crash`, the last relay fails on it and is restarted. */
  private relay(origin: Pid, crash: boolean): void {
    const payload = crash ? A.badInput : tuple(A.job, this.rng.int(1000));
    let msg = tuple(A.relay, 0, payload);
    this.push(ev.send(origin, msg, this.relays[0]!, this.ts()));
    this.push(ev.receive(this.relays[0]!, msg, this.ts()));
    const last = this.relays.length - 1;
    for (let i = 0; i < last; i++) {
      const next = tuple(A.relay, i + 1, payload);
      this.push(ev.call(this.relays[i]!, F.forward, this.ts()));
      this.push(ev.send(this.relays[i]!, next, this.relays[i + 1]!, this.ts()));
      this.push(ev.receive(this.relays[i + 1]!, next, this.ts()));
      msg = next;
    }
    const r = this.relays[last]!;
    this.push(ev.call(r, F.finish, this.ts()));
    if (!crash) {
      const done = tuple(A.done, msg);
      this.push(ev.send(r, done, origin, this.ts()));
      this.push(ev.receive(origin, done, this.ts()));
      return;
    }
    const reason = tuple(A.badarith, [tuple(atom("Elixir.Bench.Relay"), atom("finish"), 1, [])]);
    this.push(ev.exit(r, reason, this.ts()));
    this.push(ev.receive(this.sup, tuple(A.exitMsg, r, reason), this.ts()));
    this.facts.crashed = text(r);
    this.facts.crashOrigin = text(origin);
    this.dead.push(r);
    this.relays[last] = pid(this.nextPid++);
    this.startRelay(last);
  }
}

function text(p: Pid): string {
  return `<0.${p.id}.${p.serial}>`;
}
