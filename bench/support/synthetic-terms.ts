/**
 * The building blocks of the synthetic workload (`synthetic-workload.ts`): a seeded random number
 * generator, the node's pids and references, and one constructor per trace message the agent sends
 * (docs/agent-protocol.md, "Events"), as `Term`s that `src/etf` encodes exactly like `term_to_binary`.
 */
import { atom, Pid, Reference, tuple, type Atom, type Term, type Tuple } from "../../src/etf/terms.js";

/** Mulberry32: a small, fast, seeded generator; the same seed gives the same workload. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

export const NODE = "bench@localhost";
const NODE_ATOM = atom(NODE);
const CREATION = 1_733_000_000;

export function pid(id: number): Pid {
  return new Pid(NODE_ATOM, id, 0, CREATION);
}

export function ref(n: number): Reference {
  return new Reference(NODE_ATOM, CREATION, [n & 0x3ffff, (n >>> 18) + 1, 0x5eed]);
}

const TRACE_TS = atom("trace_ts");
const ES_STATE = atom("es_state");
const CALL = atom("call");
const RETURN_FROM = atom("return_from");
const SEND = atom("send");
const SEND_DEAD = atom("send_to_non_existing_process");
const RECEIVE = atom("receive");
const SPAWN = atom("spawn");
const SPAWNED = atom("spawned");
const EXIT = atom("exit");
const REGISTER = atom("register");

/** The trace messages, in the shapes the VM sends them with the `monotonic_timestamp` flag. */
export const ev = {
  call: (p: Pid, mfa: Tuple, ts: bigint): Tuple => tuple(TRACE_TS, p, CALL, mfa, ts),
  ret: (p: Pid, mfa: Tuple, value: Term, ts: bigint): Tuple =>
    tuple(TRACE_TS, p, RETURN_FROM, mfa, value, ts),
  send: (p: Pid, msg: Term, to: Term, ts: bigint): Tuple => tuple(TRACE_TS, p, SEND, msg, to, ts),
  sendDead: (p: Pid, msg: Term, to: Term, ts: bigint): Tuple => tuple(TRACE_TS, p, SEND_DEAD, msg, to, ts),
  receive: (p: Pid, msg: Term, ts: bigint): Tuple => tuple(TRACE_TS, p, RECEIVE, msg, ts),
  spawn: (p: Pid, child: Pid, mfa: Tuple, ts: bigint): Tuple => tuple(TRACE_TS, p, SPAWN, child, mfa, ts),
  spawned: (p: Pid, parent: Pid, mfa: Tuple, ts: bigint): Tuple =>
    tuple(TRACE_TS, p, SPAWNED, parent, mfa, ts),
  exit: (p: Pid, reason: Term, ts: bigint): Tuple => tuple(TRACE_TS, p, EXIT, reason, ts),
  /** `link`, `getting_linked`, `unlink`, `getting_unlinked`. */
  linkish: (p: Pid, kind: Atom, other: Pid, ts: bigint): Tuple => tuple(TRACE_TS, p, kind, other, ts),
  register: (p: Pid, name: Atom, ts: bigint): Tuple => tuple(TRACE_TS, p, REGISTER, name, ts),
  /** `{es_state, Pid, Ns, Trigger, Reply | none, StateAfter}`. */
  state: (p: Pid, ts: bigint, trigger: Term, reply: Term, after: Term): Tuple =>
    tuple(ES_STATE, p, ts, trigger, reply, after),
};

/** `{M, F, Arity}` tuples, made once per function. */
const mfas = new Map<string, Tuple>();
export function mfa(module: string, fun: string, arity: number): Tuple {
  const key = `${module}:${fun}/${arity}`;
  let t = mfas.get(key);
  if (!t) mfas.set(key, (t = tuple(atom(module), atom(fun), arity)));
  return t;
}
