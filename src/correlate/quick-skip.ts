/**
 * `termEnd` (src/etf/skip.ts) for ingest's hot path: the same answer, quicker on the terms trace events are
 * mostly made of (small tuples, atoms, integers, lists, binaries, maps, pids and references of a node whose
 * name is a small atom), with one bounds check at the end instead of one a tag. Any other tag, and bytes
 * that are not a whole term, go to `termEnd` from the start, which gives the answer or the error.
 */
import { termEnd } from "../etf/skip.js";
import * as T from "../etf/tags.js";

function u32(buf: Uint8Array, pos: number): number {
  return ((buf[pos]! << 24) >>> 0) + (buf[pos + 1]! << 16) + (buf[pos + 2]! << 8) + buf[pos + 3]!;
}

function isSmallAtomTag(tag: number | undefined): boolean {
  return tag === T.SMALL_ATOM_UTF8_EXT || tag === T.SMALL_ATOM_EXT;
}

/** The offset just past the term whose tag byte is at `start`, as `termEnd` gives it. */
export function skipTerm(buf: Uint8Array, start: number): number {
  const length = buf.length;
  let pos = start;
  // Terms still to skip. A read past the end gives NaN, which ends the loop or fails the check below.
  let pending = 1;
  while (pending > 0) {
    if (!(pos < length)) return termEnd(buf, start);
    pending--;
    switch (buf[pos]) {
      case T.SMALL_INTEGER_EXT:
        pos += 2;
        break;
      case T.INTEGER_EXT:
        pos += 5;
        break;
      case T.SMALL_ATOM_UTF8_EXT:
      case T.SMALL_ATOM_EXT:
        pos += 2 + buf[pos + 1]!;
        break;
      case T.SMALL_TUPLE_EXT:
        pending += buf[pos + 1]!;
        pos += 2;
        break;
      case T.NIL_EXT:
        pos += 1;
        break;
      case T.LIST_EXT:
        pending += u32(buf, pos + 1) + 1; // the elements and the tail
        pos += 5;
        break;
      case T.BINARY_EXT:
        pos += 5 + u32(buf, pos + 1);
        break;
      case T.MAP_EXT:
        pending += 2 * u32(buf, pos + 1);
        pos += 5;
        break;
      case T.SMALL_BIG_EXT:
        pos += 3 + buf[pos + 1]!;
        break;
      case T.NEW_PID_EXT: // the node atom, then ID, serial and creation
        if (!isSmallAtomTag(buf[pos + 1])) return termEnd(buf, start);
        pos += 15 + buf[pos + 2]!;
        break;
      case T.NEWER_REFERENCE_EXT: {
        // Its number of ID words, the node atom, the creation, the words.
        if (!isSmallAtomTag(buf[pos + 3])) return termEnd(buf, start);
        const words = (buf[pos + 1]! << 8) | buf[pos + 2]!;
        pos += 9 + buf[pos + 4]! + 4 * words;
        break;
      }
      default:
        return termEnd(buf, start);
    }
  }
  if (!(pos <= length) || !(pending === 0)) return termEnd(buf, start);
  return pos;
}
