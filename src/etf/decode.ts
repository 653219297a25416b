/**
 * Decoder for the Erlang External Term Format: turns `term_to_binary` output, or a term that follows a
 * distribution header, into the `Term` representation of `./terms.ts`.
 *
 * Design notes:
 * - Robustness: every read is bounds-checked, and every declared length or count is checked against the bytes
 *   left BEFORE anything is allocated for it (an element needs at least one byte), so hostile input can make
 *   the decoder allocate no more than a small multiple of its own size. Bad input throws `EtfError` (with a
 *   byte offset); nothing else escapes, not even a stack overflow. Lists are walked along their tails in a
 *   loop; only tuples, maps, list elements and fun environments nest, up to `maxDepth`.
 * - Binaries are returned as fresh copies (Node `Buffer`s), never as views of the input. Views would be
 *   cheaper, but the input is typically a network buffer that the caller reuses or that is much larger than
 *   the binary, and a term kept in a trace store must neither change under it nor pin the whole frame.
 * - Speed: one switch on the tag byte, integer reads straight from the bytes, and atoms looked up in a small
 *   direct-mapped cache keyed by their encoded bytes, so that the usual handful of atoms is never decoded
 *   from UTF-8 again.
 * - Normalisation, matching what `binary_to_term` builds: integers of any encoding become a `number` when safe
 *   (so a small `SMALL_BIG_EXT` is a plain number), a `BIT_BINARY_EXT` with 8 bits in its last byte is a
 *   plain binary, the unused low bits of a bitstring's last byte are cleared, a `LIST_EXT` whose tail is
 *   another list (or a `STRING_EXT`) is joined into one list, and an empty `LIST_EXT` with a non-nil tail is
 *   that tail.
 */
import { inflateSync } from "node:zlib";

import { encodeBody } from "./encode.js";
import { EtfError } from "./errors.js";
import {
  ATOM_CACHE_REF,
  ATOM_EXT,
  ATOM_UTF8_EXT,
  BINARY_EXT,
  BIT_BINARY_EXT,
  COMPRESSED,
  EXPORT_EXT,
  FLOAT_EXT,
  FUN_EXT,
  INTEGER_EXT,
  LARGE_BIG_EXT,
  LARGE_TUPLE_EXT,
  LIST_EXT,
  LOCAL_EXT,
  MAP_EXT,
  NEW_FLOAT_EXT,
  NEW_FUN_EXT,
  NEW_PID_EXT,
  NEW_PORT_EXT,
  NEW_REFERENCE_EXT,
  NEWER_REFERENCE_EXT,
  NIL_EXT,
  PID_EXT,
  PORT_EXT,
  REFERENCE_EXT,
  SMALL_ATOM_EXT,
  SMALL_ATOM_UTF8_EXT,
  SMALL_BIG_EXT,
  SMALL_INTEGER_EXT,
  SMALL_TUPLE_EXT,
  STRING_EXT,
  tagName,
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
  normalizeInteger,
  Pid,
  Port,
  Reference,
  Tuple,
  termEquals,
  type Term,
} from "./terms.js";

export interface DecodeOptions {
  /**
   * The atoms of the distribution header that precedes the term, by `AtomCacheReferenceIndex`;
   * `ATOM_CACHE_REF` bytes resolve through it. Without it an `ATOM_CACHE_REF` is an error.
   */
  atomCacheRefs?: readonly Atom[];
  /** How deeply tuples, lists, maps and funs may nest (default 1000). */
  maxDepth?: number;
  /** The largest uncompressed size a compressed term may declare (default 256 MiB). */
  maxInflatedBytes?: number;
}

export const DEFAULT_MAX_DEPTH = 1000;
export const DEFAULT_MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/** References carry at most 5 ID words (OTP 24+); more is rejected by `binary_to_term` as well. */
const MAX_REFERENCE_WORDS = 5;
/** Atoms hold at most 255 characters. */
const MAX_ATOM_CHARS = 255;
/** V8 cannot make a BigInt of more than 2^30 bits. */
const MAX_BIG_BYTES = 1 << 27;
/** What `atom()` reports as expected for the node field of a pid, port or reference (a constant, so that
 * no string is built per decoded identifier; the error names the tag through the offset). */
const NODE_NAME = "the node name atom of a pid, port or reference";
/** Maps up to this size are checked for duplicate keys pairwise; larger ones through a Set. */
const SMALL_MAP = 8;

// ---------------------------------------------------------------------------------------------------------
// Atom cache: a direct-mapped table from encoded atom bytes (plus whether they are UTF-8 or Latin-1) to the
// interned Atom. A hit costs one hash over the bytes and one comparison; a miss decodes and replaces the slot.

const ATOM_SLOTS = 2048;
const slotBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(ATOM_SLOTS).fill(undefined);
const slotUtf8 = new Uint8Array(ATOM_SLOTS);
const slotAtom: (Atom | undefined)[] = new Array<Atom | undefined>(ATOM_SLOTS).fill(undefined);

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Floats are read through a scratch buffer rather than a DataView per call.
const scratchFloat = new Float64Array(1);
const scratchBytes = new Uint8Array(scratchFloat.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `FLOAT_EXT` text as C's `%lf` would accept it from `"%.20e"` output (no leading blanks, as OTP). */
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

class Decoder {
  readonly buf: Uint8Array;
  readonly end: number;
  pos: number;
  depth = 0;
  readonly maxDepth: number;
  readonly cacheRefs: readonly Atom[] | undefined;
  /** Appended to every problem, to say that offsets are in inflated data. */
  readonly where: string;

  constructor(buf: Uint8Array, pos: number, options: DecodeOptions | undefined, where: string) {
    this.buf = buf;
    this.end = buf.length;
    this.pos = pos;
    this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.cacheRefs = options?.atomCacheRefs;
    this.where = where;
  }

  fail(offset: number, problem: string): EtfError {
    return new EtfError(offset, problem + this.where);
  }

  truncated(tag: number, at: number, need: number): EtfError {
    return this.fail(at, `truncated ${tagName(tag)} (need ${need} bytes, ${this.end - at} left)`);
  }

  /** Decodes one term, turning a JS stack overflow or BigInt limit into an EtfError. */
  run(): Term {
    try {
      return this.term();
    } catch (e) {
      if (e instanceof RangeError)
        throw this.fail(this.pos, `term too large or too deeply nested (${e.message})`);
      throw e;
    }
  }

  u32(at: number): number {
    const b = this.buf;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  enter(): void {
    if (++this.depth > this.maxDepth) {
      throw this.fail(this.pos, `terms nested more than ${this.maxDepth} deep (DecodeOptions.maxDepth)`);
    }
  }

  term(): Term {
    const buf = this.buf;
    const p = this.pos;
    const end = this.end;
    if (p >= end) throw this.fail(p, "unexpected end of input, expected a term");
    const tag = buf[p]!;
    switch (tag) {
      case SMALL_INTEGER_EXT:
        if (p + 2 > end) throw this.truncated(tag, p + 1, 1);
        this.pos = p + 2;
        return buf[p + 1]!;
      case INTEGER_EXT:
        if (p + 5 > end) throw this.truncated(tag, p + 1, 4);
        this.pos = p + 5;
        return (buf[p + 1]! << 24) | (buf[p + 2]! << 16) | (buf[p + 3]! << 8) | buf[p + 4]!;
      case SMALL_ATOM_UTF8_EXT:
      case ATOM_EXT:
      case SMALL_ATOM_EXT:
      case ATOM_UTF8_EXT:
      case ATOM_CACHE_REF:
        return this.atom("an atom");
      case SMALL_TUPLE_EXT:
        if (p + 2 > end) throw this.truncated(tag, p + 1, 1);
        this.pos = p + 2;
        return this.tuple(buf[p + 1]!);
      case LARGE_TUPLE_EXT:
        if (p + 5 > end) throw this.truncated(tag, p + 1, 4);
        this.pos = p + 5;
        return this.tuple(this.u32(p + 1));
      case NIL_EXT:
        this.pos = p + 1;
        return [];
      case STRING_EXT:
        return this.string([]);
      case LIST_EXT:
        return this.list();
      case BINARY_EXT: {
        if (p + 5 > end) throw this.truncated(tag, p + 1, 4);
        const len = this.u32(p + 1);
        if (len > end - p - 5) throw this.truncated(tag, p + 5, len);
        this.pos = p + 5 + len;
        return this.copy(p + 5, len);
      }
      case NEW_PID_EXT:
      case PID_EXT:
        return this.pid();
      case NEW_FLOAT_EXT:
        return this.newFloat();
      case SMALL_BIG_EXT: {
        if (p + 3 > end) throw this.truncated(tag, p + 1, 2);
        const n = buf[p + 1]!;
        if (n > end - p - 3) throw this.truncated(tag, p + 3, n);
        this.pos = p + 3 + n;
        return this.big(p + 3, n, buf[p + 2]! !== 0);
      }
      case LARGE_BIG_EXT: {
        if (p + 6 > end) throw this.truncated(tag, p + 1, 5);
        const n = this.u32(p + 1);
        if (n > end - p - 6) throw this.truncated(tag, p + 6, n);
        if (n > MAX_BIG_BYTES)
          throw this.fail(p + 1, `LARGE_BIG_EXT of ${n} bytes is too large for a BigInt`);
        this.pos = p + 6 + n;
        return this.big(p + 6, n, buf[p + 5]! !== 0);
      }
      case MAP_EXT:
        return this.map();
      case BIT_BINARY_EXT:
        return this.bitBinary();
      case FLOAT_EXT:
        return this.oldFloat();
      case NEW_PORT_EXT:
      case V4_PORT_EXT:
      case PORT_EXT:
        return this.port();
      case NEWER_REFERENCE_EXT:
      case NEW_REFERENCE_EXT:
      case REFERENCE_EXT:
        return this.reference();
      case EXPORT_EXT:
        return this.exportFun();
      case NEW_FUN_EXT:
        return this.localFun();
      case FUN_EXT:
        throw this.fail(p, "FUN_EXT (117) is the pre-R8 fun encoding, which OTP 23+ cannot decode either");
      case LOCAL_EXT:
        throw this.fail(
          p,
          "LOCAL_EXT (121) is a node-private encoding (term_to_binary(T, [local])) and cannot be decoded here",
        );
      case VERSION_MAGIC:
        throw this.fail(
          p,
          "version byte 131 inside a term (a nested term_to_binary result must be decoded on its own)",
        );
      case COMPRESSED:
        throw this.fail(p, "COMPRESSED (80) may only follow the version byte at the start of the input");
      default:
        throw this.fail(p, `unknown tag ${tag}`);
    }
  }

  /** Any atom encoding at `pos`; `what` names the expected thing in the error if something else is there. */
  atom(what: string): Atom {
    const buf = this.buf;
    const p = this.pos;
    const end = this.end;
    if (p >= end) throw this.fail(p, `unexpected end of input, expected ${what}`);
    const tag = buf[p]!;
    let start: number;
    let len: number;
    let utf8: number;
    switch (tag) {
      case SMALL_ATOM_UTF8_EXT:
      case SMALL_ATOM_EXT:
        if (p + 2 > end) throw this.truncated(tag, p + 1, 1);
        len = buf[p + 1]!;
        start = p + 2;
        utf8 = tag === SMALL_ATOM_UTF8_EXT ? 1 : 0;
        break;
      case ATOM_EXT:
      case ATOM_UTF8_EXT:
        if (p + 3 > end) throw this.truncated(tag, p + 1, 2);
        len = (buf[p + 1]! << 8) | buf[p + 2]!;
        start = p + 3;
        utf8 = tag === ATOM_UTF8_EXT ? 1 : 0;
        if (utf8 === 0 && len > MAX_ATOM_CHARS) {
          throw this.fail(p + 1, `ATOM_EXT of ${len} characters (atoms have at most ${MAX_ATOM_CHARS})`);
        }
        break;
      case ATOM_CACHE_REF: {
        if (p + 2 > end) throw this.truncated(tag, p + 1, 1);
        const index = buf[p + 1]!;
        const refs = this.cacheRefs;
        if (refs === undefined) {
          throw this.fail(p, "ATOM_CACHE_REF outside a distribution message (no atomCacheRefs given)");
        }
        const found = refs[index];
        if (found === undefined) {
          throw this.fail(
            p + 1,
            `ATOM_CACHE_REF index ${index} but the distribution header has ${refs.length} atoms`,
          );
        }
        this.pos = p + 2;
        return found;
      }
      default:
        throw this.fail(p, `expected ${what}, found ${tagName(tag)}`);
    }
    if (len > end - start) throw this.truncated(tag, start, len);
    this.pos = start + len;

    let h = len ^ (utf8 << 16);
    for (let i = start; i < start + len; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & (ATOM_SLOTS - 1);
    const key = slotBytes[slot];
    if (key !== undefined && key.length === len && slotUtf8[slot] === utf8) {
      let i = 0;
      while (i < len && key[i] === buf[start + i]) i++;
      if (i === len) return slotAtom[slot]!;
    }
    return this.newAtom(tag, start, len, utf8, slot);
  }

  newAtom(tag: number, start: number, len: number, utf8: number, slot: number): Atom {
    // A copy: on a Buffer, slice() would be a view that changes when the caller reuses its buffer.
    const bytes = new Uint8Array(len);
    bytes.set(this.buf.subarray(start, start + len));
    let name: string;
    if (utf8 === 0) {
      name = "";
      for (let i = 0; i < len; i++) name += String.fromCharCode(bytes[i]!);
    } else {
      try {
        name = utf8Decoder.decode(bytes);
      } catch {
        throw this.fail(start, `invalid UTF-8 in ${tagName(tag)}`);
      }
      if (len > MAX_ATOM_CHARS) {
        const chars = codePoints(name);
        if (chars > MAX_ATOM_CHARS) {
          throw this.fail(
            start,
            `${tagName(tag)} of ${chars} characters (atoms have at most ${MAX_ATOM_CHARS})`,
          );
        }
      }
    }
    const found = Atom.of(name);
    slotBytes[slot] = bytes;
    slotUtf8[slot] = utf8;
    slotAtom[slot] = found;
    return found;
  }

  /** A fresh Buffer holding `len` input bytes from `start`. */
  copy(start: number, len: number): Buffer {
    const out = Buffer.allocUnsafe(len);
    const buf = this.buf;
    if (len < 32) {
      for (let i = 0; i < len; i++) out[i] = buf[start + i]!;
    } else {
      out.set(buf.subarray(start, start + len));
    }
    return out;
  }

  tuple(arity: number): Tuple {
    if (arity > this.end - this.pos) {
      throw this.fail(
        this.pos,
        `tuple of arity ${arity} cannot fit in the ${this.end - this.pos} bytes left`,
      );
    }
    this.enter();
    const elements: Term[] = new Array<Term>(arity);
    for (let i = 0; i < arity; i++) elements[i] = this.term();
    this.depth--;
    return new Tuple(elements);
  }

  /** `STRING_EXT` at `pos`, its bytes appended to `out` as integers. */
  string(out: Term[]): Term[] {
    const buf = this.buf;
    const p = this.pos;
    if (p + 3 > this.end) throw this.truncated(STRING_EXT, p + 1, 2);
    const len = (buf[p + 1]! << 8) | buf[p + 2]!;
    if (len > this.end - p - 3) throw this.truncated(STRING_EXT, p + 3, len);
    for (let i = p + 3; i < p + 3 + len; i++) out.push(buf[i]!);
    this.pos = p + 3 + len;
    return out;
  }

  /** Checks and skips a `LIST_EXT` header at `pos`, returning its element count. */
  listHeader(): number {
    const p = this.pos;
    if (p + 5 > this.end) throw this.truncated(LIST_EXT, p + 1, 4);
    const n = this.u32(p + 1);
    const left = this.end - p - 5;
    // n elements and a tail, at least one byte each.
    if (n >= left) throw this.fail(p + 1, `LIST_EXT of ${n} elements cannot fit in the ${left} bytes left`);
    this.pos = p + 5;
    return n;
  }

  list(): Term {
    let n = this.listHeader();
    this.enter();
    const out: Term[] = new Array<Term>(n);
    for (let i = 0; i < n; i++) out[i] = this.term();
    // Walk the tail: further LIST_EXT/STRING_EXT segments are joined in a loop, never by recursion.
    const buf = this.buf;
    for (;;) {
      const p = this.pos;
      if (p >= this.end) throw this.fail(p, "unexpected end of input, expected the tail of a list");
      const tag = buf[p]!;
      if (tag === NIL_EXT) {
        this.pos = p + 1;
        break;
      }
      if (tag === STRING_EXT) {
        this.string(out);
        break;
      }
      if (tag === LIST_EXT) {
        n = this.listHeader();
        for (let i = 0; i < n; i++) out.push(this.term());
        continue;
      }
      const tail = this.term();
      this.depth--;
      return out.length === 0 ? tail : new ImproperList(out, tail);
    }
    this.depth--;
    return out;
  }

  newFloat(): ErlFloat {
    const buf = this.buf;
    const p = this.pos;
    if (p + 9 > this.end) throw this.truncated(NEW_FLOAT_EXT, p + 1, 8);
    if (LITTLE_ENDIAN) {
      for (let i = 0; i < 8; i++) scratchBytes[i] = buf[p + 8 - i]!;
    } else {
      for (let i = 0; i < 8; i++) scratchBytes[i] = buf[p + 1 + i]!;
    }
    const value = scratchFloat[0]!;
    if (!Number.isFinite(value))
      throw this.fail(p + 1, "NEW_FLOAT_EXT holds NaN or an infinity (not an Erlang float)");
    this.pos = p + 9;
    return new ErlFloat(value);
  }

  oldFloat(): ErlFloat {
    const buf = this.buf;
    const p = this.pos;
    if (p + 32 > this.end) throw this.truncated(FLOAT_EXT, p + 1, 31);
    let text = "";
    for (let i = p + 1; i < p + 32 && buf[i] !== 0; i++) text += String.fromCharCode(buf[i]!);
    const value = FLOAT_TEXT.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(value))
      throw this.fail(p + 1, `FLOAT_EXT text ${JSON.stringify(text)} is not a finite float`);
    this.pos = p + 32;
    return new ErlFloat(value);
  }

  big(start: number, n: number, negative: boolean): number | bigint {
    const buf = this.buf;
    if (n <= 6) {
      let v = 0;
      for (let i = start + n - 1; i >= start; i--) v = v * 256 + buf[i]!;
      return negative && v !== 0 ? -v : v;
    }
    let hex = "0x";
    for (let i = start + n - 1; i >= start; i--) hex += HEX_BYTE[buf[i]!]!;
    const magnitude = BigInt(hex);
    return normalizeInteger(negative ? -magnitude : magnitude);
  }

  bitBinary(): Uint8Array | BitBinary {
    const buf = this.buf;
    const p = this.pos;
    if (p + 6 > this.end) throw this.truncated(BIT_BINARY_EXT, p + 1, 5);
    const len = this.u32(p + 1);
    const bits = buf[p + 5]!;
    if (len > this.end - p - 6) throw this.truncated(BIT_BINARY_EXT, p + 6, len);
    if (len === 0 ? bits !== 0 : bits < 1 || bits > 8) {
      throw this.fail(p + 5, `BIT_BINARY_EXT with ${bits} bits used of the last of its ${len} bytes`);
    }
    this.pos = p + 6 + len;
    const bytes = this.copy(p + 6, len);
    if (len === 0 || bits === 8) return bytes;
    bytes[len - 1] = bytes[len - 1]! & ((0xff << (8 - bits)) & 0xff);
    return new BitBinary(bytes, bits);
  }

  map(): ErlMap {
    const p = this.pos;
    if (p + 5 > this.end) throw this.truncated(MAP_EXT, p + 1, 4);
    const n = this.u32(p + 1);
    const left = this.end - p - 5;
    if (n > left / 2) throw this.fail(p + 1, `MAP_EXT of ${n} pairs cannot fit in the ${left} bytes left`);
    this.pos = p + 5;
    this.enter();
    const entries: [Term, Term][] = new Array<[Term, Term]>(n);
    for (let i = 0; i < n; i++) {
      const key = this.term();
      entries[i] = [key, this.term()];
    }
    this.depth--;
    if (n > 1 && hasDuplicateKey(entries)) throw this.fail(p, `MAP_EXT with a duplicate key`);
    return new ErlMap(entries);
  }

  pid(): Pid {
    const p = this.pos;
    const tag = this.buf[p]!;
    this.pos = p + 1;
    const node = this.atom(NODE_NAME);
    const q = this.pos;
    const size = tag === NEW_PID_EXT ? 12 : 9;
    if (q + size > this.end) throw this.truncated(tag, q, size);
    this.pos = q + size;
    const creation = tag === NEW_PID_EXT ? this.u32(q + 8) : this.buf[q + 8]!;
    return new Pid(node, this.u32(q), this.u32(q + 4), creation);
  }

  port(): Port {
    const p = this.pos;
    const tag = this.buf[p]!;
    this.pos = p + 1;
    const node = this.atom(NODE_NAME);
    const q = this.pos;
    const size = tag === V4_PORT_EXT ? 12 : tag === NEW_PORT_EXT ? 8 : 5;
    if (q + size > this.end) throw this.truncated(tag, q, size);
    this.pos = q + size;
    if (tag === V4_PORT_EXT) {
      return new Port(node, (BigInt(this.u32(q)) << 32n) | BigInt(this.u32(q + 4)), this.u32(q + 8));
    }
    return new Port(node, BigInt(this.u32(q)), tag === NEW_PORT_EXT ? this.u32(q + 4) : this.buf[q + 4]!);
  }

  reference(): Reference {
    const buf = this.buf;
    const p = this.pos;
    const tag = buf[p]!;
    let words = 1;
    if (tag === REFERENCE_EXT) {
      this.pos = p + 1;
    } else {
      if (p + 3 > this.end) throw this.truncated(tag, p + 1, 2);
      words = (buf[p + 1]! << 8) | buf[p + 2]!;
      if (words < 1 || words > MAX_REFERENCE_WORDS) {
        throw this.fail(
          p + 1,
          `${tagName(tag)} with ${words} ID words (1 to ${MAX_REFERENCE_WORDS} allowed)`,
        );
      }
      this.pos = p + 3;
    }
    const node = this.atom(NODE_NAME);
    const q = this.pos;
    const creationSize = tag === NEWER_REFERENCE_EXT ? 4 : 1;
    const size = creationSize + 4 * words;
    if (q + size > this.end) throw this.truncated(tag, q, size);
    this.pos = q + size;
    const ids: number[] = new Array<number>(words);
    if (tag === REFERENCE_EXT) {
      ids[0] = this.u32(q);
      return new Reference(node, buf[q + 4]!, ids);
    }
    for (let i = 0; i < words; i++) ids[i] = this.u32(q + creationSize + 4 * i);
    return new Reference(node, creationSize === 4 ? this.u32(q) : buf[q]!, ids);
  }

  exportFun(): ExportFun {
    this.pos++;
    const module = this.atom("the module atom of an EXPORT_EXT");
    const fun = this.atom("the function atom of an EXPORT_EXT");
    const p = this.pos;
    if (p + 2 > this.end) throw this.truncated(EXPORT_EXT, p, 2);
    if (this.buf[p] !== SMALL_INTEGER_EXT) {
      throw this.fail(p, `EXPORT_EXT arity must be a SMALL_INTEGER_EXT, found ${tagName(this.buf[p]!)}`);
    }
    this.pos = p + 2;
    return new ExportFun(module, fun, this.buf[p + 1]!);
  }

  /** An integer that must fit a JS number, for the old index and uniq fields of a fun. */
  smallInteger(what: string): number {
    const at = this.pos;
    const value = this.term();
    if (typeof value !== "number") throw this.fail(at, `${what} must be an integer`);
    return value;
  }

  localFun(): LocalFun {
    const buf = this.buf;
    const p = this.pos;
    if (p + 30 > this.end) throw this.truncated(NEW_FUN_EXT, p + 1, 29);
    const size = this.u32(p + 1);
    const left = this.end - p - 1;
    if (size > left) throw this.fail(p + 1, `NEW_FUN_EXT Size ${size} is more than the ${left} bytes left`);
    const arity = buf[p + 5]!;
    const uniq = this.copy(p + 6, 16);
    const index = this.u32(p + 22);
    const numFree = this.u32(p + 26);
    const funEnd = p + 1 + size;
    this.pos = p + 30;
    this.enter();
    const module = this.atom("the module atom of a NEW_FUN_EXT");
    const oldIndex = this.smallInteger("NEW_FUN_EXT OldIndex");
    const oldUniq = this.smallInteger("NEW_FUN_EXT OldUniq");
    const pidAt = this.pos;
    const pid = this.term();
    if (!(pid instanceof Pid)) throw this.fail(pidAt, "NEW_FUN_EXT Pid field is not a pid");
    if (numFree > funEnd - this.pos) {
      throw this.fail(
        p + 26,
        `NEW_FUN_EXT with ${numFree} free variables cannot fit in its Size of ${size} bytes`,
      );
    }
    const freeVars: Term[] = new Array<Term>(numFree);
    for (let i = 0; i < numFree; i++) freeVars[i] = this.term();
    this.depth--;
    if (this.pos !== funEnd) {
      throw this.fail(p + 1, `NEW_FUN_EXT Size says ${size} bytes but its fields took ${this.pos - p - 1}`);
    }
    return new LocalFun(arity, uniq, index, module, oldIndex, oldUniq, pid, freeVars);
  }
}

/** The number of characters (code points) in a string. */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate completes a pair already counted
  }
  return n;
}

/** Whether two keys of a decoded map are equal (`binary_to_term` rejects such maps). */
function hasDuplicateKey(entries: [Term, Term][]): boolean {
  const n = entries.length;
  if (n <= SMALL_MAP) {
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < i; j++) if (termEquals(entries[i]![0], entries[j]![0])) return true;
    }
    return false;
  }
  // Atoms are interned and integers are normalised, so those compare by identity/value in a Set; other keys
  // compare by their canonical encoding (the encoder writes equal terms the same way, except for map order
  // and the sign of a float zero, where a duplicate may then go unnoticed, which is harmless).
  const seen = new Set<unknown>();
  for (const [key] of entries) {
    const id =
      key instanceof Atom || typeof key === "number" || typeof key === "bigint" ? key : keyEncoding(key);
    if (seen.has(id)) return true;
    seen.add(id);
  }
  return false;
}

/** A compound map key's encoding as a string, or the key itself if it is nested too deeply to encode. */
function keyEncoding(key: Term): unknown {
  try {
    return "\0" + encodeBody(key).toString("latin1");
  } catch {
    return key;
  }
}

/**
 * Decodes a whole `term_to_binary` result: the version byte 131, then one term, possibly compressed (tag 80).
 * Anything after the term is an error.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): Term {
  const len = bytes.length;
  if (len === 0) throw new EtfError(0, "empty input (expected the version byte 131)");
  if (bytes[0] !== VERSION_MAGIC) throw new EtfError(0, `expected the version byte 131, found ${bytes[0]}`);
  if (len > 1 && bytes[1] === COMPRESSED) return decodeCompressed(bytes, options);
  const decoder = new Decoder(bytes, 1, options, "");
  const term = decoder.run();
  if (decoder.pos !== len)
    throw new EtfError(decoder.pos, `${len - decoder.pos} bytes after the end of the term`);
  return term;
}

function decodeCompressed(bytes: Uint8Array, options: DecodeOptions | undefined): Term {
  if (bytes.length < 6) {
    throw new EtfError(2, `truncated COMPRESSED (need 4 bytes of size, ${bytes.length - 2} left)`);
  }
  const size = ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
  const max = options?.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  if (size > max) {
    throw new EtfError(
      2,
      `compressed term declares ${size} bytes uncompressed, over maxInflatedBytes (${max})`,
    );
  }
  if (size === 0) throw new EtfError(2, "compressed term declares an uncompressed size of 0");
  let inflated: Buffer;
  let consumed: number;
  try {
    const result = inflateSync(bytes.subarray(6), { maxOutputLength: size, info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    inflated = result.buffer;
    consumed = result.engine.bytesWritten;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      throw new EtfError(6, `compressed data inflates to more than the declared ${size} bytes`);
    }
    throw new EtfError(6, `bad zlib data: ${(e as Error).message}`);
  }
  if (inflated.length !== size) {
    throw new EtfError(6, `compressed data inflates to ${inflated.length} bytes, not the declared ${size}`);
  }
  if (6 + consumed !== bytes.length) {
    throw new EtfError(6 + consumed, `${bytes.length - 6 - consumed} bytes after the end of the zlib data`);
  }
  const decoder = new Decoder(inflated, 0, options, " (offset in the inflated data)");
  const term = decoder.run();
  if (decoder.pos !== size)
    throw decoder.fail(decoder.pos, `${size - decoder.pos} bytes after the end of the term`);
  return term;
}

/**
 * Decodes one term that starts at `offset` and has no version byte, as in a distribution message after its
 * header. Returns the term and the offset just after it; bytes after that are left for the caller.
 */
export function decodeBody(
  bytes: Uint8Array,
  offset: number,
  options?: DecodeOptions,
): { term: Term; end: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new EtfError(0, `decodeBody offset ${offset} is outside the ${bytes.length} input bytes`);
  }
  const decoder = new Decoder(bytes, offset, options, "");
  const term = decoder.run();
  return { term, end: decoder.pos };
}
