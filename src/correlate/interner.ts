/**
 * Gives every distinct term, function and process of a recording a small number, and writes each one to
 * its table the first time it is seen, so that an event row holds numbers only and a term sent a thousand
 * times is stored once. Terms are told apart by their encoded bytes (equal terms encode alike).
 *
 * The term table is bounded: past `maxTerms` distinct terms it starts over, so memory stays flat on long
 * recordings; a term seen again after that is stored again under a new number, which costs space, not
 * correctness. Terms and functions are looked up by their bytes (`byte-table.ts`), without making strings.
 */
import { decodeBody } from "../etf/decode.js";
import { formatPid } from "../etf/format.js";
import { Pid, Port, type Term } from "../etf/terms.js";
import { formatMfa } from "../query/names.js";
import { atomAt } from "./scan.js";
import { ByteTable, hashBytes } from "./byte-table.js";
import { TermTable } from "./term-table.js";
import { NEW_PID_EXT } from "../etf/tags.js";
import type { Tables } from "../store/writer.js";

/**
 * Terms up to this size are stored once however often they occur (messages, arguments, replies); larger ones
 * (states, big payloads) are rarely repeated whole, and looking them up would cost more than it saves.
 */
const DEDUP_MAX_BYTES = 256;

export interface ProcRecord {
  id: number;
  pid: Pid | Port;
  text: string;
}

export class Interner {
  /** Terms by their bytes, shared with ingest's message keys (see term-table.ts). */
  readonly table = new TermTable();
  private nextTerm = 0;
  private readonly mfas = new Map<string, number>();
  /** Functions by the bytes of their module and function atoms, the arity as the tag. */
  private readonly mfaBytes = new ByteTable();
  readonly mfaNames: string[] = [];
  readonly mfaParts: { module: string; fun: string; arity: number }[] = [];
  private readonly procIds = new Map<string, number>();
  private readonly procCanonical = new Map<string, number>();
  /** Pids of the node seen first (almost always the recorded node), by ID and serial. */
  private readonly localPids = new Map<number, number>();
  /** The same for serial 0 and IDs below 2^24, the usual case: the proc + 1 at index ID (0: not yet seen). */
  private localById = new Int32Array(1024);
  private nodeBytes: Buffer = Buffer.alloc(0);
  private nodeLen = 0;
  readonly procs: ProcRecord[] = [];

  constructor(
    private readonly tables: Tables,
    private readonly localNode: string,
    private readonly maxTerms = 65_536,
  ) {}

  /** The number of the term encoded in `buf[start, end)`. */
  term(buf: Buffer, start: number, end: number): number {
    if (end - start > DEDUP_MAX_BYTES) return this.store(buf, start, end);
    return this.termHashed(buf, start, end, hashBytes(buf, start, end));
  }

  /** Counts the term table's fresh starts: a number got in the same generation still stands for its bytes. */
  get generation(): number {
    return this.table.generation;
  }

  /** `term`, for a caller that has the bytes' `hashBytes` already (it compares messages by them too). */
  termHashed(buf: Buffer, start: number, end: number, hash: number): number {
    if (end - start > DEDUP_MAX_BYTES) return this.store(buf, start, end);
    const e = this.table.find(buf, start, end, hash);
    return e >= 0 ? this.termOfEntry(e, buf, start, end) : this.intern(-1, buf, start, end, hash);
  }

  /** `term`, for a caller that has the bytes' entry `e` in `table` already (a message's key). */
  termOfEntry(e: number, buf: Buffer, start: number, end: number): number {
    if (end - start > DEDUP_MAX_BYTES) return this.store(buf, start, end);
    const t = this.table;
    return t.isInterned(e) ? t.term(e, t.generation) : this.intern(e, buf, start, end, 0);
  }

  /**
   * Stores the term under a new number and interns its entry `e` (-1: added, with `hash`); past `maxTerms`
   * numbers in this generation, a new generation starts first.
   */
  private intern(e: number, buf: Buffer, start: number, end: number, hash: number): number {
    const t = this.table;
    if (t.interned >= this.maxTerms) t.newGeneration(e);
    const id = this.store(buf, start, end);
    const entry = e >= 0 ? e : t.add(buf, start, end, hash);
    t.intern(entry, id);
    return id;
  }

  /** Stores a term under a new number, without looking for an equal one (states, large terms). */
  store(buf: Buffer, start: number, end: number): number {
    const id = this.nextTerm++;
    const t = this.tables.terms;
    t.put(0, id);
    t.putBytes(1, buf, start, end, 131);
    t.end();
    return id;
  }

  /** The number of a term given as a value (states rebuilt at checkpoints). */
  termOf(bytes: Buffer): number {
    return this.store(bytes, 1, bytes.length);
  }

  /** The number of `{M, F, A}` given as its atoms' positions (the function's atom ends at `funEnd`) and the arity. */
  mfa(buf: Buffer, modAt: number, funAt: number, funEnd: number, arity: number): number {
    const hash = hashBytes(buf, modAt, funEnd) ^ arity;
    const e = this.mfaBytes.find(buf, modAt, funEnd, hash, arity);
    if (e >= 0) return this.mfaBytes.value(e);
    const id = this.mfaByName(atomAt(buf, modAt) ?? "?", atomAt(buf, funAt) ?? "?", arity);
    this.mfaBytes.insert(buf, modAt, funEnd, hash, id, arity);
    return id;
  }

  mfaByName(module: string, fun: string, arity: number): number {
    const key = `${module}\u0000${fun}\u0000${arity}`;
    let id = this.mfas.get(key);
    if (id === undefined) {
      id = this.mfaNames.length;
      const name = formatMfa(module, fun, arity);
      this.mfas.set(key, id);
      this.mfaNames.push(name);
      this.mfaParts.push({ module, fun, arity });
      this.tables.mfas.row(id, module, fun, arity, name);
    }
    return id;
  }

  /** The number of the pid (or port) encoded in `buf[start, end)`, or -1 if the bytes are neither. */
  proc(buf: Buffer, start: number, end: number): number {
    // The usual case, a NEW_PID_EXT of the node seen last: a number made of its ID and serial is the key.
    if (buf[start] === NEW_PID_EXT && end - start === this.nodeLen + 13 && this.sameNode(buf, start + 1)) {
      const id =
        ((buf[end - 12]! << 24) | (buf[end - 11]! << 16) | (buf[end - 10]! << 8) | buf[end - 9]!) >>> 0;
      const serial =
        ((buf[end - 8]! << 24) | (buf[end - 7]! << 16) | (buf[end - 6]! << 8) | buf[end - 5]!) >>> 0;
      if (serial === 0 && id < 0x1000000) {
        if (id < this.localById.length && this.localById[id]! > 0) return this.localById[id]! - 1;
        const proc = this.procByKey(buf, start, end);
        if (proc >= 0) this.rememberLocal(id, proc);
        return proc;
      }
      if (serial < 0x200000) {
        const key = serial * 4294967296 + id;
        const known = this.localPids.get(key);
        if (known !== undefined) return known;
        const proc = this.procByKey(buf, start, end);
        if (proc >= 0) this.localPids.set(key, proc);
        return proc;
      }
    }
    if (buf[start] === NEW_PID_EXT) this.rememberNode(buf, start + 1, end - 12);
    return this.procByKey(buf, start, end);
  }

  private rememberLocal(id: number, proc: number): void {
    if (id >= this.localById.length) {
      let n = this.localById.length;
      while (n <= id) n *= 2;
      const bigger = new Int32Array(n);
      bigger.set(this.localById);
      this.localById = bigger;
    }
    this.localById[id] = proc + 1;
  }

  private sameNode(buf: Buffer, at: number): boolean {
    const n = this.nodeBytes;
    if (n.length === 0) return false;
    for (let i = 0; i < n.length; i++) if (buf[at + i] !== n[i]) return false;
    return true;
  }

  private rememberNode(buf: Buffer, at: number, end: number): void {
    if (this.nodeBytes.length === 0) {
      this.nodeBytes = Buffer.from(buf.subarray(at, end));
      this.nodeLen = this.nodeBytes.length;
    }
  }

  private procByKey(buf: Buffer, start: number, end: number): number {
    const key = buf.toString("latin1", start, end);
    let id = this.procIds.get(key);
    if (id === undefined) {
      const pid = decodeBody(buf, start).term as Term;
      if (!(pid instanceof Pid) && !(pid instanceof Port)) return -1;
      id = this.procOf(pid);
      this.procIds.set(key, id);
    }
    return id;
  }

  /**
   * The number of a pid or port given as a term. The same pid can be encoded in more than one way (atom
   * encodings differ between OTP releases and our own encoder), so identity is by node, numbers and creation.
   */
  procOf(pid: Pid | Port): number {
    const key =
      pid instanceof Pid
        ? `${pid.node.name}|${pid.id}|${pid.serial}|${pid.creation}`
        : `port|${pid.toString()}|${pid.creation}`;
    let id = this.procCanonical.get(key);
    if (id === undefined) {
      id = this.procs.length;
      const text =
        pid instanceof Pid ? formatPid(pid, { syntax: "erlang", localNode: this.localNode }) : pid.toString();
      this.procCanonical.set(key, id);
      this.procs.push({ id, pid, text });
      this.tables.procs.row(id, text, pid.node.name);
    }
    return id;
  }
}
