/**
 * Reads the agent's event batches (`{events, Seq, [Event]}`, see docs/agent-protocol.md) without building
 * terms: for each trace message it finds the kind, the pid, the timestamp and the byte ranges of the other
 * elements, and hands them to a visitor in one reused `RawEvent`. Ingest decodes only what it correlates on
 * and stores the rest as the bytes they already are.
 */
import { EtfError } from "../etf/errors.js";
import { termEnd } from "../etf/skip.js";
import * as T from "../etf/tags.js";
import { K } from "../store/schema.js";
import { skipTerm } from "./quick-skip.js";

/** One trace message as byte ranges of the batch; valid only during the visitor's call. */
export interface RawEvent {
  /** `K.*`, or -1 for a trace message this version does not record. */
  kind: number;
  /** The process the event happened in. */
  pid: number;
  pidEnd: number;
  /** Nanoseconds since the recording's base time. */
  ns: number;
  /** Start and end of the elements after the kind (after the pid for `es_state`, after its timestamp). */
  a: number;
  aEnd: number;
  b: number;
  bEnd: number;
  c: number;
  cEnd: number;
}

const TRACE_KINDS: Record<string, number> = {
  call: K.call,
  return_from: K.return,
  exception_from: K.exception,
  send: K.send,
  send_to_non_existing_process: K.send_dead,
  receive: K.receive,
  spawn: K.spawn,
  spawned: K.spawned,
  exit: K.exit,
  link: K.link,
  unlink: K.unlink,
  getting_linked: K.getting_linked,
  getting_unlinked: K.getting_unlinked,
  register: K.register,
  unregister: K.unregister,
};

/** Tag atoms (`trace_ts`, `es_state`) are given these kinds, below any trace kind. */
const TRACE_TS = 100;
const ES_STATE = 101;

/** Atoms of the table are shorter than this. */
const MAX_ATOM = 64;

/**
 * Atoms looked up by their bytes, without making a string: candidates by length and first letter (an
 * array index), then compared byte by byte. Every trace message carries two (its tag and its kind), so this
 * is on the hot path.
 */
class AtomTable {
  /** Per length and first letter: the first candidate + 1 (0: none); `next` chains the others. */
  private readonly byShape = new Int32Array(MAX_ATOM * 256);
  private readonly next: number[] = [];
  private readonly names: Buffer[] = [];
  private readonly values: number[] = [];

  constructor(entries: Record<string, number>) {
    for (const [name, value] of Object.entries(entries)) {
      const bytes = Buffer.from(name, "latin1");
      const shape = bytes.length * 256 + bytes[0]!;
      this.names.push(bytes);
      this.values.push(value);
      this.next.push(this.byShape[shape]! - 1);
      this.byShape[shape] = this.names.length;
    }
  }

  /** The value of the atom whose tag is at `pos`, or -1. */
  lookup(buf: Buffer, pos: number): number {
    const tag = buf[pos];
    let at: number;
    let len: number;
    if (tag === T.SMALL_ATOM_UTF8_EXT || tag === T.SMALL_ATOM_EXT) {
      len = buf[pos + 1]!;
      at = pos + 2;
    } else if (tag === T.ATOM_EXT || tag === T.ATOM_UTF8_EXT) {
      len = buf.readUInt16BE(pos + 1);
      at = pos + 3;
    } else return -1;
    if (len >= MAX_ATOM || len === 0) return -1;
    next: for (let c = this.byShape[len * 256 + buf[at]!]! - 1; c >= 0; c = this.next[c]!) {
      const bytes = this.names[c]!;
      for (let i = 1; i < len; i++) if (buf[at + i] !== bytes[i]) continue next;
      return this.values[c]!;
    }
    return -1;
  }
}

const ATOMS = new AtomTable({ ...TRACE_KINDS, trace_ts: TRACE_TS, es_state: ES_STATE });

/** A monotonic timestamp as sign, high and low 32 bits, so that differences stay exact in doubles. */
export interface Clock {
  negative: boolean;
  hi: number;
  lo: number;
}

export function clockOf(ns: bigint): Clock {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  return { negative, hi: Number(abs >> 32n), lo: Number(abs & 0xffffffffn) };
}

/** The atom whose tag is at `pos`, as a string (latin1 or UTF-8), or undefined if it is not an atom. */
export function atomAt(buf: Buffer, pos: number): string | undefined {
  switch (buf[pos]) {
    case T.SMALL_ATOM_UTF8_EXT:
      return buf.toString("utf8", pos + 2, pos + 2 + buf[pos + 1]!);
    case T.SMALL_ATOM_EXT:
      return buf.toString("latin1", pos + 2, pos + 2 + buf[pos + 1]!);
    case T.ATOM_UTF8_EXT:
      return buf.toString("utf8", pos + 3, pos + 3 + buf.readUInt16BE(pos + 1));
    case T.ATOM_EXT:
      return buf.toString("latin1", pos + 3, pos + 3 + buf.readUInt16BE(pos + 1));
    default:
      return undefined;
  }
}

/** The bytes of an ASCII atom's name, for `isAtomAt`. */
export function atomName(name: string): Uint8Array {
  return Buffer.from(name, "latin1");
}

/** Whether the term at `pos` is the ASCII atom whose name is `name` (from `atomName`), without making a string. */
export function isAtomAt(buf: Buffer, pos: number, name: Uint8Array): boolean {
  const tag = buf[pos];
  let at: number;
  let len: number;
  if (tag === T.SMALL_ATOM_UTF8_EXT || tag === T.SMALL_ATOM_EXT) {
    len = buf[pos + 1]!;
    at = pos + 2;
  } else if (tag === T.ATOM_EXT || tag === T.ATOM_UTF8_EXT) {
    len = (buf[pos + 1]! << 8) | buf[pos + 2]!;
    at = pos + 3;
  } else return false;
  if (len !== name.length || at + len > buf.length) return false;
  for (let i = 0; i < len; i++) if (buf[at + i] !== name[i]) return false;
  return true;
}

/** `termEnd` of the term at `pos`, quicker for a small atom (tags, kinds, modules, functions). */
export function atomEnd(buf: Buffer, pos: number): number {
  const tag = buf[pos];
  if (tag === T.SMALL_ATOM_UTF8_EXT || tag === T.SMALL_ATOM_EXT) {
    const end = pos + 2 + buf[pos + 1]!;
    if (end <= buf.length) return end;
  }
  return termEnd(buf, pos);
}

/** `termEnd` of the term at `pos`, quicker for a NEW_PID_EXT whose node is a small atom. */
function pidEnd(buf: Buffer, pos: number): number {
  const node = buf[pos + 1];
  if (buf[pos] === T.NEW_PID_EXT && (node === T.SMALL_ATOM_UTF8_EXT || node === T.SMALL_ATOM_EXT)) {
    const end = pos + 15 + buf[pos + 2]!;
    if (end <= buf.length) return end;
  }
  return termEnd(buf, pos);
}

/** `termEnd` of the term at `pos`, quicker for a SMALL_BIG_EXT (timestamps). */
function bigEnd(buf: Buffer, pos: number): number {
  if (buf[pos] === T.SMALL_BIG_EXT) {
    const end = pos + 3 + buf[pos + 1]!;
    if (end <= buf.length) return end;
  }
  return termEnd(buf, pos);
}

/** The arity of the tuple whose tag is at `pos`, or -1 if it is not a tuple; `tupleBody` is where its elements start. */
export function tupleArity(buf: Buffer, pos: number): number {
  if (buf[pos] === T.SMALL_TUPLE_EXT) return buf[pos + 1]!;
  if (buf[pos] === T.LARGE_TUPLE_EXT) return buf.readUInt32BE(pos + 1);
  return -1;
}

export function tupleBody(buf: Buffer, pos: number): number {
  return buf[pos] === T.SMALL_TUPLE_EXT ? pos + 2 : pos + 5;
}

/** An integer term at `pos` as a number (exact up to 2^53), or undefined. */
export function intAt(buf: Buffer, pos: number): number | undefined {
  switch (buf[pos]) {
    case T.SMALL_INTEGER_EXT:
      return buf[pos + 1]!;
    case T.INTEGER_EXT:
      return buf.readInt32BE(pos + 1);
    case T.SMALL_BIG_EXT: {
      const n = buf[pos + 1]!;
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[pos + 3 + i]!;
      return buf[pos + 2] ? -v : v;
    }
    default:
      return undefined;
  }
}

/** Nanoseconds from `base` to the integer timestamp at `pos`, exact while under 2^53 apart. */
function nsSince(buf: Buffer, pos: number, base: Clock): number {
  const tag = buf[pos];
  if (tag === T.SMALL_BIG_EXT && buf[pos + 1]! <= 8) {
    const n = buf[pos + 1]!;
    const negative = buf[pos + 2] !== 0;
    let lo = 0;
    let hi = 0;
    for (let i = Math.min(n, 4) - 1; i >= 0; i--) lo = lo * 256 + buf[pos + 3 + i]!;
    for (let i = n - 1; i >= 4; i--) hi = hi * 256 + buf[pos + 3 + i]!;
    if (negative === base.negative) {
      const d = (hi - base.hi) * 4294967296 + (lo - base.lo);
      return negative ? -d : d;
    }
    const v = hi * 4294967296 + lo;
    const b = base.hi * 4294967296 + base.lo;
    return (negative ? -v : v) - (base.negative ? -b : b);
  }
  const v = intAt(buf, pos);
  if (v === undefined) throw new EtfError(pos, "a trace timestamp is not an integer");
  const b = base.hi * 4294967296 + base.lo;
  return v - (base.negative ? -b : b);
}

/**
 * Calls `visit` for each event of the list whose `LIST_EXT` tag is at `listAt` in `buf`. Returns the number of
 * events visited. Throws `EtfError` on bytes that are not such a list.
 */
export function scanEvents(buf: Buffer, listAt: number, base: Clock, visit: (e: RawEvent) => void): number {
  const e: RawEvent = { kind: -1, pid: 0, pidEnd: 0, ns: 0, a: 0, aEnd: 0, b: 0, bEnd: 0, c: 0, cEnd: 0 };
  if (buf[listAt] === T.NIL_EXT) return 0;
  if (buf[listAt] !== T.LIST_EXT) throw new EtfError(listAt, "the events are not a list");
  const count = buf.readUInt32BE(listAt + 1);
  let pos = listAt + 5;
  for (let i = 0; i < count; i++) {
    const arity = tupleArity(buf, pos);
    if (arity < 5) {
      pos = termEnd(buf, pos);
      continue;
    }
    let p = tupleBody(buf, pos);
    const tag = ATOMS.lookup(buf, p);
    p = atomEnd(buf, p);
    e.pid = p;
    e.pidEnd = p = pidEnd(buf, p);
    e.a = e.aEnd = e.b = e.bEnd = e.c = e.cEnd = 0;
    if (tag === TRACE_TS && arity <= 6) {
      const kind = ATOMS.lookup(buf, p);
      e.kind = kind < TRACE_TS ? kind : -1;
      p = atomEnd(buf, p);
      // Elements after the kind: one or two terms, then the timestamp last.
      e.a = p;
      e.aEnd = p = skipTerm(buf, p);
      if (arity === 6) {
        e.b = p;
        e.bEnd = p = skipTerm(buf, p);
      }
      e.ns = nsSince(buf, p, base);
      pos = bigEnd(buf, p);
    } else if (tag === ES_STATE && arity === 6) {
      e.kind = K.state;
      e.ns = nsSince(buf, p, base);
      p = bigEnd(buf, p);
      e.a = p;
      e.aEnd = p = skipTerm(buf, p);
      e.b = p;
      e.bEnd = p = skipTerm(buf, p);
      e.c = p;
      e.cEnd = pos = skipTerm(buf, p);
    } else {
      e.kind = -1;
      pos = termEnd(buf, pos);
    }
    visit(e);
  }
  return count;
}
