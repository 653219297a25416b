/**
 * The TypeScript shape of Erlang terms.
 *
 * Every value a BEAM node can send has exactly one representation here, chosen so that a decoded term
 * re-encodes to a term the node finds `=:=` to the original:
 *
 * | Erlang                  | TypeScript                                            |
 * | ----------------------- | ----------------------------------------------------- |
 * | atom                    | `Atom` (interned: `atom("ok") === atom("ok")`)        |
 * | integer                 | `number` when it is a safe integer, else `bigint`     |
 * | float                   | `ErlFloat` (so `1.0` stays distinct from `1`)         |
 * | tuple                   | `Tuple`                                               |
 * | proper list, string     | `Term[]` (a charlist is an array of numbers)          |
 * | improper list           | `ImproperList`                                        |
 * | binary                  | `Uint8Array` (a Node `Buffer` is one)                 |
 * | bitstring               | `BitBinary`                                           |
 * | map                     | `ErlMap`                                              |
 * | pid, port, reference    | `Pid`, `Port`, `Reference`                            |
 * | fun                     | `ExportFun` (`fun m:f/a`) or `LocalFun` (a closure)   |
 *
 * Plain JavaScript strings are never terms: text going to a node is either a binary (`binary("text")`, what
 * Elixir calls a string) or a charlist (`charlist("text")`), and the caller says which.
 */

/** An Erlang atom. Atoms are interned, so identity comparison (`===`) is equality. */
export class Atom {
  private static readonly table = new Map<string, Atom>();

  private constructor(readonly name: string) {}

  /** The one `Atom` with this name. */
  static of(name: string): Atom {
    let found = Atom.table.get(name);
    if (found === undefined) {
      found = new Atom(name);
      Atom.table.set(name, found);
    }
    return found;
  }

  toString(): string {
    return this.name;
  }
}

/** Shorthand for `Atom.of(name)`. */
export function atom(name: string): Atom {
  return Atom.of(name);
}

export const TRUE = atom("true");
export const FALSE = atom("false");
export const UNDEFINED = atom("undefined");
export const NIL_ATOM = atom("nil");

/** An Erlang float. Wrapped so that `1.0` and `1` stay different terms. */
export class ErlFloat {
  constructor(readonly value: number) {}
}

/** An Erlang tuple. */
export class Tuple {
  readonly elements: Term[];
  constructor(elements: Term[]) {
    this.elements = elements;
  }
  get size(): number {
    return this.elements.length;
  }
  at(index: number): Term {
    return this.elements[index]!;
  }
}

/** Shorthand: `tuple(atom("ok"), 1)` is `{ok, 1}`. */
export function tuple(...elements: Term[]): Tuple {
  return new Tuple(elements);
}

/** A list whose tail is not `[]`, such as `[1 | 2]`. `elements` is never empty. */
export class ImproperList {
  constructor(
    readonly elements: Term[],
    readonly tail: Term,
  ) {}
}

/** A bitstring whose length is not a whole number of bytes: `bits` (1..8) of the last byte are used. */
export class BitBinary {
  constructor(
    readonly bytes: Uint8Array,
    readonly bits: number,
  ) {}
  get bitLength(): number {
    return this.bytes.length === 0 ? 0 : (this.bytes.length - 1) * 8 + this.bits;
  }
}

/** An Erlang map. Keys are any terms, compared with `termEquals`, in the order they were decoded. */
export class ErlMap {
  readonly entries: [Term, Term][];
  constructor(entries: [Term, Term][] = []) {
    this.entries = entries;
  }
  get size(): number {
    return this.entries.length;
  }
  get(key: Term): Term | undefined {
    for (const [k, v] of this.entries) if (termEquals(k, key)) return v;
    return undefined;
  }
  has(key: Term): boolean {
    return this.entries.some(([k]) => termEquals(k, key));
  }
}

/** Builds a map from an object with atom keys: `mapOf({ name: binary("x") })` is `%{name: "x"}`. */
export function mapOf(fields: Record<string, Term>): ErlMap {
  return new ErlMap(Object.entries(fields).map(([k, v]) => [atom(k), v]));
}

/** A process identifier. Printed as `<0.ID.SERIAL>` on its own node's side would show; here with the node. */
export class Pid {
  constructor(
    readonly node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {}
  toString(): string {
    return `#PID<${this.node.name}.${this.id}.${this.serial}>`;
  }
}

/** A port identifier. `id` is a bigint because V4 ports carry 64 bits. */
export class Port {
  constructor(
    readonly node: Atom,
    readonly id: bigint,
    readonly creation: number,
  ) {}
  toString(): string {
    return `#Port<${this.node.name}.${this.id}>`;
  }
}

/** A reference: a node, its creation, and 1 to 5 32-bit words. */
export class Reference {
  constructor(
    readonly node: Atom,
    readonly creation: number,
    readonly ids: readonly number[],
  ) {}
  toString(): string {
    return `#Reference<${this.node.name}.${[...this.ids].reverse().join(".")}>`;
  }
}

/** `fun Module:Function/Arity`. */
export class ExportFun {
  constructor(
    readonly module: Atom,
    readonly fun: Atom,
    readonly arity: number,
  ) {}
}

/** A closure (`NEW_FUN_EXT`), kept field by field so that it can be sent back unchanged. */
export class LocalFun {
  constructor(
    readonly arity: number,
    readonly uniq: Uint8Array,
    readonly index: number,
    readonly module: Atom,
    readonly oldIndex: number,
    readonly oldUniq: number,
    readonly pid: Pid,
    readonly freeVars: Term[],
  ) {}
}

export type Term =
  | number
  | bigint
  | ErlFloat
  | Atom
  | Tuple
  | Term[]
  | ImproperList
  | Uint8Array
  | BitBinary
  | ErlMap
  | Pid
  | Port
  | Reference
  | ExportFun
  | LocalFun;

/** An Elixir string: a UTF-8 binary. */
export function binary(text: string): Uint8Array {
  return Buffer.from(text, "utf8");
}

/** An Erlang string: a list of code points. */
export function charlist(text: string): number[] {
  return Array.from(text, (ch) => ch.codePointAt(0)!);
}

export function isAtom(t: Term, name?: string): t is Atom {
  return t instanceof Atom && (name === undefined || t.name === name);
}

export function isInteger(t: Term): t is number | bigint {
  return typeof t === "bigint" || (typeof t === "number" && Number.isInteger(t));
}

/** A bigint that fits a safe JS integer becomes a number: the canonical form of an integer term. */
export function normalizeInteger(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function listEquals(a: Term[], b: Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!termEquals(a[i]!, b[i]!)) return false;
  return true;
}

/** Exact equality, Erlang's `=:=`: integers and floats are never equal to each other. */
export function termEquals(a: Term, b: Term): boolean {
  if (a === b) return true;
  if (typeof a === "number" || typeof a === "bigint") {
    return (typeof b === "number" || typeof b === "bigint") && BigInt(a) === BigInt(b);
  }
  if (a instanceof ErlFloat) return b instanceof ErlFloat && a.value === b.value;
  if (a instanceof Atom) return false; // interned: identity already checked
  if (Array.isArray(a)) return Array.isArray(b) && listEquals(a, b);
  if (a instanceof Tuple) return b instanceof Tuple && listEquals(a.elements, b.elements);
  if (a instanceof ImproperList) {
    return b instanceof ImproperList && listEquals(a.elements, b.elements) && termEquals(a.tail, b.tail);
  }
  if (a instanceof BitBinary)
    return b instanceof BitBinary && a.bits === b.bits && bytesEqual(a.bytes, b.bytes);
  if (a instanceof Uint8Array) return b instanceof Uint8Array && bytesEqual(a, b);
  if (a instanceof ErlMap) {
    return (
      b instanceof ErlMap &&
      a.size === b.size &&
      a.entries.every(([k, v]) => b.has(k) && termEquals(v, b.get(k)!))
    );
  }
  if (a instanceof Pid) {
    return (
      b instanceof Pid &&
      a.node === b.node &&
      a.id === b.id &&
      a.serial === b.serial &&
      a.creation === b.creation
    );
  }
  if (a instanceof Port)
    return b instanceof Port && a.node === b.node && a.id === b.id && a.creation === b.creation;
  if (a instanceof Reference) {
    return (
      b instanceof Reference &&
      a.node === b.node &&
      a.creation === b.creation &&
      listEquals([...a.ids], [...b.ids])
    );
  }
  if (a instanceof ExportFun) {
    return b instanceof ExportFun && a.module === b.module && a.fun === b.fun && a.arity === b.arity;
  }
  if (a instanceof LocalFun) {
    return (
      b instanceof LocalFun &&
      a.module === b.module &&
      a.index === b.index &&
      a.arity === b.arity &&
      bytesEqual(a.uniq, b.uniq) &&
      termEquals(a.pid, b.pid) &&
      listEquals(a.freeVars, b.freeVars)
    );
  }
  return false;
}
