/**
 * Encoder for the Erlang External Term Format: turns a `Term` (see `./terms.ts`) into bytes that
 * `binary_to_term` on a node, or the distribution layer, accepts.
 *
 * Each term has exactly one encoding here, the one a current node would produce: atoms as UTF-8
 * (`SMALL_ATOM_UTF8_EXT`, or `ATOM_UTF8_EXT` past 255 bytes), integers in the smallest of
 * `SMALL_INTEGER_EXT`/`INTEGER_EXT`/`SMALL_BIG_EXT`/`LARGE_BIG_EXT`, floats as `NEW_FLOAT_EXT`, lists of at
 * most 65535 bytes as `STRING_EXT`, pids, ports and references in their `NEW_`/`NEWER_`/`V4_` forms.
 *
 * A JS number that is not an integer is encoded as a float; an integer-valued number outside the safe range
 * (say `1e300`) as the integer it exactly is. Values that are not terms (strings, booleans, null, plain
 * objects, NaN and infinities) throw a TypeError saying what to use instead.
 */
import { deflateSync } from "node:zlib";

import {
  ATOM_UTF8_EXT,
  BINARY_EXT,
  BIT_BINARY_EXT,
  COMPRESSED,
  EXPORT_EXT,
  INTEGER_EXT,
  LARGE_BIG_EXT,
  LARGE_TUPLE_EXT,
  LIST_EXT,
  MAP_EXT,
  NEW_FLOAT_EXT,
  NEW_FUN_EXT,
  NEW_PID_EXT,
  NEW_PORT_EXT,
  NEWER_REFERENCE_EXT,
  NIL_EXT,
  SMALL_ATOM_UTF8_EXT,
  SMALL_BIG_EXT,
  SMALL_INTEGER_EXT,
  SMALL_TUPLE_EXT,
  STRING_EXT,
  V4_PORT_EXT,
  VERSION_MAGIC,
} from "./tags.js";
import {
  Atom,
  BitBinary,
  ErlFloat,
  ErlMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Reference,
  Tuple,
  type Term,
} from "./terms.js";

export interface EncodeOptions {
  /** Compress like `term_to_binary(T, [compressed])`: `true` is zlib level 6, a number is the level (0-9). */
  compressed?: boolean | number;
}

/** Terms nested deeper than this are refused (most likely a cyclic JS structure). */
const MAX_ENCODE_DEPTH = 2000;
const MAX_ATOM_CHARS = 255;

/** Each atom's encoding, computed once (atoms are interned, so this is bounded by the atom table). */
const atomBytes = new Map<Atom, Buffer>();

function encodedAtom(a: Atom): Buffer {
  let bytes = atomBytes.get(a);
  if (bytes === undefined) {
    const name = Buffer.from(a.name, "utf8");
    const chars = Array.from(a.name).length;
    if (chars > MAX_ATOM_CHARS) {
      throw new TypeError(`atom of ${chars} characters is not a term: atoms have at most ${MAX_ATOM_CHARS}`);
    }
    if (name.length <= 255) {
      bytes = Buffer.concat([Buffer.from([SMALL_ATOM_UTF8_EXT, name.length]), name]);
    } else {
      bytes = Buffer.concat([Buffer.from([ATOM_UTF8_EXT, name.length >> 8, name.length & 0xff]), name]);
    }
    atomBytes.set(a, bytes);
  }
  return bytes;
}

function describe(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 40 ? JSON.stringify(value.slice(0, 40)) + "..." : JSON.stringify(value);
    return `a JS string (${shown})`;
  }
  if (value === null) return "null";
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name === undefined || name === "Object" ? "a plain object" : `a ${name}`;
  }
  return `${typeof value} ${String(value)}`;
}

/** The TypeError for a value that is not a Term, with what to use instead. */
export function notATerm(value: unknown): TypeError {
  let advice: string;
  if (typeof value === "string") {
    const q = JSON.stringify(value.length > 20 ? value.slice(0, 20) + "..." : value);
    advice = `JS strings are not terms: use binary(${q}) for an Elixir string, charlist(${q}) for an Erlang string, or atom(${q})`;
  } else if (typeof value === "boolean") {
    advice = `JS booleans are not terms: use atom("${value}") (or TRUE/FALSE from terms.ts)`;
  } else if (value === null || value === undefined) {
    advice = `${value} is not a term: use atom("nil") or atom("undefined") if that is what you mean`;
  } else if (typeof value === "number") {
    advice = `${value} is not a term: Erlang floats are finite (no NaN or infinities)`;
  } else if (value instanceof Map) {
    advice = "JS Maps are not terms: use new ErlMap([[key, value], ...])";
  } else if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    advice =
      "plain objects are not terms: use mapOf({ key: value }) for a map with atom keys, or new ErlMap(...)";
  } else if (ArrayBuffer.isView(value)) {
    advice = `${describe(value)} is not a term: binaries are Uint8Array (or Buffer)`;
  } else {
    advice = `${describe(value)} is not a term`;
  }
  return new TypeError(advice);
}

function u32Field(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new TypeError(`${what} must be an integer from 0 to 4294967295, got ${String(value)}`);
  }
  return value;
}

function int32Field(value: number, what: string): number {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new TypeError(`${what} must be a 32-bit integer, got ${String(value)}`);
  }
  return value;
}

/**
 * A reusable, growable output buffer for encoded terms. The distribution layer writes a header and then
 * several terms (control message, payload) into one frame with it.
 */
export class TermEncoder {
  private buf: Buffer;
  private pos = 0;
  private depth = 0;

  constructor(initialCapacity = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Size of the current buffer. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Forgets what was written (the buffer is kept for reuse). */
  reset(): this {
    this.pos = 0;
    this.depth = 0;
    return this;
  }

  /** The bytes written so far, as a view that the next write or reset may overwrite. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far; then resets. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.reset();
    return out;
  }

  /** Writes the terms one after another, without version bytes, and returns a copy (resetting first). */
  encodeBodies(terms: readonly Term[]): Buffer {
    this.reset();
    for (const t of terms) this.write(t);
    return this.take();
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.pos + n) size *= 2;
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
  }

  writeByte(b: number): this {
    this.ensure(1);
    this.buf[this.pos++] = b;
    return this;
  }

  writeUInt32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  writeBytes(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Overwrites 4 bytes at `offset` (for a length field written before what it measures). */
  patchUInt32(offset: number, v: number): this {
    this.buf.writeUInt32BE(v, offset);
    return this;
  }

  /** Appends one term, without a version byte. On a TypeError the buffer is left partly written. */
  write(term: Term): this {
    this.depth = 0;
    try {
      this.term(term);
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        throw new TypeError("term nested too deeply for the JS stack (is it a cyclic JS structure?)");
      }
      throw e;
    }
    return this;
  }

  private term(t: Term): void {
    switch (typeof t) {
      case "number":
        return this.number(t);
      case "bigint":
        return this.bigint(t);
      case "object":
        break;
      default:
        throw notATerm(t);
    }
    if (t instanceof Atom) return this.atom(t);
    if (t === null) throw notATerm(t);
    if (++this.depth > MAX_ENCODE_DEPTH) {
      throw new TypeError(`term nested more than ${MAX_ENCODE_DEPTH} deep (is it a cyclic JS structure?)`);
    }
    if (t instanceof Tuple) this.tuple(t.elements);
    else if (Array.isArray(t)) this.list(t);
    else if (t instanceof Uint8Array) this.binary(t);
    else if (t instanceof Pid) this.pid(t);
    else if (t instanceof ErlFloat) this.float(t.value);
    else if (t instanceof ErlMap) this.map(t);
    else if (t instanceof ImproperList) this.improperList(t);
    else if (t instanceof BitBinary) this.bitBinary(t);
    else if (t instanceof Reference) this.reference(t);
    else if (t instanceof Port) this.port(t);
    else if (t instanceof ExportFun) this.exportFun(t);
    else if (t instanceof LocalFun) this.localFun(t);
    else throw notATerm(t);
    this.depth--;
  }

  private atom(a: Atom): void {
    const bytes = encodedAtom(a);
    const n = bytes.length;
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = bytes[i]!;
    this.pos = pos;
  }

  private number(n: number): void {
    if (Number.isInteger(n)) {
      if (n >= 0 && n <= 255) {
        this.ensure(2);
        this.buf[this.pos] = SMALL_INTEGER_EXT;
        this.buf[this.pos + 1] = n;
        this.pos += 2;
      } else if (n >= -0x80000000 && n <= 0x7fffffff) {
        this.ensure(5);
        this.buf[this.pos] = INTEGER_EXT;
        this.buf.writeInt32BE(n, this.pos + 1);
        this.pos += 5;
      } else if (Number.isSafeInteger(n)) {
        // At most 7 digit bytes, computed without BigInt.
        this.ensure(10);
        const buf = this.buf;
        const start = this.pos;
        let v = Math.abs(n);
        let count = 0;
        while (v > 0) {
          const digit = v % 256;
          buf[start + 3 + count++] = digit;
          v = (v - digit) / 256;
        }
        buf[start] = SMALL_BIG_EXT;
        buf[start + 1] = count;
        buf[start + 2] = n < 0 ? 1 : 0;
        this.pos = start + 3 + count;
      } else {
        this.bigint(BigInt(n));
      }
    } else if (Number.isFinite(n)) {
      this.float(n);
    } else {
      throw notATerm(n);
    }
  }

  private bigint(b: bigint): void {
    if (b >= -0x80000000n && b <= 0x7fffffffn) return this.number(Number(b));
    const negative = b < 0n;
    let hex = (negative ? -b : b).toString(16);
    if (hex.length % 2 === 1) hex = "0" + hex;
    const n = hex.length / 2;
    const header = n <= 255 ? 3 : 6;
    this.ensure(header + n);
    const buf = this.buf;
    let pos = this.pos;
    if (n <= 255) {
      buf[pos++] = SMALL_BIG_EXT;
      buf[pos++] = n;
    } else {
      buf[pos++] = LARGE_BIG_EXT;
      buf.writeUInt32BE(n, pos);
      pos += 4;
    }
    buf[pos++] = negative ? 1 : 0;
    // Little-endian digits: the last hex pair first.
    for (let i = hex.length - 2; i >= 0; i -= 2) buf[pos++] = parseInt(hex.slice(i, i + 2), 16);
    this.pos = pos;
  }

  private float(v: number): void {
    if (!Number.isFinite(v)) throw notATerm(v);
    this.ensure(9);
    this.buf[this.pos] = NEW_FLOAT_EXT;
    this.buf.writeDoubleBE(v, this.pos + 1);
    this.pos += 9;
  }

  private tuple(elements: Term[]): void {
    const n = elements.length;
    if (n <= 255) {
      this.ensure(2);
      this.buf[this.pos] = SMALL_TUPLE_EXT;
      this.buf[this.pos + 1] = n;
      this.pos += 2;
    } else {
      this.ensure(5);
      this.buf[this.pos] = LARGE_TUPLE_EXT;
      this.buf.writeUInt32BE(n, this.pos + 1);
      this.pos += 5;
    }
    for (let i = 0; i < n; i++) this.term(elements[i]!);
  }

  private list(items: Term[]): void {
    const n = items.length;
    if (n === 0) {
      this.writeByte(NIL_EXT);
      return;
    }
    if (n <= 65535 && isByteList(items)) {
      this.ensure(3 + n);
      const buf = this.buf;
      let pos = this.pos;
      buf[pos++] = STRING_EXT;
      buf[pos++] = n >> 8;
      buf[pos++] = n & 0xff;
      for (let i = 0; i < n; i++) buf[pos++] = items[i] as number;
      this.pos = pos;
      return;
    }
    this.listHeader(n);
    for (let i = 0; i < n; i++) this.term(items[i]!);
    this.writeByte(NIL_EXT);
  }

  private listHeader(n: number): void {
    this.ensure(5);
    this.buf[this.pos] = LIST_EXT;
    this.buf.writeUInt32BE(n, this.pos + 1);
    this.pos += 5;
  }

  private improperList(l: ImproperList): void {
    const n = l.elements.length;
    if (n === 0) return this.term(l.tail);
    this.listHeader(n);
    for (let i = 0; i < n; i++) this.term(l.elements[i]!);
    this.term(l.tail);
  }

  private binary(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(5 + n);
    this.buf[this.pos] = BINARY_EXT;
    this.buf.writeUInt32BE(n, this.pos + 1);
    this.buf.set(bytes, this.pos + 5);
    this.pos += 5 + n;
  }

  private bitBinary(b: BitBinary): void {
    const n = b.bytes.length;
    const bits = b.bits;
    if (!Number.isInteger(bits) || bits < 1 || bits > 8) {
      throw new TypeError(`BitBinary bits must be 1 to 8 (bits used in the last byte), got ${String(bits)}`);
    }
    if (n === 0 || bits === 8) return this.binary(b.bytes);
    this.ensure(6 + n);
    const buf = this.buf;
    buf[this.pos] = BIT_BINARY_EXT;
    buf.writeUInt32BE(n, this.pos + 1);
    buf[this.pos + 5] = bits;
    buf.set(b.bytes, this.pos + 6);
    // The unused low bits of the last byte are zero in Erlang's encoding.
    buf[this.pos + 5 + n] = b.bytes[n - 1]! & ((0xff << (8 - bits)) & 0xff);
    this.pos += 6 + n;
  }

  private map(m: ErlMap): void {
    const entries = m.entries;
    this.ensure(5);
    this.buf[this.pos] = MAP_EXT;
    this.buf.writeUInt32BE(entries.length, this.pos + 1);
    this.pos += 5;
    for (const [k, v] of entries) {
      this.term(k);
      this.term(v);
    }
  }

  private pid(p: Pid): void {
    this.writeByte(NEW_PID_EXT);
    this.atom(p.node);
    this.ensure(12);
    this.buf.writeUInt32BE(u32Field(p.id, "Pid id"), this.pos);
    this.buf.writeUInt32BE(u32Field(p.serial, "Pid serial"), this.pos + 4);
    this.buf.writeUInt32BE(u32Field(p.creation, "Pid creation"), this.pos + 8);
    this.pos += 12;
  }

  private port(p: Port): void {
    const id = p.id;
    if (typeof id !== "bigint" || id < 0n || id > 0xffffffffffffffffn) {
      throw new TypeError(`Port id must be a bigint from 0 to 2^64-1, got ${String(id)}`);
    }
    const v4 = id > 0xffffffffn;
    this.writeByte(v4 ? V4_PORT_EXT : NEW_PORT_EXT);
    this.atom(p.node);
    this.ensure(12);
    if (v4) {
      this.buf.writeBigUInt64BE(id, this.pos);
      this.pos += 8;
    } else {
      this.buf.writeUInt32BE(Number(id), this.pos);
      this.pos += 4;
    }
    this.buf.writeUInt32BE(u32Field(p.creation, "Port creation"), this.pos);
    this.pos += 4;
  }

  private reference(r: Reference): void {
    const n = r.ids.length;
    if (n < 1 || n > 5) throw new TypeError(`Reference must have 1 to 5 ID words, got ${n}`);
    this.ensure(3);
    this.buf[this.pos] = NEWER_REFERENCE_EXT;
    this.buf.writeUInt16BE(n, this.pos + 1);
    this.pos += 3;
    this.atom(r.node);
    this.ensure(4 + 4 * n);
    this.buf.writeUInt32BE(u32Field(r.creation, "Reference creation"), this.pos);
    for (let i = 0; i < n; i++)
      this.buf.writeUInt32BE(u32Field(r.ids[i]!, "Reference ID word"), this.pos + 4 + 4 * i);
    this.pos += 4 + 4 * n;
  }

  private exportFun(f: ExportFun): void {
    if (!Number.isInteger(f.arity) || f.arity < 0 || f.arity > 255) {
      throw new TypeError(`ExportFun arity must be 0 to 255, got ${String(f.arity)}`);
    }
    this.writeByte(EXPORT_EXT);
    this.atom(f.module);
    this.atom(f.fun);
    this.ensure(2);
    this.buf[this.pos] = SMALL_INTEGER_EXT;
    this.buf[this.pos + 1] = f.arity;
    this.pos += 2;
  }

  private localFun(f: LocalFun): void {
    if (f.uniq.length !== 16)
      throw new TypeError(`LocalFun uniq must be 16 bytes (an MD5), got ${f.uniq.length}`);
    if (!Number.isInteger(f.arity) || f.arity < 0 || f.arity > 255) {
      throw new TypeError(`LocalFun arity must be 0 to 255, got ${String(f.arity)}`);
    }
    this.ensure(30);
    const start = this.pos;
    const buf = this.buf;
    buf[start] = NEW_FUN_EXT;
    buf[start + 5] = f.arity;
    buf.set(f.uniq, start + 6);
    buf.writeUInt32BE(u32Field(f.index, "LocalFun index"), start + 22);
    buf.writeUInt32BE(f.freeVars.length, start + 26);
    this.pos = start + 30;
    this.atom(f.module);
    this.number(int32Field(f.oldIndex, "LocalFun oldIndex"));
    this.number(int32Field(f.oldUniq, "LocalFun oldUniq"));
    this.pid(f.pid);
    for (const v of f.freeVars) this.term(v);
    // Size counts itself but not the tag; the buffer may have grown, so patch through this.buf.
    this.buf.writeUInt32BE(this.pos - start - 1, start + 1);
  }
}

function isByteList(items: Term[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v !== "number" || !(v >= 0 && v <= 255) || Math.floor(v) !== v) return false;
  }
  return true;
}

/** Shared by the one-shot functions below; reset before every use, replaced when a huge term grew it. */
let shared = new TermEncoder(64 * 1024);

function sharedEncoder(): TermEncoder {
  if (shared.capacity > 16 * 1024 * 1024) shared = new TermEncoder(64 * 1024);
  return shared.reset();
}

/** One term without the version byte (as it follows a distribution header). */
export function encodeBody(term: Term): Buffer {
  return sharedEncoder().write(term).take();
}

/** Several terms back to back, without version bytes (control message and payload of one frame). */
export function encodeBodies(terms: readonly Term[]): Buffer {
  return sharedEncoder().encodeBodies(terms);
}

/**
 * `term_to_binary(Term)`: the version byte 131 and the term. With `compressed`, like
 * `term_to_binary(Term, [compressed])`: tag 80, the 4-byte uncompressed size and zlib data, but only when
 * that comes out smaller than the plain encoding, as Erlang does.
 */
export function encode(term: Term, options?: EncodeOptions): Buffer {
  const enc = sharedEncoder().writeByte(VERSION_MAGIC).write(term);
  const compressed = options?.compressed;
  const level = compressed === true ? 6 : typeof compressed === "number" ? compressed : 0;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`compression level must be 0 to 9, got ${String(compressed)}`);
  }
  if (level === 0) return enc.take();
  const body = enc.view().subarray(1);
  const deflated = deflateSync(body, { level });
  if (6 + deflated.length >= body.length + 1) return enc.take();
  const out = Buffer.allocUnsafe(6 + deflated.length);
  out[0] = VERSION_MAGIC;
  out[1] = COMPRESSED;
  out.writeUInt32BE(body.length, 2);
  deflated.copy(out, 6);
  enc.reset();
  return out;
}
