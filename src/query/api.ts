/**
 * The query engine's public shape: what a recording can be asked, and what the answers look like. The CLI
 * (`elixirscope query`), the Cinema UI's server and library users all ask through this interface, never
 * by reading the recording file themselves. Answers are plain JSON-ready objects: terms come as Elixir
 * text (`text`, folded when large) and, where a caller may want to expand them, as a `TermRef` to fetch.
 *
 * Positions in a recording are event sequence numbers (`Seq`, 0-based, in the order the agent recorded
 * them) and times are nanoseconds since the recording's first event (`ns`).
 */
import type { Term } from "../etf/terms.js";

/** A global event sequence number. */
export type Seq = number;
/** A process's number inside one recording (stable for the recording, not a BEAM pid). */
export type ProcId = number;

export type EventKind =
  | "call"
  | "return"
  | "exception"
  | "send"
  | "send_dead"
  | "receive"
  | "spawn"
  | "spawned"
  | "exit"
  | "link"
  | "unlink"
  | "getting_linked"
  | "getting_unlinked"
  | "register"
  | "unregister"
  | "state"
  | "monitor"
  | "demonitor"
  /** A `receive ... after` that fired: no message came in time (not a message, not in the mailbox). */
  | "timeout";

export interface RecordingInfo {
  path: string;
  formatVersion: number;
  node: string;
  otpRelease: string;
  elixirVersion: string | null;
  /** Wall-clock time of the first event, ISO 8601. */
  startedAt: string;
  durationNs: number;
  events: number;
  processes: number;
  /** Events the agent could not record, by reason. */
  drops: Record<string, number>;
  /** How the recording ended ("the agent stopped (:stop)", ...); null when it was cut off. */
  ended: string | null;
  /** False when the recording was cut off (the recorder died): everything up to the last batch is there. */
  complete: boolean;
  /** How it was rebuilt by `elixirscope recover`, or null. */
  recovered: string | null;
  /** What the recording lacks on purpose, as sentences (`the returns of M.f/1: why`): the agent's `applied.skipped`. */
  skipped: string[];
  /** Other tools' tracing the VM refused because the recording held the processes (one tracer a process). */
  conflicts: string[];
}

export interface ProcessInfo {
  id: ProcId;
  /** As Erlang prints it: `<0.123.0>`. */
  pid: string;
  node: string;
  /** The last registered name it had, Elixir-style (`SampleApp.Bank`), or null. */
  name: string | null;
  /** `genserver`, `gen_statem`, `supervisor`, `task` or `process`. */
  behaviour: string;
  /** The spawning process, when the spawn was recorded. */
  parent: ProcId | null;
  /** The nearest supervisor among its ancestors. */
  supervisor: ProcId | null;
  /** The OTP application it belongs to (`sample_app`), when known. */
  application: string | null;
  /** When a supervisor restarted a child: the process this one replaced. */
  restartOf: ProcId | null;
  initialCall: string | null;
  spawnSeq: Seq | null;
  exitSeq: Seq | null;
  /** Formatted exit reason, or null while alive at the end of the recording. */
  exitReason: string | null;
  /** True for an exit that is a crash (not `:normal`, `:shutdown` or `{:shutdown, _}`). */
  crashed: boolean;
  firstSeq: Seq;
  lastSeq: Seq;
  events: number;
}

/** One process's hold of a registered name: from its registration (null: held when recording began) to when it lost it. */
export interface NameHolder {
  process: ProcessInfo;
  from: Seq | null;
  /** Its unregistration, its exit, or the next holder's registration; null while held at the end. */
  to: Seq | null;
}

/**
 * What is known of a process's mailbox just after an event. A GenServer or gen_statem whose states are
 * recorded says which message each callback handled (`basis` "states"): the mailbox is the messages received
 * and not yet handled. For any other process (`basis` "since_last_action") ingest cannot know when a message
 * is taken, so only the messages received since the last thing it was seen doing (`since`: a call, a send,
 * ...) are listed: waiting or being handled, not known which.
 */
export interface MailboxView {
  proc: ProcId;
  at: Seq;
  basis: "states" | "since_last_action";
  /** For "since_last_action": the process's last recorded action at or before `at`; null when none was. */
  since: Seq | null;
  /** When the process had exited by `at`: its exit event (it then had no mailbox). */
  exitSeq: Seq | null;
  exitReason: string | null;
  messages: MessageRow[];
}

/** A process monitor: `watcher` watches `target` (it gets a `:DOWN` when the target exits). */
export interface MonitorView {
  /** The `monitor` event; null for a monitor already held when recording began. */
  seq: Seq | null;
  watcher: ProcId;
  /** The monitored process; null for a name no process held. */
  target: ProcId | null;
  /** The target as the watcher named it (a pid, `SampleApp.Bank`, `{:name, :node}`); null when not recorded. */
  targetText: string | null;
  /** Where it ended (the demonitor, the `:DOWN` received, an exit); null while held at the recording's end. */
  endSeq: Seq | null;
  ended: "demonitor" | "down" | "watcher_exit" | null;
  /** The `:DOWN`'s reason, for `down`. */
  reason: string | null;
}

export interface MonitorsAt {
  /** Monitors the process holds: it watches `target`. */
  holds: MonitorView[];
  /** Monitors on the process: `watcher` watches it. */
  on: MonitorView[];
}

/** Where to fetch one term of an event in full: `term(ref)`. */
export interface TermRef {
  seq: Seq;
  /** Which of the event's terms: `main` (arguments, message, value, reason, state), `trigger`, `reply`. */
  slot: "main" | "trigger" | "reply";
}

export interface EventRow {
  seq: Seq;
  ns: number;
  proc: ProcId;
  kind: EventKind;
  /** `SampleApp.Bank.transfer/3` for calls, returns and exceptions. */
  mfa: string | null;
  /** The other process: receiver of a send, sender of a receive (when paired), child of a spawn, ... */
  other: ProcId | null;
  /** For a call recorded with the plan's `capture.callers`: the function the call returns to. */
  caller: string | null;
  /** The event's main term, Elixir text, folded when large; null when the event has none. */
  text: string | null;
  /** The paired event: a call's return, a send's receive, a spawn's spawned, a state's trigger. */
  link: Seq | null;
  /** The event this one was caused by in another process, or the message being handled in this one. */
  cause: Seq | null;
  /** Call depth for calls, returns and exceptions. */
  depth: number | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` to get the next page; null on the last page. */
  next: Seq | null;
}

export interface HistoryQuery {
  kinds?: EventKind[];
  /** Module patterns (`SampleApp.Bank.*`), for calls, returns and exceptions. */
  modules?: string[];
  fromNs?: number;
  toNs?: number;
  /** Only events after this seq (paging). */
  after?: Seq;
  /** Default 50, at most 10,000. */
  limit?: number;
}

/** `unobserved`: sent to a process that did nothing recorded (outside the plan, another node), so not known to be received. */
export type MessageStatus = "received" | "dead" | "unreceived" | "unobserved";

export interface MessageRow {
  sendSeq: Seq | null;
  receiveSeq: Seq | null;
  from: ProcId | null;
  to: ProcId | null;
  /** The destination as written by the sender when it was not a pid (a registered name, `{name, node}`). */
  toName: string | null;
  sentNs: number | null;
  receivedNs: number | null;
  text: string;
  /** `dead`: sent to a process that did not exist; `unreceived`: never delivered while recording. */
  status: MessageStatus;
}

export interface MessageQuery {
  /** An Elixir pattern the message must match, e.g. `{:transfer, _, _}`. */
  pattern?: string;
  /** Only messages of these statuses (`["dead", "unreceived"]`: what `unreceived` lists). */
  status?: MessageStatus[];
  fromNs?: number;
  toNs?: number;
  /** Messages whose send or receive is nearest this seq come first (the sequence diagram's window). */
  around?: Seq;
  after?: Seq;
  limit?: number;
}

export interface TermChange {
  /** Elixir access path: `.balance`, `["key"]`, `|> elem(2)`. Empty for the whole term. */
  path: string;
  kind: "added" | "removed" | "changed";
  before: string | null;
  after: string | null;
}

export interface StateView {
  proc: ProcId;
  /** The state event that produced this state. */
  seq: Seq;
  ns: number;
  /** The message or call that caused it (`{:"$gen_call", from, request}`, a cast, an info message). */
  trigger: { seq: Seq | null; text: string } | null;
  reply: string | null;
  state: Term;
  text: string;
  /** Against the previous recorded state of the same process; empty for the first. */
  diff: TermChange[];
}

export interface CallNode {
  callSeq: Seq;
  returnSeq: Seq | null;
  mfa: string;
  depth: number;
  startNs: number;
  /** Null while the call had not returned when the recording ended. */
  durationNs: number | null;
  selfNs: number | null;
  /** `untimed`: a call whose function has no return tracing (the plan's default for most functions). */
  outcome: "return" | "exception" | "open" | "untimed";
  /** Return value or exception, Elixir text, when recorded. */
  result: string | null;
  children: CallNode[];
}

/** An earlier event that carried a value (`Recording.origins`), and where in its term. */
export interface Origin extends EventRow {
  /**
   * Where the value sits in the event's term: "" for the whole term, `{2}` a tuple's second element, `[:k]`
   * a map's value at `:k`, `[3]` a list's fourth element (an event's arguments are a list).
   */
  path: string;
}

/**
 * One edge of the dynamic call graph: `caller` called `callee`. The caller is the function the VM named in
 * the call event (recorded with the plan's `capture.callers`: the function the call returns to, traced or
 * not), else the call with return tracing open around it (the plan's `returns`), else null.
 */
export interface CallEdge {
  caller: string | null;
  callee: string;
  calls: number;
  /** How many of those calls were timed (the callee has return tracing); the times are theirs. */
  timed: number;
  totalNs: number | null;
  selfNs: number | null;
}

export interface FlameFrame {
  /** Outermost first. */
  stack: string[];
  selfNs: number;
  calls: number;
}

export type CauseRelation =
  | "start"
  | "sent by"
  | "while handling"
  /** What a process did next after a receive timed out (a `timeout` event). */
  | "after"
  | "spawned by"
  | "exit signal from"
  | "returned from"
  | "called from";

export interface ChainStep {
  seq: Seq;
  proc: ProcId;
  kind: EventKind;
  text: string;
  /** How this step relates to the step before it in the chain (the first is `start`). */
  relation: CauseRelation;
}

export interface Crash {
  /** The exit event. */
  seq: Seq;
  proc: ProcId;
  reason: string;
  /** Back from the exit to the message or call that caused it, then on to its sender, and so on. */
  chain: ChainStep[];
  /** The process a supervisor started in its place, if any. */
  restartedAs: ProcId | null;
}

export interface TimelineQuery {
  fromNs: number;
  toNs: number;
  /** Horizontal resolution: what is narrower than one bucket is aggregated. */
  buckets: number;
  procs?: ProcId[];
}

export interface Slice {
  startNs: number;
  endNs: number;
  depth: number;
  mfa: string;
  callSeq: Seq;
  /** More than 1 when this slice stands for several calls too short to show apart. */
  count: number;
}

export interface Arrow {
  sendSeq: Seq;
  receiveSeq: Seq;
  from: ProcId;
  to: ProcId;
  sentNs: number;
  receivedNs: number;
  /** More than 1 when aggregated. */
  count: number;
}

export interface Mark {
  seq: Seq;
  ns: number;
  proc: ProcId;
  kind: "crash" | "exit" | "spawn" | "restart" | "state";
}

export interface Timeline {
  /** `activity`: `[bucket, events]` for the buckets in which the process did something. */
  tracks: { proc: ProcId; slices: Slice[]; events: number; activity: [number, number][] }[];
  arrows: Arrow[];
  marks: Mark[];
}

export interface SearchHit {
  kind: "process" | "function" | "message";
  label: string;
  proc?: ProcId;
  seq?: Seq;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
}

/** An open recording. `close()` when done. Unknown processes, bad patterns and bad SQL throw QueryError. */
export interface Recording {
  info(): RecordingInfo;
  processes(): Promise<ProcessInfo[]>;
  /**
   * A process by what a user types: `<0.123.0>`, `#PID<0.123.0>`, a registered name, or a ProcId. A name is
   * its holder just after event `at` when given (an error when no process held it then), else its last.
   */
  resolveProcess(ref: string | ProcId, at?: Seq): Promise<ProcessInfo>;
  /**
   * Every process `ref` stands for, in order: a registered name's successive holders (a restarted worker
   * after the one that crashed), with when each held it; a pid's process alone (from and to null).
   */
  resolveProcesses(ref: string | ProcId): Promise<NameHolder[]>;
  event(seq: Seq): Promise<EventRow>;
  term(ref: TermRef): Promise<{ term: Term; text: string } | null>;
  history(proc: ProcId, q?: HistoryQuery): Promise<Page<EventRow>>;
  /** Events of all processes in order, for stepping through time. */
  events(q?: HistoryQuery & { procs?: ProcId[] }): Promise<Page<EventRow>>;
  messages(a: ProcId | null, b: ProcId | null, q?: MessageQuery): Promise<Page<MessageRow>>;
  /** The state of `proc` just after event `at` (its latest state event at or before `at`). */
  stateAt(proc: ProcId, at: Seq): Promise<StateView | null>;
  states(proc: ProcId, q?: { after?: Seq; limit?: number }): Promise<Page<StateView>>;
  /** The call tree of `proc` between two seqs, or the subtree under one call. */
  calls(proc: ProcId, q?: { from?: Seq; to?: Seq; root?: Seq; limit?: number }): Promise<CallNode[]>;
  flame(q?: { proc?: ProcId; fromNs?: number; toNs?: number }): Promise<FlameFrame[]>;
  /** Who called whom, how often and for how long: the dynamic call graph of the recording, a process or a time window. */
  callGraph(q?: { proc?: ProcId; fromNs?: number; toNs?: number }): Promise<CallEdge[]>;
  /**
   * Where did this value come from: the earlier events whose term holds `pattern` (an Elixir pattern or
   * value; by default the event's own term), newest first, each with where in its term the value sits.
   */
  origins(seq: Seq, q?: { pattern?: string; before?: Seq; limit?: number }): Promise<Page<Origin>>;
  crashes(): Promise<Crash[]>;
  why(seq: Seq, maxHops?: number): Promise<ChainStep[]>;
  /** The messages of `mailbox(proc, at)`: received and not yet handled, or for plain processes since their last action. */
  mailboxAt(proc: ProcId, at: Seq): Promise<MessageRow[]>;
  /** What is known of the mailbox of `proc` just after `at`, and on what basis (see `MailboxView`). */
  mailbox(proc: ProcId, at: Seq): Promise<MailboxView>;
  /** The processes `proc` was linked to just after `at`. */
  linksAt(proc: ProcId, at: Seq): Promise<ProcId[]>;
  /** The monitors `proc` held and those on it just after `at`. */
  monitorsAt(proc: ProcId, at: Seq): Promise<MonitorsAt>;
  /** The calls of `proc` that were in progress just after `at`, outermost first, with arguments when recorded. */
  stackAt(proc: ProcId, at: Seq): Promise<{ callSeq: Seq; mfa: string; args: string | null }[]>;
  timeline(q: TimelineQuery): Promise<Timeline>;
  search(text: string, limit?: number): Promise<SearchHit[]>;
  sql(text: string): Promise<SqlResult>;
  close(): Promise<void>;
}

export class QueryError extends Error {}
