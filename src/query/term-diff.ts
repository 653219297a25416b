/**
 * Structural differences between two terms, for state timelines ("what did this callback change?") and the
 * UI's highlighting.
 *
 * `diffTerms(before, after)` walks both terms together and reports the smallest parts that differ:
 * - maps (Elixir structs too) by key: a key only in `before` is "removed", only in `after` "added", in both
 *   recursed into; a struct whose `__struct__` changed is changed as a whole;
 * - tuples of the same size, and lists of the same length, by position (a printable charlist is one value);
 * - lists of different lengths: when one is the other with items inserted or removed in one place (they share
 *   everything else as a prefix and a suffix), those items are "added" (at their index in `after`) or
 *   "removed" (at their index in `before`); otherwise the whole list changed;
 * - a map the agent cut (too large to record, `{'$es_cut', :map, n, prefix}`) against a map, cut or not,
 *   by the keys of its prefix: a key missing from a cut side's prefix is not known to be missing, so it is
 *   not reported removed (and a key new against a cut side is "changed" from an unknown value);
 * - anything else that differs is "changed" as a whole.
 *
 * Map keys are compared through a canonical string per key, so a map of n keys costs O(n), not O(n^2) as
 * `ErlMap.get` for every key would.
 */
import { cutTerm, formatTerm, type FormatOptions } from "../etf/format.js";
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
  termEquals,
  type Term,
} from "../etf/terms.js";

/** One step into a term: a map key, a tuple element (0-based), a list index (0-based). */
export type PathStep =
  { kind: "key"; key: Term } | { kind: "elem"; index: number } | { kind: "index"; index: number };

export interface TermChange {
  /** Where, from the root (an empty path: the whole term). */
  path: PathStep[];
  kind: "added" | "removed" | "changed";
  /** The value before (for "removed" and "changed"). */
  before?: Term;
  /** The value after (for "added" and "changed"). */
  after?: Term;
}

const STRUCT = Atom.of("__struct__");

// ---------------------------------------------------------------------------------------------------------
// Canonical keys: equal terms (termEquals) give equal strings, different terms different ones.

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

function canonical(t: Term): string {
  if (typeof t === "number" || typeof t === "bigint") return `i${t};`;
  if (t instanceof Atom) return `a${t.name.length}:${t.name}`;
  if (t instanceof BitBinary) return `B${t.bits}:${t.bytes.length}:${latin1(t.bytes)}`;
  if (t instanceof Uint8Array) return `b${t.length}:${latin1(t)}`;
  if (t instanceof ErlFloat) return `f${t.value};`;
  if (Array.isArray(t)) return `l${t.length}(${t.map(canonical).join("")}`;
  if (t instanceof Tuple) return `t${t.size}(${t.elements.map(canonical).join("")}`;
  if (t instanceof ImproperList)
    return `L${t.elements.length}(${t.elements.map(canonical).join("")}${canonical(t.tail)}`;
  if (t instanceof ErlMap) {
    const entries = t.entries.map(([k, v]) => canonical(k) + canonical(v)).sort();
    return `m${t.size}(${entries.join("")}`;
  }
  if (t instanceof Pid) return `p${canonical(t.node)}${t.id}.${t.serial}.${t.creation};`;
  if (t instanceof Port) return `o${canonical(t.node)}${t.id}.${t.creation};`;
  if (t instanceof Reference) return `r${canonical(t.node)}${t.creation}.${t.ids.join(".")};`;
  if (t instanceof ExportFun) return `e${canonical(t.module)}${canonical(t.fun)}${t.arity};`;
  if (t instanceof LocalFun) {
    const free = t.freeVars.map(canonical).join("");
    return `F${canonical(t.module)}${t.index}.${t.arity}.${latin1(t.uniq)}${canonical(t.pid)}${t.freeVars.length}(${free}`;
  }
  return `?${String(t)};`;
}

/** A map's entries by canonical key. */
function index(m: ErlMap): Map<string, Term> {
  const out = new Map<string, Term>();
  for (const [k, v] of m.entries) out.set(canonical(k), v);
  return out;
}

/** `termEquals`, but linear in the size of the terms (maps through `index`). */
function same(a: Term, b: Term): boolean {
  if (a === b) return true;
  if (a instanceof ErlMap) {
    if (!(b instanceof ErlMap) || a.size !== b.size) return false;
    const other = index(b);
    for (const [k, v] of a.entries) {
      const w = other.get(canonical(k));
      if (w === undefined || !same(v, w)) return false;
    }
    return true;
  }
  if (Array.isArray(a)) return Array.isArray(b) && sameItems(a, b);
  if (a instanceof Tuple) return b instanceof Tuple && sameItems(a.elements, b.elements);
  if (a instanceof ImproperList) {
    return b instanceof ImproperList && sameItems(a.elements, b.elements) && same(a.tail, b.tail);
  }
  return termEquals(a, b);
}

function sameItems(a: Term[], b: Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i]!, b[i]!)) return false;
  return true;
}

/** A map's entries as far as they are known: all of a map, the prefix of a cut one (`cut` true). */
interface KnownEntries {
  map: ErlMap;
  cut: boolean;
}

function knownEntries(t: Term): KnownEntries | undefined {
  if (t instanceof ErlMap) return { map: t, cut: false };
  const c = t instanceof Tuple && t.size === 4 ? cutTerm(t) : undefined;
  return c?.kind === "map" && c.prefix instanceof ErlMap ? { map: c.prefix, cut: true } : undefined;
}

/** A non-empty list of ASCII-printable code points: text, shown and compared as one value. */
function isText(items: Term[]): boolean {
  if (items.length === 0) return false;
  for (const c of items) {
    if (typeof c !== "number" || !((c >= 32 && c < 127) || (c >= 7 && c <= 13) || c === 27)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------

class Differ {
  readonly changes: TermChange[] = [];
  readonly path: PathStep[] = [];

  report(kind: TermChange["kind"], before: Term | undefined, after: Term | undefined): void {
    const change: TermChange = { path: [...this.path], kind };
    if (before !== undefined) change.before = before;
    if (after !== undefined) change.after = after;
    this.changes.push(change);
  }

  /** Reports `kind` for one step below the current path. */
  reportAt(
    step: PathStep,
    kind: TermChange["kind"],
    before: Term | undefined,
    after: Term | undefined,
  ): void {
    this.path.push(step);
    this.report(kind, before, after);
    this.path.pop();
  }

  within(step: PathStep, a: Term, b: Term): void {
    this.path.push(step);
    this.walk(a, b);
    this.path.pop();
  }

  walk(a: Term, b: Term): void {
    if (a === b) return;
    if (a instanceof ErlMap && b instanceof ErlMap) return this.maps(a, b);
    const cutA = knownEntries(a);
    const cutB = knownEntries(b);
    if (cutA && cutB && (cutA.cut || cutB.cut)) return this.partialMaps(cutA, cutB);
    if (a instanceof Tuple && b instanceof Tuple && a.size === b.size) {
      for (let i = 0; i < a.size; i++)
        this.within({ kind: "elem", index: i }, a.elements[i]!, b.elements[i]!);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && !(isText(a) && isText(b))) return this.lists(a, b);
    if (!same(a, b)) this.report("changed", a, b);
  }

  maps(a: ErlMap, b: ErlMap): void {
    const before = index(a);
    const after = index(b);
    const structA = before.get(canonical(STRUCT));
    const structB = after.get(canonical(STRUCT));
    if (
      (structA !== undefined || structB !== undefined) &&
      (structA === undefined || structB === undefined || !same(structA, structB))
    ) {
      this.report("changed", a, b);
      return;
    }
    for (const [k, v] of a.entries) {
      const w = after.get(canonical(k));
      if (w === undefined) this.reportAt({ kind: "key", key: k }, "removed", v, undefined);
      else this.within({ kind: "key", key: k }, v, w);
    }
    for (const [k, w] of b.entries) {
      if (!before.has(canonical(k))) this.reportAt({ kind: "key", key: k }, "added", undefined, w);
    }
  }

  /** Maps of which one at least is known only in part (cut): compared by the keys both show. */
  partialMaps(a: KnownEntries, b: KnownEntries): void {
    const before = index(a.map);
    const after = index(b.map);
    for (const [k, v] of a.map.entries) {
      const w = after.get(canonical(k));
      if (w !== undefined) this.within({ kind: "key", key: k }, v, w);
      else if (!b.cut) this.reportAt({ kind: "key", key: k }, "removed", v, undefined);
    }
    for (const [k, w] of b.map.entries) {
      if (before.has(canonical(k))) continue;
      this.reportAt({ kind: "key", key: k }, a.cut ? "changed" : "added", undefined, w);
    }
  }

  lists(a: Term[], b: Term[]): void {
    if (a.length === b.length) {
      for (let i = 0; i < a.length; i++) this.within({ kind: "index", index: i }, a[i]!, b[i]!);
      return;
    }
    const shorter = Math.min(a.length, b.length);
    let prefix = 0;
    while (prefix < shorter && same(a[prefix]!, b[prefix]!)) prefix++;
    let suffix = 0;
    while (suffix < shorter - prefix && same(a[a.length - 1 - suffix]!, b[b.length - 1 - suffix]!)) suffix++;
    const removed = a.length - prefix - suffix;
    const added = b.length - prefix - suffix;
    if (removed > 0 && added > 0) {
      this.report("changed", a, b);
      return;
    }
    for (let i = 0; i < removed; i++)
      this.reportAt({ kind: "index", index: prefix + i }, "removed", a[prefix + i], undefined);
    for (let i = 0; i < added; i++)
      this.reportAt({ kind: "index", index: prefix + i }, "added", undefined, b[prefix + i]);
  }
}

/** The differences between two terms, outermost first in the order of `before` then new parts of `after`. */
export function diffTerms(before: Term, after: Term): TermChange[] {
  const differ = new Differ();
  differ.walk(before, after);
  return differ.changes;
}

// ---------------------------------------------------------------------------------------------------------
// Printing

const FIELD = /^[\p{Ll}_][\p{L}\p{N}_]*[?!]?$/u;
const KEY_FORMAT: FormatOptions = { limit: 8, printableLimit: 80 };

function formatStep(step: PathStep): string {
  switch (step.kind) {
    case "key":
      return step.key instanceof Atom && FIELD.test(step.key.name)
        ? `.${step.key.name}`
        : `[${formatTerm(step.key, KEY_FORMAT)}]`;
    case "elem":
      return `elem ${step.index}`;
    case "index":
      return `[${step.index}]`;
  }
}

/**
 * A path in Elixir access syntax: `.balance`, `["key"]`, `[:"odd key"]`, `[3]` (a list index), and
 * `elem 2` for a tuple element, set apart by spaces: `.pending[0] elem 1 .amount`. The root is `""`.
 */
export function formatPath(path: readonly PathStep[]): string {
  let out = "";
  let previous: PathStep | undefined;
  for (const step of path) {
    const spaced = out !== "" && (step.kind === "elem" || previous?.kind === "elem");
    out += (spaced ? " " : "") + formatStep(step);
    previous = step;
  }
  return out;
}

/** One change as a line: `changed .balance: 100 -> 50`, `added ["k"]: 1`, `removed [2]: :x`. */
export function formatChange(change: TermChange, options: FormatOptions = {}): string {
  const where = formatPath(change.path) || "(the whole term)";
  const show = (t: Term | undefined): string => (t === undefined ? "" : formatTerm(t, options));
  if (change.kind === "changed") return `changed ${where}: ${show(change.before)} -> ${show(change.after)}`;
  return `${change.kind} ${where}: ${show(change.kind === "added" ? change.after : change.before)}`;
}
