/**
 * Bytes a term must contain, in its External Term Format encoding, to hold a match of a pattern: what lets
 * the data view (dataflow.ts) ask DuckDB for the few terms worth decoding instead of decoding them all.
 * Only parts encoded the same wherever they sit are used: integers outside 0..255 (a smaller one can also be
 * a byte of a string), binaries, and the names of ASCII atoms (their bytes are the same in all four atom
 * encodings). Every one of them must be in the term, so a term lacking any cannot match; a term having all
 * of them still has to be checked.
 *
 *     requiredBytes(parsePattern("{:transfer, _, 1000}"))  // [<<"transfer">>, <<98, 0, 0, 3, 232>>]
 */
import { encode } from "../etf/encode.js";
import { Atom, BitBinary, ErlMap, ImproperList, Tuple, type Term } from "../etf/terms.js";
import type { Pattern } from "./pattern.js";

/** The byte strings (longest first, each once) that every term holding a match of `p` contains. */
export function requiredBytes(p: Pattern): Buffer[] {
  const found = new Map<string, Buffer>();
  const add = (bytes: Buffer) => found.set(bytes.toString("hex"), bytes);
  walkPattern(p, add);
  return [...found.values()].sort((a, b) => b.length - a.length);
}

function walkPattern(p: Pattern, add: (bytes: Buffer) => void): void {
  switch (p.kind) {
    case "literal":
      return walkTerm(p.value, add);
    case "tuple":
      return p.elements.forEach((e) => walkPattern(e, add));
    case "list":
      p.elements.forEach((e) => walkPattern(e, add));
      if (p.tail) walkPattern(p.tail, add);
      return;
    case "map":
      if (p.struct) walkPattern(p.struct, add);
      for (const { key, value } of p.entries) {
        walkTerm(key, add);
        walkPattern(value, add);
      }
      return;
    case "binaryPrefix":
      // The prefix's bytes are the binary's first bytes, right after its header.
      if (p.prefix.length >= 2) add(Buffer.from(p.prefix));
      return;
    case "both":
      walkPattern(p.left, add);
      return walkPattern(p.right, add);
    default:
      // `_`, a variable, a pid: anything.
      return;
  }
}

function walkTerm(t: Term, add: (bytes: Buffer) => void): void {
  if (typeof t === "number" || typeof t === "bigint") {
    if (t < 0 || t > 255) add(encode(t).subarray(1));
  } else if (t instanceof Atom) {
    if (t.name.length >= 2 && /^[\x20-\x7e]+$/.test(t.name)) add(Buffer.from(t.name, "latin1"));
  } else if (t instanceof BitBinary) {
    return;
  } else if (t instanceof Uint8Array) {
    add(encode(t).subarray(1));
  } else if (t instanceof Tuple) {
    t.elements.forEach((e) => walkTerm(e, add));
  } else if (Array.isArray(t)) {
    t.forEach((e) => walkTerm(e, add));
  } else if (t instanceof ImproperList) {
    t.elements.forEach((e) => walkTerm(e, add));
    walkTerm(t.tail, add);
  } else if (t instanceof ErlMap) {
    for (const [k, v] of t.entries) {
      walkTerm(k, add);
      walkTerm(v, add);
    }
  }
}
