/**
 * The frames the in-VM agent sends, decoded from their ETF terms into tagged objects. The protocol itself is
 * described in docs/agent-protocol.md.
 */
import { decode, decodeBody } from "../etf/decode.js";
import { formatTerm } from "../etf/format.js";
import { Atom, ErlMap, isAtom, Pid, type Term, Tuple } from "../etf/terms.js";

/** What the agent says first: who it is, its clocks, and the plan as it applied it. */
export interface AgentHello {
  node: string;
  otpRelease: string;
  /** `null` on a node running no Elixir. */
  elixirVersion: string | null;
  /** The session's tracer process. */
  session: Pid;
  /** `erlang:time_offset(nanosecond)`: a trace timestamp plus this is Erlang system time (Unix epoch, ns). */
  timeOffsetNs: bigint;
  /** The node's monotonic clock when the hello was sent. */
  monotonicNs: bigint;
  /** The plan as the agent checked it, defaults filled in. */
  plan: Term;
  /** What the agent set: functions, process flags, captured states, and what it skipped and why. */
  applied: Term;
  /** The whole `Info` map. */
  raw: ErlMap;
}

export type AgentFrame =
  /**
   * Raw trace messages and `es_state` events, oldest first; `raw` is the frame's ETF bytes. `count` is read
   * from the envelope; `events` is decoded when first read.
   */
  | { type: "events"; seq: number; count: number; readonly events: Term[]; raw: Uint8Array }
  | { type: "drops"; count: number; reason: string }
  /** Load shedding turned off a source: `{M, F, A}`, `{messages, Pid}`, `{procs, Pid}` or `{state, Pid}`. */
  | { type: "pattern_disabled"; source: Term; reason: string }
  | { type: "plan_applied"; plan: Term; applied: Term }
  | { type: "plan_rejected"; reason: Term }
  /**
   * Another tool's `erlang:trace/3` (by `caller`, on `spec`) asked for processes this session traces, with a
   * tracer of its own: on OTP 25 and 26 a process has one tracer, so the VM refused it.
   */
  | { type: "tracer_conflict"; caller: Term; spec: Term }
  /** The last frame. `stats` holds `delivered`, `dropped` (by reason), `batches`, `duration_ms`, `disabled`. */
  | { type: "stopped"; reason: Term; stats: Term }
  | { type: "unknown"; term: Term };

export class AgentProtocolError extends Error {}

const EVENTS = Atom.of("events");
const HELLO = Atom.of("hello");

function text(t: Term | undefined): string {
  if (t instanceof Uint8Array) return Buffer.from(t).toString("utf8");
  if (t instanceof Atom) return t.name;
  return formatTerm(t ?? [], { limit: 200 });
}

function big(t: Term | undefined): bigint {
  if (typeof t === "bigint") return t;
  if (typeof t === "number") return BigInt(t);
  throw new AgentProtocolError(`expected an integer, got ${formatTerm(t ?? [])}`);
}

/**
 * An `{events, Seq, [...]}` frame read by its envelope only: the tuple header, the atom, the sequence number
 * and the list's length. The events themselves are decoded on first access to `events`, so a collector that
 * only stores batches never pays for decoding them. Undefined when the bytes are not such a frame.
 */
function eventsEnvelope(bytes: Uint8Array): AgentFrame | undefined {
  // 131, SMALL_TUPLE_EXT, arity 3, then the atom `events`.
  if (bytes.length < 4 || bytes[0] !== 131 || bytes[1] !== 104 || bytes[2] !== 3) return undefined;
  try {
    const tag = decodeBody(bytes, 3);
    if (tag.term !== EVENTS) return undefined;
    const seq = decodeBody(bytes, tag.end);
    if (typeof seq.term !== "number") return undefined;
    const listTag = bytes[seq.end];
    let count: number;
    if (listTag === 106) count = 0;
    else if (listTag === 108 && seq.end + 5 <= bytes.length) {
      count = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readUInt32BE(seq.end + 1);
    } else return undefined;
    let events: Term[] | undefined;
    const listStart = seq.end;
    return {
      type: "events",
      seq: seq.term,
      count,
      raw: bytes,
      get events(): Term[] {
        if (events === undefined) {
          const list = decodeBody(bytes, listStart).term;
          if (!Array.isArray(list))
            throw new AgentProtocolError("an events frame holds no proper list of events");
          events = list;
        }
        return events;
      },
    };
  } catch {
    return undefined;
  }
}

/** Decodes one frame's bytes. Throws AgentProtocolError on bytes that are not a term. */
export function decodeFrame(bytes: Uint8Array): AgentFrame {
  const envelope = eventsEnvelope(bytes);
  if (envelope) return envelope;
  let term: Term;
  try {
    term = decode(bytes);
  } catch (err) {
    throw new AgentProtocolError(`a frame from the agent is not a term: ${(err as Error).message}`);
  }
  if (!(term instanceof Tuple)) return { type: "unknown", term };
  const [tag, a, b] = term.elements;
  switch (term.size === 0 ? "" : String(tag)) {
    case "events":
      if (tag === EVENTS && term.size === 3 && typeof a === "number" && Array.isArray(b)) {
        return { type: "events", seq: a, count: b.length, events: b, raw: bytes };
      }
      break;
    case "drops":
      if (term.size === 3 && typeof a === "number") return { type: "drops", count: a, reason: text(b) };
      break;
    case "pattern_disabled":
      if (term.size === 3) return { type: "pattern_disabled", source: a!, reason: text(b) };
      break;
    case "plan_applied":
      if (term.size === 3) return { type: "plan_applied", plan: a!, applied: b! };
      break;
    case "plan_rejected":
      if (term.size === 2) return { type: "plan_rejected", reason: a! };
      break;
    case "stopped":
      if (term.size === 3) return { type: "stopped", reason: a!, stats: b! };
      break;
    case "tracer_conflict":
      if (term.size === 3) return { type: "tracer_conflict", caller: a!, spec: b! };
      break;
  }
  return { type: "unknown", term };
}

/**
 * The hello frame's contents if `term` is a version-1 hello carrying a token `tokenOk` accepts, else a
 * sentence saying what is wrong. The token is checked before anything else is looked at.
 */
export function readHello(term: Term, tokenOk: (token: Uint8Array) => boolean): AgentHello | string {
  if (!(term instanceof Tuple) || term.size !== 4 || term.at(0) !== HELLO) {
    return `the first frame is not a hello: ${formatTerm(term, { limit: 120 })}`;
  }
  const [, version, token, info] = term.elements;
  if (!(token instanceof Uint8Array)) return "the hello carries no token";
  if (!tokenOk(token)) return "the hello carries a wrong token";
  if (version !== 1) return `unsupported agent protocol version ${formatTerm(version!)}`;
  if (!(info instanceof ErlMap)) return "the hello carries no info map";
  const get = (k: string) => info.get(Atom.of(k));
  const session = get("session");
  if (!(session instanceof Pid)) return "the hello names no session pid";
  const elixir = get("elixir_version");
  try {
    return {
      node: text(get("node")),
      otpRelease: text(get("otp_release")),
      elixirVersion: elixir === undefined || isAtom(elixir, "nil") ? null : text(elixir),
      session,
      timeOffsetNs: big(get("time_offset_ns")),
      monotonicNs: big(get("monotonic_ns")),
      plan: get("plan") ?? new ErlMap(),
      applied: get("applied") ?? new ErlMap(),
      raw: info,
    };
  } catch (err) {
    return `the hello is malformed: ${(err as Error).message}`;
  }
}
