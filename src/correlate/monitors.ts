/**
 * Process monitors, as ingest reads them: which process watches which, from the monitor to its end.
 *
 * The agent traces the BIFs that make and remove monitors (see docs/agent-protocol.md, "Monitors"): a call of
 * `erlang:monitor/2,3` or of `erlang:spawn_opt/4` with a `monitor` option carries its arguments in the trace
 * message (`{trace_ts, Pid, call, MFA, Args, Ts}`) and is followed by its return, which holds the reference;
 * a call of `erlang:demonitor/1,2` carries the reference. Those calls are not written as calls: a monitor
 * becomes one `monitor` event (at its return, with the target), a demonitor one `demonitor` event linked to
 * its monitor, and a demonitor of a reference no recorded monitor has (the alias monitor of every
 * `GenServer.call`, which the agent does not report) nothing at all.
 *
 *   monitor call ─▶ (waits for its return) ─▶ monitor event, held by ref
 *   held ─▶ demonitor event                     → monitors row, ended `demonitor`
 *        ─▶ `{:DOWN, ref, ...}` received        → ended `down`, with the reason
 *        ─▶ the watcher exits                   → ended `watcher_exit`
 *        ─▶ the target exits, receives not recorded → ended `down` at the exit, with its reason
 *
 * A row is written once its monitor has ended, and at the end of the recording for those still held; the
 * `monitor` events of monitors still held are in the events table meanwhile. Monitors the traced processes
 * held when recording began come from the hello (`monitors`) without a reference: they end by their
 * `:DOWN` (matched by watcher and target), by an exit, never by a demonitor, which cannot be told apart.
 */
import { encode } from "../etf/encode.js";
import { termEnd } from "../etf/skip.js";
import * as T from "../etf/tags.js";
import { Atom, ErlMap, isAtom, Pid, Tuple, type Term } from "../etf/terms.js";
import { K, MONITOR_ENDS } from "../store/schema.js";
import type { Tables } from "../store/writer.js";
import type { Interner } from "./interner.js";
import { atomAt, tupleArity, tupleBody, type RawEvent } from "./scan.js";

/** What ingest lends this module. */
export interface MonitorHost {
  /** Takes the next event number and writes an event row (its cause: what the process is handling). */
  emit(ns: number, proc: number, kind: number, other: number, term: number, link: number): number;
  /** The process holding a registered name now, or -1. */
  owner(name: string): number;
}

interface Held {
  /** The `monitor` event, -1 for a monitor held when recording began. */
  seq: number;
  watcher: number;
  target: number;
  targetName: string | null;
  /** The target's term (a pid, a name or `{name, node}`), and the reference's; -1 when unknown. */
  targetTerm: number;
  ref: number;
  /** The reference's bytes, the key it is held under ("" when unknown). */
  key: string;
  /** The target's exit, once seen, while the `:DOWN` is waited for. */
  downSeq: number;
  downReason: number;
}

interface Pending {
  fun: string;
  target: number;
  targetName: string | null;
  targetTerm: number;
}

const END = Object.fromEntries(MONITOR_ENDS.map((k, i) => [k, i])) as Record<
  (typeof MONITOR_ENDS)[number],
  number
>;

export class Monitors {
  /** Monitor calls waiting for their return, by process. */
  private readonly pending = new Map<number, Pending>();
  private readonly byRef = new Map<string, Held>();
  private readonly byWatcher = new Map<number, Set<Held>>();
  private readonly byTarget = new Map<number, Set<Held>>();
  private held = 0;
  /** Whether received messages are recorded: then a monitor ends at its `:DOWN`, else at its target's exit. */
  private messages = false;
  /** Demonitors of references no recorded monitor had (mostly `gen` calls' alias monitors). */
  ignored = 0;

  constructor(
    private readonly interner: Interner,
    private readonly t: Tables,
    private readonly host: MonitorHost,
  ) {}

  planChanged(plan: Term): void {
    this.messages = plan instanceof ErlMap && isAtom(plan.get(Atom.of("messages")) ?? [], "true");
  }

  /** The hello's `monitors`: `[{Watcher, Target}]` held when recording began. */
  atStart(list: Term | undefined): void {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      if (!(entry instanceof Tuple) || !(entry.at(0) instanceof Pid)) continue;
      const watcher = this.interner.procOf(entry.at(0) as Pid);
      const target = entry.at(1)!;
      const name =
        target instanceof Tuple && target.at(0) instanceof Atom ? (target.at(0) as Atom).name : null;
      const proc = target instanceof Pid ? this.interner.procOf(target) : name ? this.host.owner(name) : -1;
      this.hold({
        seq: -1,
        watcher,
        target: proc,
        targetName: name,
        targetTerm: this.interner.termOf(encode(target)),
        ref: -1,
        key: "",
        downSeq: -1,
        downReason: -1,
      });
    }
  }

  /** Whether a return of `proc` may be a monitor call's. */
  awaiting(proc: number): boolean {
    return this.pending.size > 0 && this.pending.has(proc);
  }

  /**
   * A call event carrying its arguments, or a return of a process with a monitor call pending. Returns true
   * when it was one of the monitor BIFs' (written here, or dropped), false when ingest should record it.
   */
  event(e: RawEvent, buf: Buffer, proc: number): boolean {
    const m = tupleBody(buf, e.a);
    if (atomAt(buf, m) !== "erlang") return false;
    const fun = atomAt(buf, termEnd(buf, m));
    if (e.kind === K.return) {
      const p = this.pending.get(proc);
      if (!p || p.fun !== fun) return false;
      this.pending.delete(proc);
      this.made(e, buf, proc, p);
      return true;
    }
    const args = listElements(buf, e.b);
    if (fun === "monitor" && args.length >= 2) {
      this.pending.set(proc, this.target(buf, args[1]!, fun));
    } else if (fun === "spawn_opt") {
      this.pending.set(proc, { fun, target: -1, targetName: null, targetTerm: -1 });
    } else if (fun === "demonitor" && args.length >= 1) {
      const h = this.byRef.get(buf.toString("latin1", args[0]!, termEnd(buf, args[0]!)));
      if (h && h.watcher === proc) {
        const seq = this.host.emit(e.ns, proc, K.demonitor, h.target, h.targetTerm, h.seq);
        this.end(h, seq, END.demonitor, -1);
      } else this.ignored++;
    } else return false;
    return true;
  }

  /** A monitor call's return: the reference (`spawn_opt`: `{Pid, Ref}`, the target the new process). */
  private made(e: RawEvent, buf: Buffer, proc: number, p: Pending): void {
    let refAt = e.b;
    if (p.fun === "spawn_opt") {
      if (tupleArity(buf, e.b) !== 2) return;
      const pidAt = tupleBody(buf, e.b);
      refAt = termEnd(buf, pidAt);
      p.targetTerm = this.interner.term(buf, pidAt, refAt);
      p.target = this.interner.proc(buf, pidAt, refAt);
    }
    const refEnd = termEnd(buf, refAt);
    const seq = this.host.emit(e.ns, proc, K.monitor, p.target, p.targetTerm, -1);
    this.hold({
      seq,
      watcher: proc,
      target: p.target,
      targetName: p.targetName,
      targetTerm: p.targetTerm,
      ref: this.interner.term(buf, refAt, refEnd),
      key: buf.toString("latin1", refAt, refEnd),
      downSeq: -1,
      downReason: -1,
    });
  }

  /** A monitor's target as given: a pid, a registered name or `{Name, Node}`. */
  private target(buf: Buffer, at: number, fun: string): Pending {
    const end = termEnd(buf, at);
    const targetTerm = this.interner.term(buf, at, end);
    if (buf[at] === T.NEW_PID_EXT || buf[at] === T.PID_EXT)
      return { fun, target: this.interner.proc(buf, at, end), targetName: null, targetTerm };
    const name = atomAt(buf, at) ?? (tupleArity(buf, at) === 2 ? atomAt(buf, tupleBody(buf, at)) : undefined);
    return {
      fun,
      target: name === undefined ? -1 : this.host.owner(name),
      targetName: name ?? null,
      targetTerm,
    };
  }

  /** A received message at `at`: a `{:DOWN, Ref, :process, Object, Reason}` ends its monitor. */
  received(seq: number, buf: Buffer, at: number, proc: number): void {
    if (this.held === 0 || tupleArity(buf, at) !== 5) return;
    const tag = tupleBody(buf, at);
    if (atomAt(buf, tag) !== "DOWN") return;
    const refAt = termEnd(buf, tag);
    const typeAt = termEnd(buf, refAt);
    const objectAt = termEnd(buf, typeAt);
    const reasonAt = termEnd(buf, objectAt);
    let h = this.byRef.get(buf.toString("latin1", refAt, typeAt));
    if (!h || h.watcher !== proc) h = this.heldAtStart(buf, objectAt, reasonAt, proc);
    if (h) this.end(h, seq, END.down, this.interner.term(buf, reasonAt, termEnd(buf, reasonAt)));
  }

  /** A monitor of `proc` held since the start whose target is the `:DOWN`'s object. */
  private heldAtStart(buf: Buffer, at: number, end: number, proc: number): Held | undefined {
    const mine = this.byWatcher.get(proc);
    if (!mine) return undefined;
    const isPid = buf[at] === T.NEW_PID_EXT || buf[at] === T.PID_EXT;
    const target = isPid ? this.interner.proc(buf, at, end) : -1;
    const name = isPid ? undefined : tupleArity(buf, at) === 2 ? atomAt(buf, tupleBody(buf, at)) : undefined;
    for (const h of mine)
      if (h.seq < 0 && (isPid ? h.target === target : h.targetName !== null && h.targetName === name))
        return h;
    return undefined;
  }

  /** A process exited: the monitors it held end; those on it end at its `:DOWN`, or now if that is not recorded. */
  exited(seq: number, proc: number, reason: number): void {
    if (this.held === 0) return;
    for (const h of this.byWatcher.get(proc) ?? []) {
      if (h.downSeq >= 0) this.end(h, h.downSeq, END.down, h.downReason);
      else this.end(h, seq, END.watcher_exit, -1);
    }
    for (const h of this.byTarget.get(proc) ?? []) {
      if (this.messages) {
        h.downSeq = seq;
        h.downReason = reason;
      } else this.end(h, seq, END.down, reason);
    }
    this.pending.delete(proc);
  }

  /** Writes the monitors still held (those whose target exited end at that exit). */
  finish(): void {
    for (const set of this.byWatcher.values())
      for (const h of set) {
        if (h.downSeq >= 0) this.end(h, h.downSeq, END.down, h.downReason);
        else this.end(h, -1, END.held, -1);
      }
  }

  private hold(h: Held): void {
    if (h.key) this.byRef.set(h.key, h);
    add(this.byWatcher, h.watcher, h);
    if (h.target >= 0) add(this.byTarget, h.target, h);
    this.held++;
  }

  private end(h: Held, endSeq: number, ended: number, reason: number): void {
    if (h.key) this.byRef.delete(h.key);
    remove(this.byWatcher, h.watcher, h);
    if (h.target >= 0) remove(this.byTarget, h.target, h);
    this.held--;
    this.t.monitors.row(h.seq, h.watcher, h.target, h.targetName, h.ref, endSeq, ended, reason);
  }
}

function add(m: Map<number, Set<Held>>, k: number, h: Held): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(h);
}

function remove(m: Map<number, Set<Held>>, k: number, h: Held): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(h);
  if (s.size === 0) m.delete(k);
}

/** Where the elements of the proper list at `at` start (a `STRING_EXT` list of bytes has none that matter here). */
function listElements(buf: Buffer, at: number): number[] {
  if (buf[at] !== T.LIST_EXT) return [];
  const n = buf.readUInt32BE(at + 1);
  const out: number[] = [];
  let p = at + 5;
  for (let i = 0; i < n; i++) {
    out.push(p);
    p = termEnd(buf, p);
  }
  return out;
}
