/**
 * Frames of a connected distribution channel: the distribution header with its atom cache, fragmented
 * messages, and the old pass-through form.
 *
 *     4-byte length | 131 68 N flags refs | control term | message term     (normal header)
 *     4-byte length | 131 69 seq frag N flags refs | control | message part (first fragment)
 *     4-byte length | 131 70 seq frag | message part                        (more fragments, frag counts to 1)
 *     4-byte length | 112 | 131 control | 131 message                       (pass-through)
 *     4-byte length of 0                                                    (tick)
 *
 * The atom cache belongs to the connection: a header may define entries that later headers only refer to.
 */
import { decode, decodeBody } from "../etf/index.js";
import { encodeBody } from "../etf/index.js";
import { atom, type Atom, type Term, Tuple } from "../etf/terms.js";
import { DistError } from "./errors.js";

export interface DistMessage {
  control: Tuple;
  payload: Term | undefined;
}

const VERSION = 131;
const NORMAL_HEADER = 68;
const FRAGMENT_START = 69;
const FRAGMENT_CONT = 70;
const PASS_THROUGH = 112;
const ATOM_CACHE_SIZE = 2048;

interface PendingFragments {
  atomRefs: Atom[];
  parts: Buffer[];
  nextId: bigint;
}

/** Decodes the frames of one connection, keeping its atom cache and unfinished fragment sequences. */
export class FrameDecoder {
  private readonly atomCache: (Atom | undefined)[] = new Array(ATOM_CACHE_SIZE);
  private readonly fragments = new Map<bigint, PendingFragments>();

  constructor(private readonly peer: string) {}

  /** Decodes one frame body (without its length). Returns undefined for a fragment that is not the last. */
  decodeFrame(body: Buffer): DistMessage | undefined {
    if (body[0] === PASS_THROUGH) return this.decodePassThrough(body);
    if (body[0] !== VERSION) throw this.error(`frame starts with byte ${body[0]}, not 131 or 112`);
    switch (body[1]) {
      case NORMAL_HEADER: {
        const { atomRefs, end } = this.readAtomCacheHeader(body, 2);
        return this.decodeMessage(body, end, atomRefs);
      }
      case FRAGMENT_START: {
        const seq = body.readBigUInt64BE(2);
        const fragId = body.readBigUInt64BE(10);
        const { atomRefs, end } = this.readAtomCacheHeader(body, 18);
        if (fragId === 1n) return this.decodeMessage(body, end, atomRefs);
        this.fragments.set(seq, { atomRefs, parts: [body.subarray(end)], nextId: fragId - 1n });
        return undefined;
      }
      case FRAGMENT_CONT: {
        const seq = body.readBigUInt64BE(2);
        const fragId = body.readBigUInt64BE(10);
        const pending = this.fragments.get(seq);
        if (!pending) throw this.error(`fragment ${fragId} of unknown sequence ${seq}`);
        if (fragId !== pending.nextId) throw this.error(`fragment ${fragId} of sequence ${seq} out of order`);
        pending.parts.push(body.subarray(18));
        if (fragId !== 1n) {
          pending.nextId = fragId - 1n;
          return undefined;
        }
        this.fragments.delete(seq);
        return this.decodeMessage(Buffer.concat(pending.parts), 0, pending.atomRefs);
      }
      default:
        throw this.error(`unknown distribution header tag ${body[1]}`);
    }
  }

  /** Reads NumberOfAtomCacheRefs, the half-byte flags and the refs, updating the cache. */
  private readAtomCacheHeader(body: Buffer, offset: number): { atomRefs: Atom[]; end: number } {
    const count = body[offset]!;
    let o = offset + 1;
    if (count === 0) return { atomRefs: [], end: o };
    const flagsStart = o;
    const flagBytes = (count >> 1) + 1;
    o += flagBytes;
    if (o > body.length) throw this.error("truncated atom cache flags");
    const nibble = (i: number): number => (body[flagsStart + (i >> 1)]! >> ((i & 1) * 4)) & 0xf;
    const longAtoms = (nibble(count) & 1) === 1;
    const atomRefs: Atom[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const flag = nibble(i);
      const index = ((flag & 7) << 8) | body[o++]!;
      if ((flag & 8) !== 0) {
        const len = longAtoms ? body.readUInt16BE(o) : body[o]!;
        o += longAtoms ? 2 : 1;
        if (o + len > body.length) throw this.error("truncated atom text in the atom cache header");
        this.atomCache[index] = atom(body.toString("utf8", o, o + len));
        o += len;
      }
      const cached = this.atomCache[index];
      if (cached === undefined) throw this.error(`reference to empty atom cache entry ${index}`);
      atomRefs[i] = cached;
    }
    return { atomRefs, end: o };
  }

  private decodeMessage(body: Buffer, offset: number, atomCacheRefs: Atom[]): DistMessage {
    const control = decodeBody(body, offset, { atomCacheRefs });
    if (!(control.term instanceof Tuple)) throw this.error("control message is not a tuple");
    const payload =
      control.end < body.length ? decodeBody(body, control.end, { atomCacheRefs }).term : undefined;
    return { control: control.term, payload };
  }

  private decodePassThrough(body: Buffer): DistMessage {
    const control = decodeBody(body, 2);
    if (!(control.term instanceof Tuple)) throw this.error("control message is not a tuple");
    const payload = control.end < body.length ? decode(body.subarray(control.end)) : undefined;
    return { control: control.term, payload };
  }

  private error(problem: string): DistError {
    return new DistError("PROTOCOL", `malformed distribution frame from ${this.peer}: ${problem}`);
  }
}

/** A frame with an empty normal header (no atom cache references), ready to write. */
export function encodeFrame(control: Tuple, payload?: Term): Buffer {
  const controlBytes = encodeBody(control);
  const payloadBytes = payload === undefined ? undefined : encodeBody(payload);
  const length = 3 + controlBytes.length + (payloadBytes?.length ?? 0);
  const head = Buffer.from([0, 0, 0, 0, VERSION, NORMAL_HEADER, 0]);
  head.writeUInt32BE(length, 0);
  return payloadBytes
    ? Buffer.concat([head, controlBytes, payloadBytes])
    : Buffer.concat([head, controlBytes]);
}

/** The keep-alive frame: a length of zero. */
export const TICK = Buffer.alloc(4);
