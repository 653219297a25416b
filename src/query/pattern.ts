/**
 * Elixir match patterns over recorded terms, for `elixirscope query ... --pattern '{:transfer, _, _}'` and
 * the UI's search box: `parsePattern` reads the text once, `matches` (or `match`, which also returns what
 * the variables bound) tests a term against it, `patternToString` prints a pattern back.
 *
 * The syntax is Elixir's, and a term matches when Elixir's `match?/2` would say so, with these choices:
 * - `_` and `_name` match anything and bind nothing (Elixir binds `_name`, and warns when it repeats);
 *   `x` binds, and a repeated `x` must be the same term each time; there is no `^` (no outside values);
 * - literals: atoms (`:ok`, `:"a b"`, `true`, `nil`, aliases `MyApp.Bank`), integers (`-1`, `1_000`,
 *   `0x1F`, `0b101`, `0o17`, `?a`), floats (`1.5`, `1.0e3`; `1` never matches `1.0`), strings (`"a\n"`,
 *   binaries), charlists (`'abc'`, `~c"abc"`), binaries of bytes (`<<1, 2>>`), pids (`#PID<0.12.0>`, `<0.12.0>`,
 *   `pid(0,12,0)`, compared as in `process-ref.ts`);
 * - containers: tuples, lists (`[h | t]` also matches an improper list's tail; keyword lists `[a: 1, b: _]`),
 *   maps (`%{id: 1, "k" => _}`: the listed keys must be present, others may be; keys must be literals),
 *   structs (`%MyApp.Account{id: 1}`, `%_{}` any struct, `%mod{}` binds the struct's module);
 * - `"abc" <> rest` matches a binary starting with `abc`; `p1 = p2` matches what both match.
 */
import { formatAtom, formatTerm } from "../etf/format.js";
import {
  Atom,
  ErlFloat,
  ErlMap,
  ImproperList,
  Pid,
  Tuple,
  atom,
  normalizeInteger,
  termEquals,
  type Term,
} from "../etf/terms.js";
import {
  formatProcessRef,
  parseProcessRef,
  pidMatches,
  ProcessRefError,
  type ProcessRef,
} from "./process-ref.js";

export type Pattern =
  /** `_` or `_name` (the name kept only for printing). */
  | { kind: "any"; name?: string }
  | { kind: "var"; name: string }
  /** An atom, number, binary, charlist, or a constant tuple or list used as a map key. */
  | { kind: "literal"; value: Term }
  | { kind: "pid"; ref: Extract<ProcessRef, { kind: "pid" }> }
  | { kind: "tuple"; elements: Pattern[] }
  /** `[a, b]`, or with `tail`, `[a, b | tail]`. */
  | { kind: "list"; elements: Pattern[]; tail?: Pattern }
  /** `%{...}`; with `struct`, `%Name{...}`, which the `__struct__` value must match. */
  | { kind: "map"; struct?: Pattern; entries: { key: Term; value: Pattern }[] }
  /** `"prefix" <> rest`: `rest` is matched against the bytes after the prefix. */
  | { kind: "binaryPrefix"; prefix: Uint8Array; rest: Pattern }
  /** `left = right`. */
  | { kind: "both"; left: Pattern; right: Pattern };

/** Thrown by `parsePattern`: `column` (1-based) is where reading stopped. */
export class PatternError extends Error {
  override readonly name = "PatternError";
  constructor(
    message: string,
    readonly pattern: string,
    readonly column: number,
  ) {
    super(message);
  }
}

export interface MatchOptions {
  /** The recording's main node: `#PID<0.Y.Z>` then matches only its pids (see `pidMatches`). */
  localNode?: string;
}

const STRUCT = atom("__struct__");

// ---------------------------------------------------------------------------------------------------------
// Reading

const KEYWORD_KEY = /[\p{L}_][\p{L}\p{N}_@]*[?!]?:(?!:)/uy;
const ATOM_NAME = /[\p{L}_][\p{L}\p{N}_@]*[?!]?/uy;
const VARIABLE = /[\p{Ll}_][\p{L}\p{N}_]*[?!]?/uy;
const ALIAS = /[A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*/y;
const FLOAT = /\d(?:_?\d)*\.\d(?:_?\d)*(?:[eE][+-]?\d+)?/y;
const INTEGER = /0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|0o[0-7](?:_?[0-7])*|0b[01](?:_?[01])*|\d(?:_?\d)*/y;
const WORD = /[\p{L}\p{N}_@?!]+/uy;
// Longest first, so that `:<<<` is not read as `:<` and more.
const OPERATOR_ATOMS = [
  "<<<", ">>>", "&&&", "|||", "~~~", "===", "!==", "<~>", "<|>", "\\\\", "++", "--", "**", "..", "<>", "==",
  "!=", "<=", ">=", "&&", "||", "|>", "<~", "~>", "=~", "+", "-", "*", "/", "<", ">", "!", "^", "@", "&",
]; // prettier-ignore
const SIGIL_CLOSERS: Record<string, string> = { '"': '"', "'": "'", "(": ")", "[": "]", "{": "}", "<": ">", "|": "|", "/": "/" }; // prettier-ignore
const LETTER_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, e: 27, a: 7, b: 8, f: 12, v: 11, "0": 0, s: 32 }; // prettier-ignore

/** One character of a quoted text: a code point, or (from `\xHH`) a raw byte. */
interface TextUnit {
  code: number;
  rawByte: boolean;
}

function bytesOf(units: TextUnit[]): Uint8Array {
  const out: number[] = [];
  for (const u of units) {
    if (u.rawByte) out.push(u.code);
    else out.push(...Buffer.from(String.fromCodePoint(u.code), "utf8"));
  }
  return Uint8Array.from(out);
}

function textOf(units: TextUnit[]): string {
  return String.fromCodePoint(...units.map((u) => u.code));
}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  column(at: number): number {
    return Array.from(this.text.slice(0, at)).length + 1;
  }

  error(message: string, at = this.pos): PatternError {
    const column = this.column(at);
    return new PatternError(`${message} at column ${column} in pattern ${this.text}`, this.text, column);
  }

  /** `expected WHAT, found "x" at column N in pattern P` (no "found" at the end of the text). */
  expected(what: string, at = this.pos): PatternError {
    if (at >= this.text.length) return this.error(`expected ${what}`, at);
    WORD.lastIndex = at;
    const word = WORD.exec(this.text);
    const found = word ? word[0] : String.fromCodePoint(this.text.codePointAt(at)!);
    return this.error(`expected ${what}, found ${JSON.stringify(found)}`, at);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** After spaces, whether the text continues with `s` (and consumes it if so). */
  eat(s: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  sticky(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  whole(): Pattern {
    this.skipSpace();
    if (this.pos >= this.text.length) throw this.error("expected a pattern, such as {:ok, _}");
    const p = this.match();
    this.skipSpace();
    if (/^when\b/.test(this.text.slice(this.pos))) throw this.error("guards (when ...) are not supported");
    if (this.pos < this.text.length) throw this.expected("the end of the pattern");
    return p;
  }

  /** `p = p = ...` */
  match(): Pattern {
    const left = this.concat();
    this.skipSpace();
    const rest = this.text.slice(this.pos, this.pos + 2);
    if (rest[0] === "=" && rest !== "=>" && rest !== "==" && rest !== "=~") {
      this.pos++;
      return { kind: "both", left, right: this.match() };
    }
    return left;
  }

  /** `"prefix" <> rest`, or a primary pattern. */
  concat(): Pattern {
    this.skipSpace();
    const start = this.pos;
    const left = this.primary();
    if (!this.eat("<>")) return left;
    if (left.kind !== "literal" || !(left.value instanceof Uint8Array)) {
      throw this.error('the left side of "<>" must be a string, such as "abc" <> rest', start);
    }
    this.skipSpace();
    const restStart = this.pos;
    const right = this.concat();
    if (right.kind === "literal" && right.value instanceof Uint8Array) {
      return { kind: "literal", value: Buffer.concat([left.value, right.value]) };
    }
    if (right.kind === "binaryPrefix") {
      return { kind: "binaryPrefix", prefix: Buffer.concat([left.value, right.prefix]), rest: right.rest };
    }
    if (right.kind !== "any" && right.kind !== "var") {
      throw this.error('the right side of "<>" must be a variable, _ or a string', restStart);
    }
    return { kind: "binaryPrefix", prefix: left.value, rest: right };
  }

  primary(): Pattern {
    this.skipSpace();
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === undefined) throw this.expected("a pattern");
    switch (c) {
      case "{":
        this.pos++;
        return { kind: "tuple", elements: this.sequence("}") };
      case "[":
        this.pos++;
        return this.list();
      case "%":
        this.pos++;
        return this.map();
      case "#":
        if (!this.text.startsWith("#PID<", this.pos)) throw this.expected("#PID<X.Y.Z>");
        return this.pid(">");
      case "<":
        if (this.text.startsWith("<<", this.pos)) return this.bytes();
        return this.pid(">");
      case ":":
        this.pos++;
        return { kind: "literal", value: this.atomAfterColon() };
      case '"':
        return { kind: "literal", value: bytesOf(this.quoted('"', '"', start)) };
      case "'":
        return { kind: "literal", value: this.quoted("'", "'", start).map((u) => u.code) };
      case "~":
        return this.sigil();
      case "?":
        return { kind: "literal", value: this.charCode() };
      case "^":
        throw this.error("the pin operator ^ is not supported: a pattern cannot refer to outside values");
    }
    if (c === "-" || /\d/.test(c)) return { kind: "literal", value: this.number() };
    if (/[A-Z]/.test(c)) return { kind: "literal", value: this.alias() };
    const word = this.sticky(VARIABLE);
    if (word === undefined) throw this.expected("a pattern");
    if (word === "true" || word === "false" || word === "nil") return { kind: "literal", value: atom(word) };
    if (word === "pid" && this.text[this.pos] === "(") {
      this.pos = start;
      return this.pid(")");
    }
    if (word === "_") return { kind: "any" };
    if (word.startsWith("_")) return { kind: "any", name: word };
    if (word.endsWith("?") || word.endsWith("!")) throw this.error(`${word} is not a variable name`, start);
    return { kind: "var", name: word };
  }

  /** Patterns separated by commas up to `close` (the opening bracket already read). */
  sequence(close: string): Pattern[] {
    const out: Pattern[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.match());
      if (this.eat(",")) continue;
      if (this.eat(close)) return out;
      throw this.expected(`"," or "${close}"`);
    }
  }

  /** `key: ` as a keyword key (`name:`, `"odd name":`), consumed; undefined (nothing consumed) if not one. */
  keywordKey(): Atom | undefined {
    this.skipSpace();
    const word = this.sticky(KEYWORD_KEY);
    if (word !== undefined) return atom(word.slice(0, -1));
    if (this.text[this.pos] !== '"') return undefined;
    const start = this.pos;
    const units = this.quoted('"', '"', start);
    if (this.text[this.pos] === ":" && this.text[this.pos + 1] !== ":") {
      this.pos++;
      return atom(textOf(units));
    }
    this.pos = start;
    return undefined;
  }

  list(): Pattern {
    const elements: Pattern[] = [];
    if (this.eat("]")) return { kind: "list", elements };
    let keywords = false;
    for (;;) {
      const key = this.keywordKey();
      if (key !== undefined) {
        keywords = true;
        elements.push({ kind: "tuple", elements: [{ kind: "literal", value: key }, this.match()] });
      } else if (keywords) {
        throw this.expected("a keyword key such as name: (keyword entries come last in a list)");
      } else {
        elements.push(this.match());
      }
      if (this.eat(",")) continue;
      if (this.eat("]")) return { kind: "list", elements };
      if (!keywords && this.eat("|")) {
        const tail = this.match();
        if (!this.eat("]")) throw this.expected('"]" after the tail of a list');
        return { kind: "list", elements, tail };
      }
      throw this.expected(keywords ? '"," or "]"' : '",", "|" or "]"');
    }
  }

  /** After `%`: `{...}` or `Name{...}`. */
  map(): Pattern {
    this.skipSpace();
    let struct: Pattern | undefined;
    if (this.text[this.pos] !== "{") {
      const start = this.pos;
      const c = this.text[this.pos] ?? "";
      if (/[A-Z]/.test(c)) struct = { kind: "literal", value: this.alias() };
      else if (/[\p{Ll}_]/u.test(c)) {
        struct = this.primary();
        if (struct.kind !== "var" && struct.kind !== "any") throw this.expected("a struct name", start);
      } else throw this.expected('"{" or a struct name such as MyApp.Account');
      if (!this.eat("{")) throw this.expected('"{" after the struct name');
    } else {
      this.pos++;
    }
    const entries: { key: Term; value: Pattern }[] = [];
    const done = (): Pattern => (struct ? { kind: "map", struct, entries } : { kind: "map", entries });
    if (this.eat("}")) return done();
    let keywords = false;
    for (;;) {
      const key = this.keywordKey();
      if (key !== undefined) {
        keywords = true;
        entries.push({ key, value: this.match() });
      } else if (keywords) {
        throw this.expected("a keyword key such as name: (keyword entries come last in a map)");
      } else {
        this.skipSpace();
        const keyStart = this.pos;
        const keyTerm = this.literalTerm(this.concat(), keyStart);
        if (!this.eat("=>")) throw this.expected('"=>"');
        entries.push({ key: keyTerm, value: this.match() });
      }
      if (this.eat(",")) continue;
      if (this.eat("}")) return done();
      throw this.expected('"," or "}"');
    }
  }

  /** The term a map key pattern stands for; keys cannot hold variables. */
  literalTerm(p: Pattern, at: number): Term {
    switch (p.kind) {
      case "literal":
        return p.value;
      case "tuple":
        return new Tuple(p.elements.map((e) => this.literalTerm(e, at)));
      case "list":
        if (p.tail === undefined) return p.elements.map((e) => this.literalTerm(e, at));
        break;
    }
    throw this.error("a map key in a pattern must be a literal (no variables, _ or pids)", at);
  }

  /** `#PID<...>`, `<...>` or `pid(...)`, up to `close`, read by `parseProcessRef`. */
  pid(close: string): Pattern {
    const start = this.pos;
    const end = this.text.indexOf(close, start);
    if (end < 0) throw this.error(`expected "${close}" to close the pid`, this.text.length);
    const text = this.text.slice(start, end + 1);
    let ref: ProcessRef;
    try {
      ref = parseProcessRef(text);
    } catch (e) {
      if (e instanceof ProcessRefError) throw this.error(e.message, start);
      throw e;
    }
    if (ref.kind !== "pid") throw this.error(`'${text}' is not a pid`, start);
    this.pos = end + 1;
    return { kind: "pid", ref };
  }

  /** `<<1, 2, "text">>`: a binary of bytes and strings (no typed segments). */
  bytes(): Pattern {
    this.pos += 2;
    const parts: Uint8Array[] = [];
    if (this.eat(">>")) return { kind: "literal", value: new Uint8Array(0) };
    for (;;) {
      this.skipSpace();
      const start = this.pos;
      const c = this.text[this.pos];
      if (c === '"') parts.push(bytesOf(this.quoted('"', '"', start)));
      else if (c !== undefined && /\d/.test(c)) {
        const n = this.number();
        if (typeof n !== "number" || !Number.isInteger(n) || n > 255) {
          throw this.error("a byte in <<...>> must be an integer from 0 to 255", start);
        }
        parts.push(Uint8Array.of(n));
      } else throw this.expected("a byte (0..255) or a string");
      if (this.eat("::")) {
        throw this.error(
          'typed binary segments (::) are not supported; write "prefix" <> rest',
          this.pos - 2,
        );
      }
      if (this.eat(",")) continue;
      if (this.eat(">>")) return { kind: "literal", value: Buffer.concat(parts) };
      throw this.expected('"," or ">>"');
    }
  }

  atomAfterColon(): Atom {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return atom(textOf(this.quoted(c, c, this.pos)));
    const name = this.sticky(ATOM_NAME);
    if (name !== undefined) return atom(name);
    for (const op of OPERATOR_ATOMS) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        return atom(op);
      }
    }
    throw this.expected('an atom name after ":", such as :ok or :"two words"');
  }

  /** `MyApp.Bank` as the atom `Elixir.MyApp.Bank` (`Elixir.MyApp.Bank` too). */
  alias(): Atom {
    const start = this.pos;
    const name = this.sticky(ALIAS)!;
    if (this.text[this.pos] === "." && /[\p{Ll}_]/u.test(this.text[this.pos + 1] ?? "")) {
      throw this.error(`${this.text.slice(start, this.pos + 1)}... is a function call, not a pattern`, start);
    }
    return atom(name === "Elixir" || name.startsWith("Elixir.") ? name : `Elixir.${name}`);
  }

  number(): Term {
    const start = this.pos;
    const negative = this.text[this.pos] === "-";
    if (negative) this.pos++;
    if (!/\d/.test(this.text[this.pos] ?? "")) throw this.expected("a number after -", this.pos);
    const float = this.sticky(FLOAT);
    if (float !== undefined) {
      const value = Number(float.replace(/_/g, ""));
      if (!Number.isFinite(value)) throw this.error(`the float ${float} is too large`, start);
      return new ErlFloat(negative ? -value : value);
    }
    const digits = this.sticky(INTEGER)!.replace(/_/g, "");
    const n = BigInt(digits);
    return normalizeInteger(negative ? -n : n);
  }

  /** `?a`, `?\n`: a character's code point. */
  charCode(): number {
    const start = this.pos;
    this.pos++;
    if (this.pos >= this.text.length) throw this.expected("a character after ?");
    if (this.text[this.pos] === "\\") return this.escape(start).code;
    const cp = this.text.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** `~c"..."` (also with ' ( [ { < | / delimiters) as a charlist, `~s"..."` as a string. */
  sigil(): Pattern {
    const start = this.pos;
    const letter = this.text[this.pos + 1];
    const open = this.text[this.pos + 2] ?? "";
    const close = SIGIL_CLOSERS[open];
    if ((letter !== "c" && letter !== "s") || close === undefined) {
      throw this.expected('a ~c"..." charlist or ~s"..." string', start);
    }
    this.pos += 2;
    const units = this.quoted(open, close, start);
    return { kind: "literal", value: letter === "c" ? units.map((u) => u.code) : bytesOf(units) };
  }

  /** A quoted text from `open` to `close`, with Elixir's escapes; interpolation is refused. */
  quoted(open: string, close: string, start: number): TextUnit[] {
    this.pos += open.length;
    const units: TextUnit[] = [];
    for (;;) {
      if (this.pos >= this.text.length)
        throw this.error(`expected a closing ${close} for the text started`, start);
      const c = this.text[this.pos]!;
      if (c === close) {
        this.pos++;
        return units;
      }
      if (c === "\\") {
        units.push(this.escape(start));
      } else if (c === "#" && this.text[this.pos + 1] === "{") {
        throw this.error("interpolation #{...} is not allowed in a pattern");
      } else {
        const cp = this.text.codePointAt(this.pos)!;
        units.push({ code: cp, rawByte: false });
        this.pos += cp > 0xffff ? 2 : 1;
      }
    }
  }

  /** At a backslash: one escape sequence. */
  escape(start: number): TextUnit {
    const at = this.pos;
    this.pos++;
    const c = this.text[this.pos];
    if (c === undefined) throw this.error("expected a character after \\ in the text started", start);
    this.pos++;
    const hex = (re: RegExp, what: string): number => {
      const digits = this.sticky(re);
      if (digits === undefined) throw this.error(`expected ${what} after \\${c}`, at);
      return parseInt(digits.replace(/[{}]/g, ""), 16);
    };
    if (c === "x") {
      if (this.text[this.pos] === "{") {
        return { code: hex(/\{[0-9A-Fa-f]{1,6}\}/y, "{hex digits}"), rawByte: false };
      }
      return { code: hex(/[0-9A-Fa-f]{1,2}/y, "hex digits"), rawByte: true };
    }
    if (c === "u") {
      const cp = hex(/\{[0-9A-Fa-f]{1,6}\}|[0-9A-Fa-f]{4}/y, "four hex digits or {hex digits}");
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        throw this.error(`\\u${cp} is not a code point`, at);
      return { code: cp, rawByte: false };
    }
    const named = LETTER_ESCAPES[c];
    if (named !== undefined) return { code: named, rawByte: false };
    const cp = this.text.codePointAt(this.pos - 1)!;
    if (cp > 0xffff) this.pos++;
    return { code: cp, rawByte: false };
  }
}

/** Reads a pattern; throws `PatternError` naming the column and what was expected there. */
export function parsePattern(text: string): Pattern {
  return new Reader(text).whole();
}

// ---------------------------------------------------------------------------------------------------------
// Matching

/** What is left of a list (proper or not) after its first `n` elements. */
function listTail(t: Term[] | ImproperList, n: number): Term {
  if (Array.isArray(t)) return t.slice(n);
  return t.elements.length === n ? t.tail : new ImproperList(t.elements.slice(n), t.tail);
}

function bind(p: Pattern, t: Term, vars: Map<string, Term>, localNode: string | undefined): boolean {
  switch (p.kind) {
    case "any":
      return true;
    case "var": {
      const bound = vars.get(p.name);
      if (bound !== undefined) return termEquals(bound, t);
      vars.set(p.name, t);
      return true;
    }
    case "literal":
      return termEquals(p.value, t);
    case "pid":
      return t instanceof Pid && pidMatches(p.ref, t, localNode);
    case "tuple":
      return (
        t instanceof Tuple &&
        t.size === p.elements.length &&
        p.elements.every((e, i) => bind(e, t.elements[i]!, vars, localNode))
      );
    case "list": {
      const n = p.elements.length;
      const items = Array.isArray(t) ? t : t instanceof ImproperList ? t.elements : undefined;
      if (items === undefined) return false;
      if (p.tail === undefined ? !Array.isArray(t) || items.length !== n : items.length < n) return false;
      for (let i = 0; i < n; i++) if (!bind(p.elements[i]!, items[i]!, vars, localNode)) return false;
      if (p.tail === undefined || p.tail.kind === "any") return true;
      return bind(p.tail, listTail(t as Term[] | ImproperList, n), vars, localNode);
    }
    case "map": {
      if (!(t instanceof ErlMap)) return false;
      if (p.struct !== undefined) {
        const name = t.get(STRUCT);
        if (!(name instanceof Atom) || !bind(p.struct, name, vars, localNode)) return false;
      }
      for (const { key, value } of p.entries) {
        const found = t.get(key);
        if (found === undefined || !bind(value, found, vars, localNode)) return false;
      }
      return true;
    }
    case "binaryPrefix": {
      if (!(t instanceof Uint8Array) || t.length < p.prefix.length) return false;
      for (let i = 0; i < p.prefix.length; i++) if (t[i] !== p.prefix[i]) return false;
      return bind(p.rest, t.subarray(p.prefix.length), vars, localNode);
    }
    case "both":
      return bind(p.left, t, vars, localNode) && bind(p.right, t, vars, localNode);
  }
}

/** What the pattern's variables bound if `t` matches, else undefined. */
export function match(p: Pattern, t: Term, options: MatchOptions = {}): Map<string, Term> | undefined {
  const vars = new Map<string, Term>();
  return bind(p, t, vars, options.localNode) ? vars : undefined;
}

/** Whether `t` matches the pattern. */
export function matches(p: Pattern, t: Term, options: MatchOptions = {}): boolean {
  return match(p, t, options) !== undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Printing

const KEY_IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_@]*[?!]?$/u;
const ELIXIR_ALIAS = /^Elixir(?:\.[A-Z][A-Za-z0-9_]*)+$/;

function literal(t: Term): string {
  return formatTerm(t, { printableLimit: Infinity });
}

/** The pattern in Elixir syntax; `parsePattern` reads it back to a pattern that matches the same terms. */
export function patternToString(p: Pattern): string {
  switch (p.kind) {
    case "any":
      return p.name ?? "_";
    case "var":
      return p.name;
    case "literal":
      return literal(p.value);
    case "pid":
      return formatProcessRef(p.ref);
    case "tuple":
      return `{${p.elements.map(patternToString).join(", ")}}`;
    case "list": {
      const items = p.elements.map(patternToString).join(", ");
      return p.tail === undefined ? `[${items}]` : `[${items} | ${patternToString(p.tail)}]`;
    }
    case "map": {
      const arrows: string[] = [];
      const keywords: string[] = [];
      for (const { key, value } of p.entries) {
        if (key instanceof Atom && KEY_IDENTIFIER.test(key.name))
          keywords.push(`${key.name}: ${patternToString(value)}`);
        else
          arrows.push(`${key instanceof Atom ? formatAtom(key) : literal(key)} => ${patternToString(value)}`);
      }
      let name = "";
      if (p.struct !== undefined) {
        const s = p.struct;
        name =
          s.kind === "literal" && s.value instanceof Atom && ELIXIR_ALIAS.test(s.value.name)
            ? s.value.name.slice("Elixir.".length)
            : patternToString(s);
      }
      return `%${name}{${[...arrows, ...keywords].join(", ")}}`;
    }
    case "binaryPrefix":
      return `${literal(p.prefix)} <> ${patternToString(p.rest)}`;
    case "both":
      return `${patternToString(p.left)} = ${patternToString(p.right)}`;
  }
}
