/**
 * Which received messages a GenServer's callbacks never handle: OTP system messages (the behaviour answers
 * them itself) and replies to calls the process made, taken by a selective receive inside a callback. Ingest
 * leaves them out of what a process is "handling"; the engine leaves them out of a mailbox.
 */
import { termEnd } from "../etf/skip.js";
import * as T from "../etf/tags.js";
import { atomAt, atomName, isAtomAt, tupleArity, tupleBody } from "./scan.js";

const REFERENCE_TAGS = new Set([T.NEWER_REFERENCE_EXT, T.NEW_REFERENCE_EXT, T.REFERENCE_EXT]);
const ATOM_TAGS = new Set([T.SMALL_ATOM_UTF8_EXT, T.SMALL_ATOM_EXT, T.ATOM_UTF8_EXT, T.ATOM_EXT]);
const SYSTEM = atomName("system");
const CODE_SERVER = atomName("code_server");
const IO_REPLY = atomName("io_reply");

/**
 * Whether a received message is one a GenServer's callbacks never handle: an OTP system message (the
 * behaviour answers it itself), or the reply to a call the process made (`{ref, reply}`,
 * `{[:alias | ref], reply}`, the code server's and the I/O server's answers), taken by a selective receive.
 */
export function takenByTheBehaviour(buf: Buffer, at: number): boolean {
  const arity = tupleArity(buf, at);
  if (arity < 2 || arity > 3) return false;
  const first = tupleBody(buf, at);
  // Compared as bytes: this runs on every message received.
  if (ATOM_TAGS.has(buf[first]!))
    return (
      (arity === 3 && isAtomAt(buf, first, SYSTEM)) ||
      isAtomAt(buf, first, CODE_SERVER) ||
      isAtomAt(buf, first, IO_REPLY)
    );
  if (arity !== 2) return false;
  if (REFERENCE_TAGS.has(buf[first]!)) return true;
  // [:alias | ref]: a one-element list whose tail is the reference.
  if (buf[first] === T.LIST_EXT && buf.readUInt32BE(first + 1) === 1) {
    const tail = termEnd(buf, first + 5);
    return atomAt(buf, first + 5) === "alias" && REFERENCE_TAGS.has(buf[tail]!);
  }
  return false;
}
