/**
 * Terms as JSON for the Cinema UI: a tree the browser can fold and expand, with every leaf already printed
 * in Elixir syntax by the ETF printer (atoms, numbers, strings, pids, ...), so the UI never formats terms.
 * A list, tuple or map the agent cut (too large to record) is its prefix with `cut` saying what is missing
 * (`20 keys, cut`); other cut terms are leaves as the printer shows them (`<<"abc"…10240 bytes, cut>>`).
 */
import { cutNote, cutTerm, formatTerm } from "../etf/format.js";
import { Atom, ErlMap, ImproperList, Tuple, type Term } from "../etf/terms.js";

export type TermJson =
  | { t: "leaf"; v: string }
  | { t: "tuple"; items: TermJson[]; cut?: string }
  | {
      t: "list";
      items: TermJson[];
      tail?: TermJson;
      /** A keyword list: each item's key (`file:`). */ kw?: string[];
      /** Cut by the agent: the items are its first ones, this says how many it had (`900 items, cut`). */
      cut?: string;
    }
  | { t: "map"; struct?: string; entries: { k: TermJson; v: TermJson; kw?: string }[]; cut?: string };

const STRUCT = Atom.of("__struct__");
const EXCEPTION = Atom.of("__exception__");

/** `:balance` prints as the keyword key `balance:` in a map; other keys print as `key =>`. */
function keywordKey(key: Term): string | undefined {
  if (!(key instanceof Atom)) return undefined;
  const text = formatTerm(key);
  return text.startsWith(":") ? `${text.slice(1)}:` : undefined;
}

export function termToJson(term: Term): TermJson {
  const c = term instanceof Tuple && term.size === 4 ? cutTerm(term) : undefined;
  if (c) return cutToJson(term, c);
  if (term instanceof Tuple) return { t: "tuple", items: term.elements.map(termToJson) };
  if (term instanceof ImproperList)
    return { t: "list", items: term.elements.map(termToJson), tail: termToJson(term.tail) };
  if (Array.isArray(term)) {
    const text = formatTerm(term);
    // A printable charlist prints as text; keep it a leaf.
    if (term.length > 0 && !text.startsWith("[")) return { t: "leaf", v: text };
    const keys = term.map((e) => (e instanceof Tuple && e.size === 2 ? keywordKey(e.at(0)) : undefined));
    if (term.length > 0 && keys.every((k) => k !== undefined))
      return { t: "list", items: term.map((e) => termToJson((e as Tuple).at(1))), kw: keys as string[] };
    return { t: "list", items: term.map(termToJson) };
  }
  if (term instanceof ErlMap) {
    const structName = term.get(STRUCT);
    const entries = term.entries
      .filter(([k]) => structName === undefined || (k !== STRUCT && k !== EXCEPTION))
      .map(([k, v]) => ({ k: termToJson(k), v: termToJson(v), kw: keywordKey(k) }));
    return structName instanceof Atom
      ? { t: "map", struct: formatTerm(structName), entries }
      : { t: "map", entries };
  }
  return { t: "leaf", v: formatTerm(term) };
}

/** A cut list, tuple or map as its prefix marked `cut`; anything else cut as a leaf. */
function cutToJson(term: Term, c: NonNullable<ReturnType<typeof cutTerm>>): TermJson {
  const p = c.prefix;
  const fits =
    (c.kind === "list" && Array.isArray(p)) ||
    (c.kind === "tuple" && p instanceof Tuple) ||
    (c.kind === "map" && p instanceof ErlMap);
  if (!fits) return { t: "leaf", v: formatTerm(term) };
  const prefix = termToJson(p);
  return prefix.t === "leaf" ? { t: "leaf", v: formatTerm(term) } : { ...prefix, cut: cutNote(c) };
}
