/**
 * Finds where an encoded term ends without building it. The recording's ingest reads trace events this
 * way: it decodes only the few small fields it correlates on (pids, atoms, timestamps) and keeps arguments,
 * messages and states as byte ranges of the batch, which it stores as they are.
 *
 * Iterative (a count of terms still to skip), so deep nesting costs no stack; every length is checked
 * against the bytes left, and bad input throws `EtfError` with the offset.
 */
import { EtfError } from "./errors.js";
import * as T from "./tags.js";

function need(buf: Uint8Array, pos: number, n: number, what: string): void {
  if (pos + n > buf.length)
    throw new EtfError(pos, `truncated ${what} (need ${n} bytes, ${buf.length - pos} left)`);
}

function u16(buf: Uint8Array, pos: number): number {
  return (buf[pos]! << 8) | buf[pos + 1]!;
}

function u32(buf: Uint8Array, pos: number): number {
  return ((buf[pos]! << 24) >>> 0) + (buf[pos + 1]! << 16) + (buf[pos + 2]! << 8) + buf[pos + 3]!;
}

/** The offset just past the term whose tag byte is at `pos` (no version byte). */
export function termEnd(buf: Uint8Array, pos: number): number {
  let pending = 1;
  while (pending > 0) {
    pending--;
    need(buf, pos, 1, "term");
    const tag = buf[pos]!;
    pos++;
    switch (tag) {
      case T.SMALL_INTEGER_EXT:
        need(buf, pos, 1, "SMALL_INTEGER_EXT");
        pos += 1;
        break;
      case T.INTEGER_EXT:
        need(buf, pos, 4, "INTEGER_EXT");
        pos += 4;
        break;
      case T.NEW_FLOAT_EXT:
        need(buf, pos, 8, "NEW_FLOAT_EXT");
        pos += 8;
        break;
      case T.FLOAT_EXT:
        need(buf, pos, 31, "FLOAT_EXT");
        pos += 31;
        break;
      case T.SMALL_BIG_EXT:
        need(buf, pos, 2, "SMALL_BIG_EXT");
        pos += 2 + buf[pos]!;
        break;
      case T.LARGE_BIG_EXT:
        need(buf, pos, 5, "LARGE_BIG_EXT");
        pos += 5 + u32(buf, pos);
        break;
      case T.ATOM_EXT:
      case T.ATOM_UTF8_EXT:
        need(buf, pos, 2, "atom");
        pos += 2 + u16(buf, pos);
        break;
      case T.SMALL_ATOM_EXT:
      case T.SMALL_ATOM_UTF8_EXT:
        need(buf, pos, 1, "atom");
        pos += 1 + buf[pos]!;
        break;
      case T.ATOM_CACHE_REF:
        pos += 1;
        break;
      case T.SMALL_TUPLE_EXT:
        need(buf, pos, 1, "SMALL_TUPLE_EXT");
        pending += buf[pos]!;
        pos += 1;
        break;
      case T.LARGE_TUPLE_EXT:
        need(buf, pos, 4, "LARGE_TUPLE_EXT");
        pending += u32(buf, pos);
        pos += 4;
        break;
      case T.NIL_EXT:
        break;
      case T.STRING_EXT:
        need(buf, pos, 2, "STRING_EXT");
        pos += 2 + u16(buf, pos);
        break;
      case T.LIST_EXT:
        need(buf, pos, 4, "LIST_EXT");
        pending += u32(buf, pos) + 1; // the elements and the tail
        pos += 4;
        break;
      case T.BINARY_EXT:
        need(buf, pos, 4, "BINARY_EXT");
        pos += 4 + u32(buf, pos);
        break;
      case T.BIT_BINARY_EXT:
        need(buf, pos, 5, "BIT_BINARY_EXT");
        pos += 5 + u32(buf, pos);
        break;
      case T.MAP_EXT:
        need(buf, pos, 4, "MAP_EXT");
        pending += 2 * u32(buf, pos);
        pos += 4;
        break;
      case T.NEW_PID_EXT:
        pos = termEnd(buf, pos) + 12; // the node atom, then ID, serial and creation
        break;
      case T.PID_EXT:
        pos = termEnd(buf, pos) + 9;
        break;
      case T.V4_PORT_EXT:
        pos = termEnd(buf, pos) + 12;
        break;
      case T.NEW_PORT_EXT:
        pos = termEnd(buf, pos) + 8;
        break;
      case T.PORT_EXT:
        pos = termEnd(buf, pos) + 5;
        break;
      case T.NEWER_REFERENCE_EXT:
      case T.NEW_REFERENCE_EXT: {
        need(buf, pos, 2, "reference");
        const words = u16(buf, pos);
        pos = termEnd(buf, pos + 2) + (tag === T.NEWER_REFERENCE_EXT ? 4 : 1) + 4 * words;
        break;
      }
      case T.REFERENCE_EXT:
        pos = termEnd(buf, pos) + 5;
        break;
      case T.EXPORT_EXT:
        pending += 3;
        break;
      case T.NEW_FUN_EXT:
        need(buf, pos, 4, "NEW_FUN_EXT");
        pos += u32(buf, pos);
        break;
      default:
        throw new EtfError(pos - 1, `cannot skip a term with tag ${tag} (${T.tagName(tag)})`);
    }
  }
  if (pos > buf.length) throw new EtfError(buf.length, "truncated term");
  return pos;
}
