/**
 * Ingest: turns the agent's event batches into the rows of a recording file, correlating as the events
 * stream past, in one pass and bounded memory:
 *
 *   batch bytes ─scan─▶ RawEvent ─▶ number terms, pids, functions (Interner)
 *                                 ─▶ pair calls with returns        → calls
 *                                 ─▶ pair sends with receives       → messages
 *                                 ─▶ receive timeouts (`after` fired) → events of kind `timeout`
 *                                 ─▶ rebuild GenServer states       → states (checkpoints every 64 changes)
 *                                 ─▶ spawns, links, exits, names    → spawns, names
 *                                 ─▶ monitors, from monitor to end  → monitors (monitors.ts)
 *                                 ─▶ the event, with its link and cause → events
 *
 * The cause of an event is what made it happen: for a receive, its send; for a spawned process, the spawn;
 * for an exit by a link's exit signal, that exit; for anything else a process does, the message it is
 * handling (for GenServers, which take messages in order, the oldest received and not yet handled; for other
 * processes, the last one received). Following causes from a crash walks back across processes to the
 * message that started it all: that is `why`.
 */
import { decodeBody } from "../etf/decode.js";
import { encode } from "../etf/encode.js";
import { termEnd } from "../etf/skip.js";
import * as T from "../etf/tags.js";
import { Atom, ErlMap, isAtom, Pid, Tuple, type Term } from "../etf/terms.js";
import type { AgentHello } from "../capture/agent-frames.js";
import { CHECKPOINT_EVERY, FLUSH_MS, K, STATE_CHANGES } from "../store/schema.js";
import type { StoreWriter, Tables } from "../store/writer.js";
import { hashBytes } from "./byte-table.js";
import { Interner } from "./interner.js";
import { MessageKeys } from "./message-keys.js";
import { PendingSends } from "./pending-sends.js";
import { ProcState } from "./process-state.js";
import { ProcessSummary } from "./process-summary.js";
import {
  atomAt,
  atomEnd,
  atomName,
  clockOf,
  intAt,
  isAtomAt,
  scanEvents,
  tupleArity,
  tupleBody,
  type Clock,
  type RawEvent,
} from "./scan.js";
import { classifyChange } from "./state-builder.js";
import { ReorderBuffer } from "./reorder.js";
import { takenByTheBehaviour } from "./replies.js";
import { runningInfo, spawnInfo } from "./spawn-info.js";
import { Monitors } from "./monitors.js";

/** Sends still waiting for their receive; past this the oldest are settled as never received. */
const MAX_PENDING_SENDS = 500_000;
/** Events held for reordering past this many are released whatever their time (a clock gone wrong). */
const MAX_HELD = 1_000_000;

/** The head of a two-element tuple, before its elements' bytes. */
const STATEM_TUPLE = Buffer.from([T.SMALL_TUPLE_EXT, 2]);

/** Atoms of `es_state` events, compared as bytes. */
const SNAPSHOT = atomName("snapshot");
const IN = atomName("in");
const NONE = atomName("none");
const UNCHANGED = atomName("unchanged");
/** A `receive` of the atom `timeout` with no send waiting is a `receive ... after` that fired (erlang:trace/3). */
const TIMEOUT = atomName("timeout");

/** The atom text of a cut term's marker (`{'$es_cut', Kind, Size, Prefix}`, docs/agent-protocol.md). */
const CUT = Buffer.from("$es_cut", "latin1");

/**
 * The reply among a gen_statem callback's actions at `at` (one action or a list of them): the `Reply` of the
 * first `{:reply, from, reply}`, or undefined.
 */
function replyAction(buf: Buffer, at: number): Buffer | undefined {
  const reply = (t: number) => {
    if (tupleArity(buf, t) !== 3 || atomAt(buf, tupleBody(buf, t)) !== "reply") return undefined;
    const value = termEnd(buf, termEnd(buf, tupleBody(buf, t)));
    return buf.subarray(value, termEnd(buf, value));
  };
  if (buf[at] !== T.LIST_EXT) return reply(at);
  let item = at + 5;
  for (let n = buf.readUInt32BE(at + 1); n > 0; n--, item = termEnd(buf, item)) {
    const r = reply(item);
    if (r) return r;
  }
  return undefined;
}

/** Marks an alias (a reference) among the names sends go to. */
const ALIAS = "\u0000alias:";

const CALLBACKS = new Set(["init/1", "handle_call/3", "handle_cast/2", "handle_info/2", "handle_continue/2"]);

interface ReturnRule {
  module: string;
  fun: string | null;
  arity: number | null;
}

export interface IngestCounts {
  events: number;
  /** Trace messages of kinds this version does not record. */
  skipped: number;
}

export class Ingest {
  readonly interner: Interner;
  private readonly t: Tables;
  private readonly base: Clock;
  private seq = 0;
  private skipped = 0;
  private readonly procs: ProcState[] = [];
  /** Per process, what the process list shows of its events (handed to the store at the end). */
  private readonly summary = new ProcessSummary();
  private readonly names = new Map<string, number>();
  /** The messages waiting (sends not yet received, messages not yet handled), numbered by their bytes. */
  private readonly keys: MessageKeys;
  /** Sends waiting for their receive, by receiver (or name) and the message's number (`MessageKeys`). */
  private readonly waiting = new PendingSends();
  private rules: ReturnRule[] = [];
  private readonly returns: (boolean | undefined)[] = [];
  private readonly callbacks: (boolean | undefined)[] = [];
  private lastFlush = Date.now();
  private buf: Buffer = Buffer.alloc(0);

  /** Process monitors (see monitors.ts). */
  private readonly monitors: Monitors;
  private readonly reorder = new ReorderBuffer();
  private readonly hold = (e: RawEvent) => this.reorder.add(e);
  private readonly visit = (e: RawEvent, buf: Buffer) => {
    this.buf = buf;
    this.event(e);
  };
  /** Whether a batch came since the last flush: when none did, the held events are released too. */
  private busy = false;
  /** The `events` table's typed columns, written directly on the hot path. */
  private readonly eventColumns: Record<
    "seq" | "proc" | "kind" | "mfa" | "other" | "term" | "link" | "cause" | "depth",
    Int32Array | Int16Array | Uint8Array
  >;

  constructor(
    private readonly store: StoreWriter,
    hello: Pick<AgentHello, "node" | "monotonicNs" | "plan"> & { raw?: ErlMap },
  ) {
    this.t = store.tables;
    const ev = this.t.events;
    this.eventColumns = {
      seq: ev.data(0),
      proc: ev.data(2),
      kind: ev.data(3),
      mfa: ev.data(4),
      other: ev.data(5),
      term: ev.data(6),
      link: ev.data(7),
      cause: ev.data(8),
      depth: ev.data(9),
    };
    this.interner = new Interner(this.t, hello.node);
    this.keys = new MessageKeys(this.interner.table);
    this.monitors = new Monitors(this.interner, this.t, {
      emit: (ns, proc, kind, other, term, link) => {
        const seq = this.seq++;
        this.row(seq, ns, proc, kind, -1, other, term, link, this.proc(proc).handling(), -1);
        return seq;
      },
      owner: (name) => this.names.get(name) ?? -1,
    });
    this.monitors.atStart(hello.raw?.get(Atom.of("monitors")));
    this.base = clockOf(hello.monotonicNs);
    this.planChanged(hello.plan);
    this.namesAtStart(hello.raw?.get(Atom.of("registered")));
    this.appsAtStart(hello.raw?.get(Atom.of("applications")));
    this.behavioursAtStart(hello.raw?.get(Atom.of("behaviours")));
  }

  /**
   * The hello's `behaviours`: `[{Pid, Behaviour, Module, Parent}]` of the OTP processes running when
   * recording began, written as spawns without an event (seq NULL), as if their spawn had been seen.
   */
  private behavioursAtStart(list: Term | undefined): void {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      if (!(entry instanceof Tuple) || entry.size !== 4 || !(entry.at(0) instanceof Pid)) continue;
      const [behaviour, module, parent] = [entry.at(1), entry.at(2), entry.at(3)];
      if (!(behaviour instanceof Atom) || !(module instanceof Atom)) continue;
      const info = runningInfo(behaviour.name, module.name);
      if (!info) continue;
      const child = this.interner.procOf(entry.at(0) as Pid);
      const c = this.proc(child);
      if (c.spawnSeen) continue;
      c.spawnSeen = true;
      c.inOrder = info.inOrder;
      c.behaviour = info.behaviour;
      c.module = info.module;
      const parentProc = parent instanceof Pid ? this.interner.procOf(parent) : null;
      const initial = this.interner.mfaByName(...info.initial!);
      this.t.spawns.row(null, parentProc, child, initial, info.behaviour, info.module);
    }
  }

  /** The hello's `applications`: `[{Pid, App}]` of the processes running when recording began. */
  private appsAtStart(list: Term | undefined): void {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      if (!(entry instanceof Tuple) || !(entry.at(0) instanceof Pid) || !(entry.at(1) instanceof Atom))
        continue;
      this.setApp(this.interner.procOf(entry.at(0) as Pid), (entry.at(1) as Atom).name);
    }
  }

  private setApp(proc: number, app: string): void {
    const p = this.proc(proc);
    if (p.application === app) return;
    p.application = app;
    this.t.apps.row(proc, app);
  }

  /** The hello's `registered`: `[{Name, Pid}]` of the processes registered when recording began. */
  private namesAtStart(list: Term | undefined): void {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      if (!(entry instanceof Tuple) || !(entry.at(0) instanceof Atom) || !(entry.at(1) instanceof Pid))
        continue;
      const proc = this.interner.procOf(entry.at(1) as Pid);
      const name = (entry.at(0) as Atom).name;
      this.names.set(name, proc);
      this.t.names.row(-1, proc, name, true);
    }
  }

  get counts(): IngestCounts {
    return { events: this.seq, skipped: this.skipped };
  }

  /** Reads which functions have return tracing from a plan term (calls of others never return). */
  planChanged(plan: Term): void {
    this.monitors.planChanged(plan);
    this.rules = [];
    this.returns.length = 0;
    const functions = plan instanceof ErlMap ? plan.get(Atom.of("functions")) : undefined;
    if (!Array.isArray(functions)) return;
    for (const f of functions) {
      if (!(f instanceof ErlMap) || !isAtom(f.get(Atom.of("return")) ?? [], "true")) continue;
      const m = f.get(Atom.of("module"));
      const fn = f.get(Atom.of("function"));
      const a = f.get(Atom.of("arity"));
      if (!(m instanceof Atom)) continue;
      this.rules.push({
        module: m.name,
        fun: fn instanceof Atom && fn.name !== "_" ? fn.name : null,
        arity: typeof a === "number" ? a : null,
      });
    }
  }

  /** One `{events, Seq, [Event]}` frame as the agent sent it. Returns the number of events read. */
  batch(frame: Uint8Array): number {
    const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    if (buf[0] !== T.VERSION_MAGIC || tupleArity(buf, 1) !== 3) return 0;
    const tag = tupleBody(buf, 1);
    const seqAt = termEnd(buf, tag);
    const listAt = termEnd(buf, seqAt);
    this.reorder.beginBatch(buf);
    const n = scanEvents(buf, listAt, this.base, this.hold);
    this.reorder.release(this.visit, this.reorder.held > MAX_HELD);
    this.busy = true;
    if (Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
    return n;
  }

  /** Something the agent reported (drops, load shedding), after the events so far. */
  note(note: Record<string, unknown>): void {
    this.t.notes.row(this.seq, JSON.stringify(note));
  }

  /** Commits what is gathered, so that it survives the recorder dying. */
  flush(): void {
    if (!this.busy) this.reorder.release(this.visit, true);
    this.busy = false;
    this.store.flush();
    this.lastFlush = Date.now();
  }

  /** Settles what is still open (calls that never returned, messages never received) and closes the file. */
  async finish(meta: Record<string, string>): Promise<void> {
    this.reorder.release(this.visit, true);
    for (let s = this.waiting.oldest(); s >= 0; s = this.waiting.oldest()) {
      this.neverReceived(s);
      this.waiting.unqueue(s);
      this.waiting.free(s);
    }
    for (const [proc, p] of this.procs.entries()) {
      if (!p) continue;
      for (let d = p.stack.length - 1; d >= 0; d--) this.closeCall(proc, p, d, -1, 0, 0, null);
    }
    this.monitors.finish();
    await this.store.finish({ events: String(this.seq), ...meta }, this.summary.rows());
  }

  // -------------------------------------------------------------------------------------------------------

  private proc(id: number): ProcState {
    let p = this.procs[id];
    if (!p) this.procs[id] = p = new ProcState(this.keys);
    return p;
  }

  /** Whether the function is one of `CALLBACKS` (by name and arity), remembered per function. */
  private isCallback(mfa: number): boolean {
    let r = this.callbacks[mfa];
    if (r === undefined) {
      const { fun, arity } = this.interner.mfaParts[mfa]!;
      this.callbacks[mfa] = r = CALLBACKS.has(`${fun}/${arity}`);
    }
    return r;
  }

  private returnsTraced(mfa: number): boolean {
    let r = this.returns[mfa];
    if (r === undefined) {
      const { module, fun, arity } = this.interner.mfaParts[mfa]!;
      r = this.rules.some(
        (x) =>
          x.module === module && (x.fun === null || x.fun === fun) && (x.arity === null || x.arity === arity),
      );
      this.returns[mfa] = r;
    }
    return r;
  }

  private row(
    seq: number,
    ns: number,
    proc: number,
    kind: number,
    mfa: number,
    other: number,
    term: number,
    link: number,
    cause: number,
    depth: number,
  ): void {
    const e = this.t.events;
    const i = e.n;
    const c = this.eventColumns;
    c.seq[i] = seq;
    e.put(1, ns);
    c.proc[i] = proc;
    c.kind[i] = kind;
    if (mfa < 0) e.setNull(4);
    else c.mfa[i] = mfa;
    if (other < 0) e.setNull(5);
    else c.other[i] = other;
    if (term < 0) e.setNull(6);
    else c.term[i] = term;
    if (link < 0) e.setNull(7);
    else c.link[i] = link;
    if (cause < 0) e.setNull(8);
    else c.cause[i] = cause;
    if (depth < 0) e.setNull(9);
    else c.depth[i] = depth;
    e.end();
    this.summary.add(proc, seq, kind, term);
  }

  private event(e: RawEvent): void {
    if (e.kind < 0) {
      this.skipped++;
      return;
    }
    const buf = this.buf;
    const proc = this.interner.proc(buf, e.pid, e.pidEnd);
    if (proc < 0) {
      this.skipped++;
      return;
    }
    // Only the monitor BIFs' patterns put the arguments in a call's trace message (`e.b`).
    if ((e.kind === K.call && e.b !== 0) || (e.kind === K.return && this.monitors.awaiting(proc)))
      if (this.monitors.event(e, buf, proc)) return;
    const seq = this.seq++;
    const p = this.proc(proc);
    // Its `spawned` event alone says nothing of what it received: the agent's helpers have that and no more.
    if (e.kind !== K.spawned) p.acted = true;
    switch (e.kind) {
      case K.call:
        return this.call(seq, e, proc, p);
      case K.return:
      case K.exception:
        return this.ret(seq, e, proc, p);
      case K.send:
        return this.send(seq, e, proc, p);
      case K.send_dead: {
        const term = this.interner.term(buf, e.a, e.aEnd);
        this.destination(e.b, e.bEnd);
        this.message(seq, -1, proc, this.toProc, this.toName, term, e.ns, 0, 1);
        return this.row(seq, e.ns, proc, K.send_dead, -1, this.toProc, term, -1, p.handling(), -1);
      }
      case K.receive:
        return this.receive(seq, e, proc, p);
      case K.spawn:
      case K.spawned:
        return this.spawn(seq, e, proc, p);
      case K.exit:
        return this.exit(seq, e, proc, p);
      case K.link:
      case K.getting_linked:
      case K.unlink:
      case K.getting_unlinked: {
        const other = this.interner.proc(buf, e.a, e.aEnd);
        if (other >= 0) {
          if (e.kind === K.link || e.kind === K.getting_linked) p.links.add(other);
          else p.links.delete(other);
        }
        return this.row(seq, e.ns, proc, e.kind, -1, other, -1, -1, p.handling(), -1);
      }
      case K.register:
      case K.unregister: {
        const name = atomAt(buf, e.a) ?? "";
        if (e.kind === K.register) this.names.set(name, proc);
        else if (this.names.get(name) === proc) this.names.delete(name);
        this.t.names.row(seq, proc, name, e.kind === K.register);
        return this.row(seq, e.ns, proc, e.kind, -1, -1, this.interner.term(buf, e.a, e.aEnd), -1, -1, -1);
      }
      case K.state:
        return this.state(seq, e, proc, p);
    }
  }

  /** The arguments' term number (or -1) of the last `mfaAt` (a field: no object a call). */
  private args = -1;

  /** `{M, F, Args | Arity}` at `at`: the function's number; the arguments' term number goes to `args`. */
  private mfaAt(at: number): number {
    const buf = this.buf;
    const m = tupleBody(buf, at);
    const f = atomEnd(buf, m);
    const third = atomEnd(buf, f);
    let arity = intAt(buf, third);
    let args = -1;
    if (arity === undefined) {
      const tag = buf[third];
      arity =
        tag === T.LIST_EXT
          ? buf.readUInt32BE(third + 1)
          : tag === T.STRING_EXT
            ? buf.readUInt16BE(third + 1)
            : 0;
      args = this.interner.term(buf, third, termEnd(buf, third));
    }
    this.args = args;
    return this.interner.mfa(buf, m, f, third, arity);
  }

  private call(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const mfa = this.mfaAt(e.a);
    const args = this.args;
    // With the plan's `callers`, the trace message is the caller's `{M, F, A}` (or `undefined`): in `other`.
    const caller = e.b !== 0 && this.buf[e.b] === T.SMALL_TUPLE_EXT ? this.mfaAt(e.b) : -1;
    if (!p.inOrder && this.isCallback(mfa)) p.inOrder = true;
    const depth = p.stack.length;
    if (this.returnsTraced(mfa)) p.stack.push({ seq, mfa, startNs: e.ns, childNs: 0 });
    this.row(seq, e.ns, proc, K.call, mfa, caller, args, -1, p.handling(), depth);
  }

  private closeCall(
    proc: number,
    p: ProcState,
    depth: number,
    endSeq: number,
    endNs: number,
    outcome: number,
    result: number | null,
  ): void {
    const c = p.stack[depth]!;
    const open = endSeq < 0;
    const duration = open ? null : endNs - c.startNs;
    if (duration !== null && depth > 0) p.stack[depth - 1]!.childNs += duration;
    this.t.calls.row(
      c.seq,
      open ? null : endSeq,
      proc,
      c.mfa,
      depth,
      depth > 0 ? p.stack[depth - 1]!.seq : null,
      c.startNs,
      open ? null : endNs,
      duration === null ? null : duration - c.childNs,
      outcome,
      result,
    );
    p.stack.length = depth;
  }

  private ret(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const mfa = this.mfaAt(e.a);
    const value = this.interner.term(this.buf, e.b, e.bEnd);
    let depth = p.stack.length - 1;
    while (depth >= 0 && p.stack[depth]!.mfa !== mfa) depth--;
    let link = -1;
    if (depth >= 0) {
      link = p.stack[depth]!.seq;
      // Frames above it were left without a return of their own (a throw caught below them).
      for (let d = p.stack.length - 1; d > depth; d--) this.closeCall(proc, p, d, -1, 0, 0, null);
      this.closeCall(proc, p, depth, seq, e.ns, e.kind === K.return ? 1 : 2, value);
    }
    const cause = p.handling();
    this.row(seq, e.ns, proc, e.kind, mfa, -1, value, link, cause, Math.max(depth, 0));
    // A gen_statem's data is only in its callbacks' returns (sys reports its state names alone).
    if (e.kind === K.return && (!p.sysStates || p.behaviour === "gen_statem"))
      this.callbackState(seq, e, proc, p, mfa);
  }

  /**
   * A callback's return value carries the new state: a GenServer's `{:reply, r, s}`, `{:noreply, s}`,
   * `{:ok, s}`; a gen_statem's `{:ok, name, data}` from init/1 and `{:next_state, name, data}` or
   * `{:keep_state, data}` from its state functions, whose state is then `{name, data}`, and
   * `{:keep_state_and_data, actions}` with a reply, whose state is the last one.
   */
  private callbackState(seq: number, e: RawEvent, proc: number, p: ProcState, mfa: number): void {
    const parts = this.interner.mfaParts[mfa]!;
    const statem = p.behaviour === "gen_statem";
    const callback = this.isCallback(mfa);
    if (
      !callback &&
      !(statem && parts.module === p.module && (parts.arity === 3 || parts.fun === "handle_event"))
    )
      return;
    const buf = this.buf;
    const arity = tupleArity(buf, e.b);
    if (arity < 2) return;
    const first = tupleBody(buf, e.b);
    const tag = atomAt(buf, first);
    const at: number[] = [first];
    for (let i = 1; i <= arity; i++) at.push(termEnd(buf, at[i - 1]!));
    const bytes = (i: number) => buf.subarray(at[i], at[i + 1]);
    let state: Buffer | undefined;
    let reply: Buffer | undefined;
    if (statem) {
      if ((tag === "ok" && parts.fun === "init") || tag === "next_state") {
        if (arity >= 3) state = this.statemState(p, bytes(1), bytes(2));
        if (tag === "next_state" && arity >= 4) reply = replyAction(buf, at[3]!);
      } else if ((tag === "keep_state" || tag === "repeat_state") && p.stateName) {
        state = this.statemState(p, p.stateName, bytes(1));
        if (arity >= 3) reply = replyAction(buf, at[2]!);
      } else if (tag === "stop" && arity === 3 && p.stateName)
        state = this.statemState(p, p.stateName, bytes(2));
      else if (tag === "keep_state_and_data" || tag === "repeat_state_and_data") {
        // The state and data stay the last ones. Only a reply makes it a row: without one it changed nothing,
        // answered no one, and its return cannot tell it from a state enter call's or a postponement's, which
        // handle no message.
        reply = replyAction(buf, at[1]!);
        if (reply) state = p.statemWhole;
      }
    } else if (tag === "reply" && arity >= 3) {
      reply = bytes(1);
      state = bytes(2);
    } else if ((tag === "noreply" || tag === "ok") && arity >= 2) state = bytes(1);
    else if (tag === "stop" && arity >= 3) state = bytes(arity - 1);
    if (!state) return;
    p.inOrder = true;
    const triggerSeq = parts.fun === "init" ? -1 : statem ? p.handledLatest() : p.handled();
    const full = this.interner.term(state, 0, state.length);
    const replyTerm = reply ? this.interner.term(reply, 0, reply.length) : null;
    p.baseSeq = seq;
    p.sinceCheckpoint = 0;
    this.t.states.row(seq, proc, triggerSeq < 0 ? null : triggerSeq, null, replyTerm, 1, full, full, seq);
  }

  /** The bytes of `{name, data}` (a gen_statem's whole state); remembers the name and the whole. */
  private statemState(p: ProcState, name: Buffer, data: Buffer): Buffer {
    p.stateName = Buffer.from(name);
    return (p.statemWhole = Buffer.concat([STATEM_TUPLE, name, data]));
  }

  /** Where the last `destination` went: its process (or -1), its term, and the name it names (or null). */
  private toProc = -1;
  private toName = -1;
  private toNameText: string | null = null;

  /** Where a send went: a pid's process, or a registered name (resolved when known); see `toProc`. */
  private destination(at: number, end: number): void {
    const buf = this.buf;
    const tag = buf[at];
    if (tag === T.NEW_PID_EXT || tag === T.PID_EXT) {
      this.toProc = this.interner.proc(buf, at, end);
      this.toName = -1;
      this.toNameText = null;
      return;
    }
    let nameText = atomAt(buf, at) ?? null;
    if (nameText === null && tupleArity(buf, at) === 2) nameText = atomAt(buf, tupleBody(buf, at)) ?? null;
    // A reply to a process alias (`gen_server:call`'s reply goes to one): whoever receives it is the alias's owner.
    if (
      nameText === null &&
      (tag === T.NEWER_REFERENCE_EXT || tag === T.NEW_REFERENCE_EXT || tag === T.REFERENCE_EXT)
    )
      nameText = ALIAS + buf.toString("latin1", at, end);
    this.toName = this.interner.term(buf, at, end);
    this.toProc = nameText === null ? -1 : (this.names.get(nameText) ?? -1);
    this.toNameText = nameText;
  }

  private send(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const buf = this.buf;
    const hash = hashBytes(buf, e.a, e.aEnd);
    // The message's key is where its term number is found too (the term comes before the destination's).
    let key = this.keys.acquire(buf, e.a, e.aEnd, hash);
    const term = this.interner.termOfEntry(key, buf, e.a, e.aEnd);
    this.destination(e.b, e.bEnd);
    const receiver = this.toProc;
    const nameText = this.toNameText;
    // It waits for its receive by receiver, else by the name it went to, else nowhere.
    if (receiver < 0 && nameText === null) {
      this.keys.release(key);
      key = -1;
    }
    const name = receiver < 0 && nameText !== null ? nameText : undefined;
    this.waiting.add(seq, proc, receiver, this.toName, term, e.ns, key, name);
    if (this.waiting.size > MAX_PENDING_SENDS) this.settleOldestSends();
    this.row(seq, e.ns, proc, K.send, -1, receiver, term, -1, p.handling(), -1);
  }

  /** Settles the oldest tenth of the waiting sends as never received, and forgets where they waited. */
  private settleOldestSends(): void {
    const w = this.waiting;
    let n = MAX_PENDING_SENDS / 10;
    for (let s = w.oldest(); s >= 0; s = w.oldest()) {
      this.neverReceived(s);
      w.unqueue(s);
      const key = w.key[s]!;
      w.free(s);
      if (key >= 0) this.keys.release(key);
      if (--n <= 0) break;
    }
  }

  /**
   * The earliest send of the message numbered `key` to `proc` still waiting, taken out of its queue (its
   * slot in `waiting`, to be freed), or -1.
   */
  private takeSend(proc: number, key: number): number {
    if (key < 0) return -1;
    const w = this.waiting;
    const s = w.takeFor(proc, key);
    if (s >= 0) return s;
    const byName = w.named(key);
    if (byName) {
      for (let i = 0; i < byName.length; i++) {
        const slot = byName[i]!;
        const name = w.name[slot]!;
        const owner = this.names.get(name);
        if (owner !== undefined && owner !== proc) continue;
        w.takeNamed(key, i);
        if (owner === undefined && !name.startsWith(ALIAS)) {
          this.names.set(name, proc);
          this.t.names.row(w.seq[slot]!, proc, name, true);
        }
        return slot;
      }
    }
    return -1;
  }

  /**
   * Writes the message of waiting send `s` as never received: unreceived (2) when its receiver was
   * recorded, else unobserved (4): the receiver did nothing recorded (outside the plan's processes, on
   * another node, one of the agent's own), so whether it got the message is not known.
   */
  private neverReceived(s: number): void {
    const w = this.waiting;
    const receiver = w.receiver[s]!;
    const status = receiver >= 0 && this.procs[receiver]?.acted ? 2 : 4;
    this.message(w.seq[s]!, -1, w.sender[s]!, receiver, w.toName[s]!, w.term[s]!, w.ns[s]!, 0, status);
  }

  /** A `messages` row; a negative seq, process or term is NULL, and `receivedNs` is NULL without a receive. */
  private message(
    sendSeq: number,
    receiveSeq: number,
    sender: number,
    receiver: number,
    toName: number,
    term: number,
    sentNs: number,
    receivedNs: number,
    status: number,
  ): void {
    const m = this.t.messages;
    m.putInt(0, sendSeq);
    m.putInt(1, receiveSeq);
    m.putInt(2, sender);
    m.putInt(3, receiver);
    m.putInt(4, toName);
    m.putInt(5, term);
    m.putBig(6, sentNs);
    if (receiveSeq < 0) m.setNull(7);
    else m.putBig(7, receivedNs);
    m.putInt(8, status);
    m.end();
  }

  /**
   * The term number of the message in `buf[start, end)` whose key is `key` (-1: none): the key is the
   * message's entry in the interner's table too.
   */
  private messageTerm(key: number, buf: Buffer, start: number, end: number, hash: number): number {
    return key >= 0
      ? this.interner.termOfEntry(key, buf, start, end)
      : this.interner.termHashed(buf, start, end, hash);
  }

  private receive(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const buf = this.buf;
    const hash = hashBytes(buf, e.a, e.aEnd);
    const notForCallbacks = takenByTheBehaviour(buf, e.a);
    // Held for the process's unhandled messages; otherwise only looked for among the sends waiting.
    const key = notForCallbacks
      ? this.keys.find(buf, e.a, e.aEnd, hash)
      : this.keys.acquire(buf, e.a, e.aEnd, hash);
    const s = this.takeSend(proc, key);
    // The VM reports a `receive ... after` that fired as a receive of `timeout`: unless one was sent, that.
    if (s < 0 && isAtomAt(buf, e.a, TIMEOUT))
      return this.receiveTimeout(seq, e, proc, p, key, notForCallbacks);
    const term = this.messageTerm(key, buf, e.a, e.aEnd, hash);
    let sendSeq = -1;
    let other = -1;
    let cause = -1;
    if (s >= 0) {
      const w = this.waiting;
      sendSeq = w.seq[s]!;
      other = w.sender[s]!;
      cause = sendSeq;
      this.keys.release(w.key[s]!);
      this.message(sendSeq, seq, other, proc, w.toName[s]!, w.term[s]!, w.ns[s]!, e.ns, 0);
      w.free(s);
    } else {
      // An exit signal turned into a message (`{:EXIT, pid, reason}` for a process trapping exits).
      if (tupleArity(buf, e.a) === 3) {
        const first = tupleBody(buf, e.a);
        if (atomAt(buf, first) === "EXIT") {
          const pidAt = termEnd(buf, first);
          other = this.interner.proc(buf, pidAt, termEnd(buf, pidAt));
          if (other >= 0 && this.procs[other] && this.procs[other].exitSeq >= 0)
            cause = this.procs[other].exitSeq;
        }
      }
      this.message(-1, seq, other, proc, -1, term, e.ns, e.ns, 3);
    }
    p.received(seq, key, notForCallbacks);
    this.monitors.received(seq, buf, e.a, proc);
    this.row(seq, e.ns, proc, K.receive, -1, other, term, sendSeq, cause, -1);
  }

  /**
   * A receive's `after` fired: no message, so no `messages` row and nothing in the mailbox. Its cause is the
   * message a GenServer-like process is handling (a plain process's last message did not make it wait).
   * What the process does next follows from it, so it is what a plain process is handling from then on.
   */
  private receiveTimeout(
    seq: number,
    e: RawEvent,
    proc: number,
    p: ProcState,
    key: number,
    notForCallbacks: boolean,
  ): void {
    if (!notForCallbacks) this.keys.release(key);
    const cause = p.inOrder ? p.handling() : -1;
    p.lastReceive = seq;
    p.timeoutSeq = seq;
    this.row(seq, e.ns, proc, K.timeout, -1, -1, -1, -1, cause, -1);
  }

  private spawn(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const buf = this.buf;
    const other = this.interner.proc(buf, e.a, e.aEnd);
    const parent = e.kind === K.spawn ? proc : other;
    const child = e.kind === K.spawn ? other : proc;
    const c = child >= 0 ? this.proc(child) : undefined;
    let link = -1;
    let cause = -1;
    if (e.kind === K.spawn) {
      cause = p.handling();
      if (c) c.spawnSeq = seq;
    } else if (c && c.spawnSeq >= 0) {
      link = cause = c.spawnSeq;
    }
    const mfa = this.mfaAt(e.b);
    if (c && !c.spawnSeen && child >= 0) {
      c.spawnSeen = true;
      const info = spawnInfo(decodeBody(buf, e.b).term, this.interner.mfaParts[mfa]!);
      if (info.inOrder) c.inOrder = true;
      c.behaviour = info.behaviour;
      c.module = info.module;
      // A process belongs to its parent's application (it inherits the group leader), an application's
      // master to the application it starts.
      const app = info.application ?? (parent >= 0 ? this.procs[parent]?.application : undefined);
      if (app !== undefined) this.setApp(child, app);
      const initial = info.initial ? this.interner.mfaByName(...info.initial) : mfa;
      this.t.spawns.row(seq, parent < 0 ? null : parent, child, initial, info.behaviour, info.module);
    }
    this.row(seq, e.ns, proc, e.kind, mfa, other, -1, link, cause, -1);
  }

  private exit(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const buf = this.buf;
    const term = this.interner.term(buf, e.a, e.aEnd);
    const key = buf.toString("latin1", e.a, e.aEnd);
    let cause = -1;
    if (atomAt(buf, e.a) !== "normal") {
      for (const q of p.links) {
        const l = this.procs[q];
        if (l && l.exitSeq >= 0 && l.exitReasonKey === key) cause = Math.max(cause, l.exitSeq);
      }
    }
    if (cause < 0) cause = p.handling();
    p.exitSeq = seq;
    p.exitReasonKey = key;
    this.row(seq, e.ns, proc, K.exit, -1, -1, term, -1, cause, -1);
    this.monitors.exited(seq, proc, term);
  }

  private state(seq: number, e: RawEvent, proc: number, p: ProcState): void {
    const buf = this.buf;
    p.sysStates = true;
    p.inOrder = true;
    let triggerSeq = -1;
    let triggerTerm = -1;
    const snapshot = isAtomAt(buf, e.a, SNAPSHOT);
    if (tupleArity(buf, e.a) === 2 && isAtomAt(buf, tupleBody(buf, e.a), IN)) {
      // `{:in, msg}`: the message is stored (once) as it was received.
      const m = termEnd(buf, tupleBody(buf, e.a));
      const mEnd = termEnd(buf, m);
      const hash = hashBytes(buf, m, mEnd);
      const key = this.keys.find(buf, m, mEnd, hash);
      triggerTerm = this.messageTerm(key, buf, m, mEnd, hash);
      triggerSeq = p.handled(key);
      // A message too large to record is cut in the receive and in the state event each on its own budget, so
      // their bytes differ: a GenServer handles its messages in order, the oldest is the one.
      if (triggerSeq < 0 && key < 0 && buf.subarray(m, mEnd).includes(CUT)) triggerSeq = p.handled();
      // A GenServer's timeout (`{:noreply, state, ms}`) reaches its callback as the message `:timeout`.
      if (triggerSeq < 0 && p.timeoutSeq >= 0 && isAtomAt(buf, m, TIMEOUT)) triggerSeq = p.timeoutSeq;
      p.timeoutSeq = -1;
    } else if (!snapshot) triggerTerm = this.interner.store(buf, e.a, e.aEnd);
    const reply = isAtomAt(buf, e.b, NONE) ? -1 : this.interner.term(buf, e.b, e.bEnd);
    const payloadTerm = isAtomAt(buf, e.c, UNCHANGED) ? Atom.of("unchanged") : decodeBody(buf, e.c).term;
    const payload = this.interner.store(buf, e.c, e.cEnd);
    const change = classifyChange(snapshot, payloadTerm);
    let full = -1;
    if (!p.state.apply(change, payloadTerm)) {
      p.baseSeq = -1;
    } else if (change === "snapshot" || change === "full") {
      full = payload;
    } else if (++p.sinceCheckpoint >= CHECKPOINT_EVERY) {
      full = this.interner.termOf(encode(p.state.current()!));
    }
    if (full >= 0) {
      p.baseSeq = seq;
      p.sinceCheckpoint = 0;
    }
    // A gen_statem whose returns give its whole state: sys's state names add nothing.
    if (p.stateName !== undefined)
      return this.row(seq, e.ns, proc, K.state, -1, -1, payload, triggerSeq, triggerSeq, -1);
    this.t.states.row(
      seq,
      proc,
      triggerSeq < 0 ? null : triggerSeq,
      triggerTerm < 0 ? null : triggerTerm,
      reply < 0 ? null : reply,
      STATE_CHANGES.indexOf(change),
      payload,
      full < 0 ? null : full,
      p.baseSeq < 0 ? null : p.baseSeq,
    );
    this.row(seq, e.ns, proc, K.state, -1, -1, payload, triggerSeq, triggerSeq, -1);
    // A gen_statem seen first by its snapshot (running before recording began): `{name, data}` gives the
    // name that its callbacks' `{:keep_state, data}` returns leave out.
    if (snapshot && p.behaviour === "gen_statem" && tupleArity(buf, e.c) === 2) {
      const name = tupleBody(buf, e.c);
      p.stateName = Buffer.from(buf.subarray(name, termEnd(buf, name)));
      p.statemWhole = Buffer.from(buf.subarray(e.c, e.cEnd));
    }
  }
}
