/**
 * What a user types to name a process, on the command line or in the UI search box, and whether a recorded
 * pid or registered name is the one meant.
 *
 * Accepted forms:
 * - pids: `<0.123.0>`, `#PID<0.123.0>`, `0.123.0`, `pid(0,123,0)`, and with a node name in place of the first
 *   number, as `formatTerm` prints other nodes' pids with `localNode`: `<b@host.123.0>`;
 * - registered names: `MyApp.Teller` (the atom `Elixir.MyApp.Teller`), `Elixir.MyApp.Teller`, `:my_name`,
 *   `my_name`, quoted `:"odd name"` or Erlang's `'odd name'`.
 *
 * The first number of a pid is what the traced node's shell shows: `0` is a pid of that node (the
 * recording's main node). Any other number is a shell's index for a remote node, which means nothing outside
 * that shell, so such a ref matches a pid of any node but the main one by its id and serial.
 */
import { Atom, Pid } from "../etf/terms.js";

export type ProcessRef =
  | {
      kind: "pid";
      /** `0`: the recording's main node; another number: some other node; a string: that node's name. */
      node: number | string;
      id: number;
      serial: number;
    }
  | {
      kind: "name";
      /** The registered name's atom text, as recorded: `Elixir.MyApp.Teller`, `my_name`. */
      name: string;
    };

/** Thrown by `parseProcessRef`; the message says what was typed and what was expected. */
export class ProcessRefError extends Error {
  override readonly name = "ProcessRefError";
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(message);
  }
}

const PID_HINT = "expected <X.Y.Z> with three integers, e.g. <0.123.0>, #PID<0.123.0> or pid(0,123,0)";
const NAME_HINT =
  "expected a pid such as <0.123.0> or a registered name such as MyApp.Teller, :my_name or my_name";

const ALIAS = /^[A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*$/;
const PLAIN_NAME = /^[\p{L}_][\p{L}\p{N}_@]*[?!]?$/u;
const ERLANG_NAME = /^[a-z][A-Za-z0-9_@]*$/;
const NUMBER = /^\d+$/;

function notAPid(text: string, detail = PID_HINT): ProcessRefError {
  return new ProcessRefError(`'${text}' is not a pid: ${detail}`, text);
}

/** `X.Y.Z` where X is a number or a node name (which may hold dots), Y and Z numbers. */
function pidBody(body: string, text: string): ProcessRef {
  const parts = body.split(".").map((s) => s.trim());
  if (parts.length < 3) throw notAPid(text);
  const serialText = parts.pop()!;
  const idText = parts.pop()!;
  const nodeText = parts.join(".");
  if (!NUMBER.test(idText) || !NUMBER.test(serialText)) throw notAPid(text);
  const id = Number(idText);
  const serial = Number(serialText);
  if (!Number.isSafeInteger(id) || !Number.isSafeInteger(serial))
    throw notAPid(text, "its numbers are too large");
  let node: number | string;
  if (NUMBER.test(nodeText)) node = Number(nodeText);
  else if (/^[^\s<>()]+@[^\s<>()]+$/.test(nodeText)) node = nodeText;
  else throw notAPid(text);
  return { kind: "pid", node, id, serial };
}

const LETTER_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", s: " ", e: "\x1b", "0": "\0" };

/**
 * The text of `body` if it is one quoted atom, `"..."` or `'...'` per `quote`, with `\\`, `\"`, `\'` and the
 * common letter escapes undone; `undefined` if it is not one.
 */
function quoted(body: string, quote: string): string | undefined {
  if (body.length < 2 || body[0] !== quote) return undefined;
  let out = "";
  for (let i = 1; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === quote) return i === body.length - 1 ? out : undefined;
    if (ch === "\\") {
      const next = body[++i];
      if (next === undefined) return undefined;
      out += LETTER_ESCAPES[next] ?? next;
    } else {
      out += ch;
    }
  }
  return undefined;
}

/** Parses a pid or registered name as a user would type it; throws `ProcessRefError` otherwise. */
export function parseProcessRef(input: string): ProcessRef {
  const text = input.trim();
  if (text === "") throw new ProcessRefError(`an empty process reference: ${NAME_HINT}`, input);

  const pidSyntax = /^(?:#PID)?<(.*)>$/s.exec(text);
  if (pidSyntax) return pidBody(pidSyntax[1]!, text);
  if (text.startsWith("#PID") || text.startsWith("<")) throw notAPid(text);
  const call = /^pid\s*\((.*)\)$/s.exec(text);
  if (call) {
    const args = call[1]!.split(",").map((s) => s.trim());
    if (args.length !== 3 || !args.every((a) => NUMBER.test(a))) {
      throw notAPid(text, "expected pid(X, Y, Z) with three integers, e.g. pid(0,123,0)");
    }
    return pidBody(args.join("."), text);
  }
  if (/^[\d.\s]+$/.test(text)) return pidBody(text, text);

  if (text.startsWith(":")) {
    const rest = text.slice(1);
    const name = quoted(rest, '"') ?? quoted(rest, "'") ?? (PLAIN_NAME.test(rest) ? rest : undefined);
    if (name === undefined) throw new ProcessRefError(`'${text}' is not an atom: ${NAME_HINT}`, input);
    return { kind: "name", name };
  }
  const erlangQuoted = quoted(text, "'");
  if (erlangQuoted !== undefined) return { kind: "name", name: erlangQuoted };
  if (ALIAS.test(text)) {
    return { kind: "name", name: text === "Elixir" || text.startsWith("Elixir.") ? text : `Elixir.${text}` };
  }
  if (PLAIN_NAME.test(text) || ERLANG_NAME.test(text)) return { kind: "name", name: text };
  throw new ProcessRefError(`'${text}' is not a process: ${NAME_HINT}`, input);
}

/**
 * Whether `pid` is the process `ref` names. `localNodeName` is the recording's main node: a ref written
 * `<0.Y.Z>` matches only that node's pids (any node's when it is not given).
 */
export function pidMatches(ref: ProcessRef, pid: Pid, localNodeName?: string): boolean {
  if (ref.kind !== "pid" || pid.id !== ref.id || pid.serial !== ref.serial) return false;
  if (typeof ref.node === "string") return pid.node.name === ref.node;
  if (localNodeName === undefined) return true;
  return ref.node === 0 ? pid.node.name === localNodeName : pid.node.name !== localNodeName;
}

/** Whether a registered name (the atom or its text, e.g. `Elixir.MyApp.Teller`) is the one `ref` names. */
export function nameMatches(ref: ProcessRef, atomName: Atom | string): boolean {
  return ref.kind === "name" && ref.name === (atomName instanceof Atom ? atomName.name : atomName);
}

/** A ref as Elixir would show it: `#PID<0.123.0>`, `MyApp.Teller`, `:my_name`, `:"odd name"`. */
export function formatProcessRef(ref: ProcessRef): string {
  if (ref.kind === "pid") return `#PID<${ref.node}.${ref.id}.${ref.serial}>`;
  if (/^Elixir(?:\.[A-Z][A-Za-z0-9_]*)+$/.test(ref.name)) return ref.name.slice("Elixir.".length);
  if (PLAIN_NAME.test(ref.name)) return `:${ref.name}`;
  return `:"${ref.name.replace(/[\\"]/g, (c) => "\\" + c)}"`;
}
