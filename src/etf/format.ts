/**
 * Human-readable printing of terms, in Elixir syntax (like `inspect/2`) or Erlang syntax (like `~tp`), for
 * showing trace events and process state to a user.
 *
 * Choices worth knowing:
 * - Pids, ports and references carry node names, which an Erlang shell would show as a node index that means
 *   nothing outside that node. By default they print as the node itself shows its own ones (`#PID<0.12.0>`),
 *   which is what a user sees in the traced node's shell. Pass `localNode` to print identifiers of every
 *   other node qualified with its name instead (`#PID<b@host.12.0>`), so that two nodes' pids never look
 *   alike.
 * - Charlists print as Elixir 1.15+ and `~tp` print them: a list of ASCII-printable characters (Elixir's
 *   `List.ascii_printable?`) as `~c"hi"` in Elixir syntax, any other list of integers as a list (`[104, 233]`);
 *   in Erlang syntax, a list of printable Unicode characters as `"hi"`.
 * - Exceptions (structs with `__exception__: true`) print as IEx shows them: `%ArgumentError{message: "x"}`.
 * - Local funs print with what the encoding knows: module, index, uniq and arity (the defining function's
 *   name is not in the encoding).
 * - Terms the agent cut because they were too large (`{'$es_cut', Kind, Size, Prefix}`, see
 *   docs/agent-protocol.md) print as what they were, with their prefix and size and the word `cut`:
 *   `<<"abc"…10240 bytes, cut>>`, `%{a: 1, …20 keys, cut}`, `[1, 2, …at least 900 items, cut]`,
 *   `#Integer<5000 bytes, cut>`, Erlang's `#{a => 1,…20 keys, cut}`; `cutTerm` reads such a marker.
 * - Folding, for display: `limit` caps the items shown of each list, tuple, map or binary, the rest folded
 *   into `...` (`[1, 2, ...]`, `%{a: 1, ...}`, Erlang's `[1,2|...]`); `maxItems` caps the items shown in
 *   the whole term; `maxDepth` folds containers nested deeper into `{...}`, `[...]`, `%{...}` or
 *   `%Name{...}`; `printableLimit` caps the characters of a string (`"abc" <> ...`, `~c"abc" ++ ...`).
 */
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
  type Term,
} from "./terms.js";

export interface FormatOptions {
  syntax?: "elixir" | "erlang";
  /** The most items of a list, tuple, map or binary to print; the rest becomes `...` (default: all). */
  limit?: number;
  /** The most characters of a string or charlist to print (default 4096). */
  printableLimit?: number;
  /** The most items (of lists, tuples, maps and binaries, all together) to print; the rest `...` (default: all). */
  maxItems?: number;
  /** Containers nested deeper than this print folded: `[...]`, `{...}`, `%{...}` (default: no limit). */
  maxDepth?: number;
  /** The node whose pids/ports/refs print unqualified; others show their node. Default: none qualified. */
  localNode?: Atom | string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A float the way Erlang and Elixir print it (OTP 25 `io_lib_format:fwrite_g/1`): the shortest digits that
 * read back as the same float, placed in plain notation unless the zeros that would need costs more
 * characters than an exponent would (or the value is at least 2^53, where the trailing zeros would not be
 * significant): `1.0`, `0.1`, `100.0`, `1.0e3`, `1250.0`, `0.0001`, `1.2e-4`, `1.0e21`.
 */
export function formatFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(value);
  const [mantissa, exponentText] = abs.toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const n = digits.length;
  // value = 0.DIGITS x 10^point
  const point = Number(exponentText) + 1;
  let body: string;
  if (point === 0) {
    body = `0.${digits}`;
  } else if (point > 0 && point < n) {
    body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  } else {
    const exponent = String(point - 1);
    const scientific = `${digits[0]}.${n === 1 ? "0" : digits.slice(1)}e${exponent}`;
    const exponentCost = exponent.length + 1 + (n === 1 ? 2 : 1);
    if (point < 0) {
      body = 2 - point <= exponentCost ? `0.${"0".repeat(-point)}${digits}` : scientific;
    } else {
      const plain = point - n + 2 <= exponentCost && abs < 2 ** 53;
      body = plain ? `${digits}${"0".repeat(point - n)}.0` : scientific;
    }
  }
  return value < 0 ? `-${body}` : body;
}

function nodeName(node: Atom | string | undefined): string | undefined {
  return node instanceof Atom ? node.name : node;
}

/** `0.ID.SERIAL` for a pid of the local node (or any, without `localNode`), else `NODE.ID.SERIAL`. */
function pidBody(pid: Pid, localNode: string | undefined): string {
  const prefix = localNode === undefined || pid.node.name === localNode ? "0" : pid.node.name;
  return `${prefix}.${pid.id}.${pid.serial}`;
}

/** A pid as Elixir (`#PID<0.12.0>`) or Erlang (`<0.12.0>`) prints it; see the module notes for `localNode`. */
export function formatPid(pid: Pid, options: Pick<FormatOptions, "syntax" | "localNode"> = {}): string {
  const body = pidBody(pid, nodeName(options.localNode));
  return options.syntax === "erlang" ? `<${body}>` : `#PID<${body}>`;
}

/** A port: `#Port<0.5>`, or with its node name when it is not `localNode`. */
export function formatPort(port: Port, options: Pick<FormatOptions, "localNode"> = {}): string {
  const local = nodeName(options.localNode);
  const prefix = local === undefined || port.node.name === local ? "0" : port.node.name;
  return `#Port<${prefix}.${port.id}>`;
}

/** A reference, its ID words most significant first: `#Reference<0.1.2.3>` or Erlang's `#Ref<0.1.2.3>`. */
export function formatReference(
  ref: Reference,
  options: Pick<FormatOptions, "syntax" | "localNode"> = {},
): string {
  const local = nodeName(options.localNode);
  const prefix = local === undefined || ref.node.name === local ? "0" : ref.node.name;
  const words = [...ref.ids].reverse().join(".");
  return options.syntax === "erlang" ? `#Ref<${prefix}.${words}>` : `#Reference<${prefix}.${words}>`;
}

// ---------------------------------------------------------------------------------------------------------
// Atoms

const ELIXIR_IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_@]*[?!]?$/u;
const ELIXIR_ALIAS = /^Elixir(?:\.[A-Z][A-Za-z0-9_]*)+$/;
const ELIXIR_OPERATORS = new Set([
  "+", "-", "*", "/", "++", "--", "**", "..", "<>", "==", "!=", "===", "!==", "<", ">", "<=", ">=", "&&",
  "||", "!", "|>", "<<<", ">>>", "&&&", "|||", "~~~", "<~", "~>", "<~>", "<|>", "=~", "^", "@", "&", "\\\\",
]); // prettier-ignore

const ERLANG_RESERVED = new Set([
  "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case", "catch", "cond",
  "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive", "rem", "try", "when", "xor",
]); // prettier-ignore
const ERLANG_PLAIN_ATOM = /^[a-zß-öø-ÿ][A-Za-z0-9_@À-ÖØ-öø-ÿ]*$/;

const CHAR_ESCAPES: Record<number, string> = {
  0x07: "\\a",
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0b: "\\v",
  0x0c: "\\f",
  0x0d: "\\r",
  0x1b: "\\e",
  0x5c: "\\\\",
};

/** Escapes text for a quoted form delimited by `quote`; Elixir strings also escape `#{`. */
function escapeText(text: string, quote: string, elixir: boolean): string {
  let out = "";
  let prev = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const named = CHAR_ESCAPES[cp];
    if (named !== undefined) out += named;
    else if (ch === quote) out += "\\" + ch;
    else if (elixir && ch === "{" && prev === "#") out = out.slice(0, -1) + "\\#{";
    else if (cp < 0x20 || cp === 0x7f)
      out += elixir
        ? `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}`
        : `\\^${String.fromCharCode(cp + 64)}`;
    else out += ch;
    prev = ch;
  }
  return out;
}

function elixirAtom(a: Atom): string {
  const name = a.name;
  if (name === "nil" || name === "true" || name === "false") return name;
  if (ELIXIR_ALIAS.test(name)) return name.slice("Elixir.".length);
  if (ELIXIR_IDENTIFIER.test(name) || ELIXIR_OPERATORS.has(name)) return ":" + name;
  return `:"${escapeText(name, '"', true)}"`;
}

/** An atom as a keyword key: `a: `, `"a b": `. */
function elixirKey(a: Atom): string {
  return ELIXIR_IDENTIFIER.test(a.name) ? `${a.name}: ` : `"${escapeText(a.name, '"', true)}": `;
}

function erlangAtom(a: Atom): string {
  const name = a.name;
  if (ERLANG_PLAIN_ATOM.test(name) && !ERLANG_RESERVED.has(name)) return name;
  return `'${escapeText(name, "'", false)}'`;
}

/** An atom in the chosen syntax: `:ok`/`ok`, `:"a b"`/`'a b'`, Elixir aliases as `Enum`. */
export function formatAtom(a: Atom, options: Pick<FormatOptions, "syntax"> = {}): string {
  return options.syntax === "erlang" ? erlangAtom(a) : elixirAtom(a);
}

// ---------------------------------------------------------------------------------------------------------
// Text detection

/** Whether a code point is printable in a string (control characters only as the named escapes). */
function printableCodePoint(cp: number): boolean {
  if (cp >= 0x20 && cp < 0x7f) return true;
  if (cp < 0x20) return CHAR_ESCAPES[cp] !== undefined;
  if (cp < 0xa0) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp === 0xfffe || cp === 0xffff) return false;
  return cp <= 0x10ffff;
}

/** The text of a binary if it is valid UTF-8 made of printable characters. */
function printableText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  for (const ch of text) if (!printableCodePoint(ch.codePointAt(0)!)) return undefined;
  return text;
}

/** Whether every character is ASCII (Erlang then needs no `/utf8` suffix). */
function isAsciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e) return false;
  return true;
}

/** The text of a charlist if every element is a printable code point (and the list is not empty). */
function charlistText(items: Term[]): string | undefined {
  if (items.length === 0) return undefined;
  let text = "";
  for (const item of items) {
    if (typeof item !== "number" || !Number.isInteger(item) || !printableCodePoint(item)) return undefined;
    text += String.fromCodePoint(item);
  }
  return text;
}

/** Whether a code point is in Elixir's `List.ascii_printable?` set: ASCII text and `\a\b\t\n\v\f\r\e`. */
function asciiPrintable(cp: number): boolean {
  return (cp >= 0x20 && cp < 0x7f) || (cp >= 0x07 && cp <= 0x0d) || cp === 0x1b;
}

/** The text of a charlist as Elixir shows one: non-empty, every element `asciiPrintable`. */
function elixirCharlistText(items: Term[]): string | undefined {
  if (items.length === 0) return undefined;
  let text = "";
  for (const item of items) {
    if (typeof item !== "number" || !asciiPrintable(item)) return undefined;
    text += String.fromCharCode(item);
  }
  return text;
}

/** The first `limit` characters (code points) of `text`, and whether it was cut. */
function cut(text: string, limit: number): [string, boolean] {
  if (text.length <= limit) return [text, false];
  const chars = Array.from(text);
  return chars.length <= limit ? [text, false] : [chars.slice(0, limit).join(""), true];
}

function isKeywordList(items: Term[]): boolean {
  if (items.length === 0) return false;
  for (const item of items) {
    if (!(item instanceof Tuple) || item.size !== 2 || !(item.elements[0] instanceof Atom)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Cut terms

const CUT = "$es_cut";
const CUT_KINDS = new Set(["list", "tuple", "map", "binary", "bitstring", "integer", "fun"]);

/** A term the agent cut: what it was, its size (`atLeast` when only a lower bound is known) and its prefix. */
export interface CutTerm {
  kind: "list" | "tuple" | "map" | "binary" | "bitstring" | "integer" | "fun";
  size: number;
  atLeast: boolean;
  prefix: Term;
}

/** The cut term `{'$es_cut', Kind, Size, Prefix}` that `t` is, or undefined when it is no such marker. */
export function cutTerm(t: Term): CutTerm | undefined {
  if (!(t instanceof Tuple) || t.size !== 4) return undefined;
  const [tag, kind, size, prefix] = t.elements as [Term, Term, Term, Term];
  if (!(tag instanceof Atom) || tag.name !== CUT || !(kind instanceof Atom) || !CUT_KINDS.has(kind.name))
    return undefined;
  let n = size;
  let atLeast = false;
  if (
    n instanceof Tuple &&
    n.size === 2 &&
    n.at(0) instanceof Atom &&
    (n.at(0) as Atom).name === "at_least"
  ) {
    n = n.at(1);
    atLeast = true;
  }
  if (typeof n !== "number") return undefined;
  return { kind: kind.name as CutTerm["kind"], size: n, atLeast, prefix };
}

/** What a cut term's size counts, with the word `cut`: `20 keys, cut`, `at least 900 items, cut`. */
export function cutNote(c: CutTerm): string {
  const unit = { list: "items", tuple: "elements", map: "keys", binary: "bytes", bitstring: "bits" }[
    c.kind as "list"
  ];
  if (c.kind === "integer") return `${c.size} bytes, cut`;
  if (c.kind === "fun") return "cut";
  return `${c.atLeast ? "at least " : ""}${c.size} ${c.size === 1 ? unit.slice(0, -1) : unit}, cut`;
}

/** How many bytes of a cut binary's prefix are shown. */
const CUT_PREFIX_BYTES = 16;

// ---------------------------------------------------------------------------------------------------------

class Formatter {
  readonly erlang: boolean;
  readonly limit: number;
  readonly printableLimit: number;
  readonly maxDepth: number;
  readonly localNode: string | undefined;
  /** Items that may still be printed in the whole term (`maxItems`). */
  budget: number;
  /** How deep in containers the term being printed is: the root is at depth 0. */
  depth = 0;
  /** Item separator: `, ` in Elixir, `,` in Erlang. */
  readonly sep: string;

  constructor(options: FormatOptions) {
    this.erlang = options.syntax === "erlang";
    this.limit = Math.max(0, options.limit ?? Infinity);
    this.printableLimit = Math.max(0, options.printableLimit ?? 4096);
    this.maxDepth = Math.max(0, options.maxDepth ?? Infinity);
    this.budget = Math.max(0, options.maxItems ?? Infinity);
    this.localNode = nodeName(options.localNode);
    this.sep = this.erlang ? "," : ", ";
  }

  /** Up to `limit` items (and what is left of `maxItems`) through `show`, then `...` if some were left out. */
  items<T>(list: ArrayLike<T>, show: (item: T) => string): string[] {
    const out: string[] = [];
    this.depth++;
    for (let i = 0; i < list.length; i++) {
      if (i >= this.limit || this.budget <= 0) {
        out.push("...");
        break;
      }
      this.budget--;
      out.push(show(list[i]!));
    }
    this.depth--;
    return out;
  }

  /** Whether a container here is nested too deep to print (`maxDepth`). */
  get tooDeep(): boolean {
    return this.depth >= this.maxDepth;
  }

  term(t: Term): string {
    if (typeof t === "number" || typeof t === "bigint") return String(t);
    if (t instanceof Atom) return this.erlang ? erlangAtom(t) : elixirAtom(t);
    if (t instanceof Tuple) {
      const c = t.size === 4 ? cutTerm(t) : undefined;
      if (c) return this.cut(c);
      if (t.size > 0 && this.tooDeep) return "{...}";
      return `{${this.items(t.elements, (e) => this.term(e)).join(this.sep)}}`;
    }
    if (Array.isArray(t)) return this.list(t);
    if (t instanceof Uint8Array) return this.binary(t);
    if (t instanceof ErlFloat) return formatFloat(t.value);
    if (t instanceof ErlMap) return this.map(t);
    if (t instanceof Pid)
      return formatPid(t, { syntax: this.erlang ? "erlang" : "elixir", localNode: this.localNode });
    if (t instanceof ImproperList) return this.improper(t);
    if (t instanceof BitBinary) return this.bitBinary(t);
    if (t instanceof Reference) {
      return formatReference(t, { syntax: this.erlang ? "erlang" : "elixir", localNode: this.localNode });
    }
    if (t instanceof Port) return formatPort(t, { localNode: this.localNode });
    if (t instanceof ExportFun) return this.exportFun(t);
    if (t instanceof LocalFun) return this.localFun(t);
    return `#<not a term: ${String(t)}>`;
  }

  list(items: Term[]): string {
    if (items.length === 0) return "[]";
    if (this.erlang) {
      const text = charlistText(items);
      if (text !== undefined) {
        const [shown, wasCut] = cut(text, this.printableLimit);
        return `"${escapeText(shown, '"', false)}"${wasCut ? "..." : ""}`;
      }
      if (this.tooDeep) return "[...]";
      const parts = this.items(items, (e) => this.term(e));
      if (parts.length === 1 && parts[0] === "...") return "[...]";
      if (parts[parts.length - 1] === "...") return `[${parts.slice(0, -1).join(",")}|...]`;
      return `[${parts.join(",")}]`;
    }
    const text = elixirCharlistText(items);
    if (text !== undefined) {
      const [shown, wasCut] = cut(text, this.printableLimit);
      return `~c"${escapeText(shown, '"', true)}"${wasCut ? " ++ ..." : ""}`;
    }
    if (this.tooDeep) return "[...]";
    if (isKeywordList(items)) {
      const parts = this.items(
        items as Tuple[],
        (kv) => elixirKey(kv.elements[0] as Atom) + this.term(kv.elements[1]!),
      );
      return `[${parts.join(", ")}]`;
    }
    return `[${this.items(items, (e) => this.term(e)).join(", ")}]`;
  }

  improper(l: ImproperList): string {
    if (this.tooDeep) return "[...]";
    const parts = this.items(l.elements, (e) => this.term(e));
    if (parts[parts.length - 1] === "...") {
      if (!this.erlang || parts.length === 1) return `[${parts.join(this.sep)}]`;
      return `[${parts.slice(0, -1).join(",")}|...]`;
    }
    return this.erlang
      ? `[${parts.join(",")}|${this.term(l.tail)}]`
      : `[${parts.join(", ")} | ${this.term(l.tail)}]`;
  }

  binary(bytes: Uint8Array): string {
    const text = bytes.length > 0 ? printableText(bytes) : undefined;
    if (text !== undefined) {
      const [shown, wasCut] = cut(text, this.printableLimit);
      if (this.erlang) {
        const ascii = isAsciiText(shown);
        return `<<"${escapeText(shown, '"', false)}"${ascii ? "" : "/utf8"}${wasCut ? "..." : ""}>>`;
      }
      return `"${escapeText(shown, '"', true)}"${wasCut ? " <> ..." : ""}`;
    }
    if (bytes.length === 0) return this.erlang ? "<<>>" : '""';
    return `<<${this.items(bytes, String).join(this.sep)}>>`;
  }

  bitBinary(b: BitBinary): string {
    const n = b.bytes.length;
    if (n === 0) return this.erlang ? "<<>>" : '""';
    const whole = Array.from(b.bytes.subarray(0, n - 1), String);
    const last = b.bytes[n - 1]! >> (8 - b.bits);
    const tail = this.erlang ? `${last}:${b.bits}` : `${last}::size(${b.bits})`;
    const parts = this.items([...whole, tail], (s) => s);
    return `<<${parts.join(this.sep)}>>`;
  }

  map(m: ErlMap): string {
    const entries = m.entries;
    if (this.erlang) {
      if (entries.length > 0 && this.tooDeep) return "#{...}";
      const parts = this.items(entries, ([k, v]) => `${this.term(k)} => ${this.term(v)}`);
      return `#{${parts.join(",")}}`;
    }
    let name = "";
    let shown = entries;
    const struct = m.get(STRUCT);
    if (struct instanceof Atom && ELIXIR_ALIAS.test(struct.name)) {
      name = struct.name.slice("Elixir.".length);
      // An exception's `__exception__: true` is part of every exception struct: IEx does not show it.
      const exception = m.get(EXCEPTION) === TRUE;
      shown = entries.filter(([k]) => k !== STRUCT && !(exception && k === EXCEPTION));
    }
    if (shown.length > 0 && this.tooDeep) return `%${name}{...}`;
    const atomKeys = shown.every(([k]) => k instanceof Atom);
    const parts = this.items(shown, ([k, v]) =>
      atomKeys ? elixirKey(k as Atom) + this.term(v) : `${this.term(k)} => ${this.term(v)}`,
    );
    return `%${name}{${parts.join(", ")}}`;
  }

  /** A cut term: its prefix, as the container it was, then `…` and its size (see the module notes). */
  cut(c: CutTerm): string {
    const note = `…${cutNote(c)}`;
    const p = c.prefix;
    const withNote = (parts: string[]) => [...parts.filter((x) => x !== "..."), note].join(this.sep);
    switch (c.kind) {
      case "binary":
      case "bitstring": {
        const bytes = p instanceof Uint8Array ? p.subarray(0, CUT_PREFIX_BYTES) : new Uint8Array(0);
        if (bytes.length === 0) return `<<${note}>>`;
        const text = printableText(bytes);
        if (text !== undefined) return `<<"${escapeText(text, '"', !this.erlang)}"${note}>>`;
        return `<<${withNote(Array.from(bytes, String))}>>`;
      }
      case "integer":
        return `#Integer<${cutNote(c)}>`;
      case "fun": {
        const [m, f] = p instanceof Tuple ? p.elements : [];
        const name = m instanceof Atom && f instanceof Atom ? `${this.term(m)}.${f.name}/${c.size}` : "?";
        return `${this.erlang ? "#Fun" : "#Function"}<${name}, cut>`;
      }
      case "list":
        if (!Array.isArray(p) || this.tooDeep) return `[${note}]`;
        return `[${withNote(this.items(p, (e) => this.term(e)))}]`;
      case "tuple":
        if (!(p instanceof Tuple) || this.tooDeep) return `{${note}}`;
        return `{${withNote(this.items(p.elements, (e) => this.term(e)))}}`;
      case "map": {
        const open = this.erlang ? "#{" : "%{";
        if (!(p instanceof ErlMap) || this.tooDeep) return `${open}${note}}`;
        const atomKeys = !this.erlang && p.entries.every(([k]) => k instanceof Atom);
        const parts = this.items(p.entries, ([k, v]) =>
          atomKeys ? elixirKey(k as Atom) + this.term(v) : `${this.term(k)} => ${this.term(v)}`,
        );
        return `${open}${withNote(parts)}}`;
      }
    }
  }

  exportFun(f: ExportFun): string {
    if (this.erlang) return `fun ${erlangAtom(f.module)}:${erlangAtom(f.fun)}/${f.arity}`;
    const name = ELIXIR_IDENTIFIER.test(f.fun.name) ? f.fun.name : `"${escapeText(f.fun.name, '"', true)}"`;
    return `&${elixirAtom(f.module)}.${name}/${f.arity}`;
  }

  localFun(f: LocalFun): string {
    if (this.erlang) return `#Fun<${erlangAtom(f.module)}.${f.oldIndex}.${f.oldUniq}>`;
    return `#Function<${f.index}.${f.oldUniq}/${f.arity} in ${elixirAtom(f.module)}>`;
  }
}

const STRUCT = Atom.of("__struct__");
const EXCEPTION = Atom.of("__exception__");
const TRUE = Atom.of("true");

/**
 * A term as text: Elixir syntax by default (`{:ok, "text", [1, 2], %{a: 1}, #PID<0.12.0>}`), or Erlang
 * syntax (`{ok,<<"text">>,[1,2],#{a => 1},<0.12.0>}`). See the module notes for the options.
 */
export function formatTerm(term: Term, options: FormatOptions = {}): string {
  return new Formatter(options).term(term);
}
