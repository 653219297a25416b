/**
 * The recording file, format version 1: a DuckDB database, so that anyone can run SQL over a recording
 * (`elixirscope query FILE sql "..."`, or DuckDB's own tools). This module is its documentation and its
 * DDL; `writer.ts` fills it while recording, `open.ts` opens it for queries.
 *
 * DuckDB won the storage benchmark (`npm run bench -- store`): columnar, compressed, appended in chunks of
 * 2,048 rows, it ingests several million rows a second and keeps call and message events to a few bytes
 * each, where SQLite's row store took ~43 bytes a row with one index and half the insert rate.
 *
 * Tables (positions are event sequence numbers, `seq`, from 0; times are `ns` since the recording began):
 *
 *   meta      key, value                          format_version, node, otp_release, elixir_version,
 *                                                 started_at, time_offset_ns, plan, applied, ended, drops
 *   events    seq, ns, proc, kind, mfa, other,    every event in recording order; `kind` is EVENT_KINDS'
 *             term, link, cause, depth            index; `other` the other process (a send's receiver, ...)
 *                                                 or, for a call recorded with `capture.callers`, the
 *                                                 mfas id of the function it returns to; `link` the earlier
 *                                                 paired event (a return's call, a receive's send, a
 *                                                 spawned's spawn); `cause` what caused it (the send of a
 *                                                 receive, or the message being handled); a `timeout`
 *                                                 is a receive's `after` firing: no message, no term
 *   terms     id, etf                             every distinct term once, as term_to_binary bytes
 *   mfas      id, module, function, arity, name   `name` as Elixir prints it: SampleApp.Bank.transfer/3
 *   procs     id, pid, node                       every process (or port) seen; `pid` as <0.123.0>
 *   spawns    seq, parent, child, initial,        each process started while recording: its initial call (an
 *             behaviour, module                   mfas id), `genserver`, `gen_statem`, `supervisor`, `task`
 *                                                 or `process`, and its callback module; with seq NULL, the
 *                                                 OTP behaviour processes already running when it began
 *   apps      proc, application                   the application each process belongs to (by its group
 *                                                 leader when recording began; a spawned process its parent's)
 *   names     seq, proc, name, registered         register and unregister events, and names learnt from
 *                                                 sends by name
 *   calls     call_seq, end_seq, proc, mfa,       one row per call with return tracing, written when it
 *             depth, parent_seq, start_ns,        returns or raises (outcome 1 return, 2 exception), or at
 *             end_ns, self_ns, outcome, result    the end (0, still open)
 *   messages  send_seq, receive_seq, sender,      one row per message: paired send and receive (status 0),
 *             receiver, to_name, term, sent_ns,   sent to a dead process (1), never received (2),
 *             received_ns, status                 received with no recorded send (3), or sent to a process
 *                                                 that did nothing recorded, so not known to be received (4)
 *   monitors  seq, watcher, target, target_name,  process monitors: `seq` the monitor event (null: held when
 *             ref, end_seq, ended, reason         recording began), `target` a procs id (null: a name no
 *                                                 process held), `target_name` when monitored by name, `ref`
 *                                                 the reference's term; `ended` MONITOR_ENDS' index, at
 *                                                 `end_seq`: the demonitor event, the `:DOWN` receive (its
 *                                                 `reason`; the target's exit when receives are not
 *                                                 recorded) or the watcher's exit. Written when a monitor
 *                                                 ends, and at the end for those still held (`ended` 0); the
 *                                                 `monitor` events of those still held are in `events`.
 *                                                 Recordings made before this table have none: read as empty
 *   notes     after_seq, note                     what the agent reported as it went (drops, patterns turned
 *                                                 off by load shedding, plan changes), JSON
 *   states    seq, proc, trigger_seq, trigger,    GenServer and gen_statem states; `change` is
 *             reply, change, payload, full,       STATE_CHANGES' index, `payload` the agent's term,
 *             base_seq                            `full` the whole state on checkpoint rows, `base_seq` the
 *                                                 latest checkpoint to rebuild from; `trigger` the message
 *                                                 that caused it (its receive is `trigger_seq`), or the
 *                                                 whole trigger when it was no message (`{:continue, t}`)
 *   process_list  id, pid, node, name, first_seq, every process with what the process list shows: its
 *             last_seq, events, exit_seq,         last registered name, first and last event, how many, its
 *             has_state, parent, spawn_seq,       last exit and that exit's reason (`exit_term`, and its
 *             initial, behaviour, module,         bytes `exit_etf`), whether it had a state event, its
 *             application, exit_term, exit_etf    spawn, its application. Made when the recording
 *                                                 finishes (PROCESS_LIST_TABLE, from what ingest counted
 *                                                 of each process's events); one cut off, or finished
 *                                                 before this table, has none: readers run
 *                                                 PROCESS_LIST_SQL (an aggregate over `events`) instead
 *
 * A recording being written has no `ended` in `meta`; one cut off mid-recording opens with everything up
 * to the last flushed batch (at most `FLUSH_MS` behind), its in-flight calls and messages unpaired. Beside
 * it, `F.spool` then holds every frame the recorder had received (src/record/spool.ts), from which
 * `elixirscope recover F` rebuilds the whole recording; a recording rebuilt so has `recovered` in `meta`.
 */

/** The spool a recorder keeps beside the recording at `path` while recording, left there if it is killed. */
export function spoolPath(path: string): string {
  return `${path}.spool`;
}

export const FORMAT_VERSION = 1;
/** A recording is flushed (committed) at least this often while events arrive, and whenever they pause. */
export const FLUSH_MS = 200;

/** A state is written whole (a checkpoint) after this many changes, so rebuilding one replays at most that many. */
export const CHECKPOINT_EVERY = 64;

export const EVENT_KINDS = [
  "call",
  "return",
  "exception",
  "send",
  "send_dead",
  "receive",
  "spawn",
  "spawned",
  "exit",
  "link",
  "unlink",
  "getting_linked",
  "getting_unlinked",
  "register",
  "unregister",
  "state",
  "monitor",
  "demonitor",
  // A `receive ... after` that fired (the VM's `receive` of `timeout` with no such message sent). Added
  // after format version 1's first files, which have none: they read as before.
  "timeout",
] as const;
export type EventKindName = (typeof EVENT_KINDS)[number];

export const K = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i])) as Record<EventKindName, number>;

export const CALL_OUTCOMES = ["open", "return", "exception"] as const;
export const MESSAGE_STATUSES = ["received", "dead", "unreceived", "unsent", "unobserved"] as const;
/** How a monitor ended: still held at the end, demonitored, its `:DOWN` received, its watcher exited. */
export const MONITOR_ENDS = ["held", "demonitor", "down", "watcher_exit"] as const;
export const STATE_CHANGES = [
  "snapshot",
  "full",
  "map_diff",
  "tuple_diff",
  "unchanged",
  "state_name",
] as const;

export const DDL = `
CREATE TABLE meta (key VARCHAR, value VARCHAR);
CREATE TABLE events (seq INTEGER, ns BIGINT, proc INTEGER, kind UTINYINT, mfa INTEGER, other INTEGER,
  term INTEGER, link INTEGER, cause INTEGER, depth SMALLINT);
CREATE TABLE terms (id INTEGER, etf BLOB);
CREATE TABLE mfas (id INTEGER, module VARCHAR, function VARCHAR, arity SMALLINT, name VARCHAR);
CREATE TABLE procs (id INTEGER, pid VARCHAR, node VARCHAR);
CREATE TABLE spawns (seq INTEGER, parent INTEGER, child INTEGER, initial INTEGER, behaviour VARCHAR,
  module VARCHAR);
CREATE TABLE apps (proc INTEGER, application VARCHAR);
CREATE TABLE names (seq INTEGER, proc INTEGER, name VARCHAR, registered BOOLEAN);
CREATE TABLE calls (call_seq INTEGER, end_seq INTEGER, proc INTEGER, mfa INTEGER, depth SMALLINT,
  parent_seq INTEGER, start_ns BIGINT, end_ns BIGINT, self_ns BIGINT, outcome UTINYINT, result INTEGER);
CREATE TABLE messages (send_seq INTEGER, receive_seq INTEGER, sender INTEGER, receiver INTEGER,
  to_name INTEGER, term INTEGER, sent_ns BIGINT, received_ns BIGINT, status UTINYINT);
CREATE TABLE monitors (seq INTEGER, watcher INTEGER, target INTEGER, target_name VARCHAR, ref INTEGER,
  end_seq INTEGER, ended UTINYINT, reason INTEGER);
CREATE TABLE notes (after_seq INTEGER, note VARCHAR);
CREATE TABLE states (seq INTEGER, proc INTEGER, trigger_seq INTEGER, trigger INTEGER, reply INTEGER,
  change UTINYINT, payload INTEGER, "full" INTEGER, base_seq INTEGER);
`;

/**
 * Per process with events: its first and last, how many, its last exit and that exit's term, whether it
 * had a state event. Ingest counts these as it goes and hands them over at the end (`process_summary`, a
 * temporary table); a recording without a process list has them from this aggregate over every event.
 */
const EVENTS_SUMMARY = `
SELECT a.*, x.term AS exit_term
FROM (SELECT proc, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS events,
             max(CASE WHEN kind = ${K.exit} THEN seq END) AS exit_seq, bool_or(kind = ${K.state}) AS has_state
      FROM events GROUP BY proc) a
LEFT JOIN events x ON x.seq = a.exit_seq`;

/** The table of the per-process summary ingest hands over when the recording finishes. */
export const PROCESS_SUMMARY_DDL = `CREATE TEMP TABLE process_summary (proc INTEGER, first_seq INTEGER,
  last_seq INTEGER, events INTEGER, exit_seq INTEGER, exit_term INTEGER, has_state BOOLEAN)`;

/** Every process with what the process list shows of it (its exit reason as a term id), `summary` its events'. */
function processListSql(summary: string): string {
  return `
WITH agg AS (${summary}),
named AS (SELECT proc, arg_max(name, coalesce(seq, -1)) AS name FROM names WHERE registered GROUP BY proc),
app AS (SELECT proc, any_value(application) AS application FROM apps GROUP BY proc)
SELECT p.id, p.pid, p.node, n.name, a.first_seq, a.last_seq, a.events, a.exit_seq, a.has_state,
       s.parent, s.seq AS spawn_seq, s.initial, s.behaviour, s.module, app.application, a.exit_term
FROM procs p
LEFT JOIN agg a ON a.proc = p.id
LEFT JOIN spawns s ON s.child = p.id
LEFT JOIN named n ON n.proc = p.id
LEFT JOIN app ON app.proc = p.id`;
}

/** The process list of a recording that has no `process_list` table, from its events. */
export const PROCESS_LIST_SQL = processListSql(EVENTS_SUMMARY);

/**
 * The `process_list` table, made when the recording finishes from ingest's `process_summary`, with each
 * exit reason's bytes (only the few exit terms are read from `terms`).
 */
export const PROCESS_LIST_TABLE = `
CREATE TABLE process_list AS
SELECT l.*, t.etf AS exit_etf
FROM (${processListSql("SELECT * FROM process_summary")}) l
LEFT JOIN (SELECT id, etf FROM terms WHERE id IN (SELECT exit_term FROM process_summary)) t ON t.id = l.exit_term`;

/** Column types of the appended tables, in DDL order, for `ColumnBuffer`. */
export const COLUMNS = {
  events: ["int", "big", "int", "u8", "int", "int", "int", "int", "int", "i16"],
  calls: ["int", "int", "int", "int", "i16", "int", "big", "big", "big", "u8", "int"],
  messages: ["int", "int", "int", "int", "int", "int", "big", "big", "u8"],
  states: ["int", "int", "int", "int", "int", "u8", "int", "int", "int"],
  names: ["int", "int", "text", "bool"],
  apps: ["int", "text"],
  spawns: ["int", "int", "int", "int", "text", "text"],
  procs: ["int", "text", "text"],
  mfas: ["int", "text", "text", "i16", "text"],
  terms: ["int", "blob"],
  notes: ["int", "text"],
  monitors: ["int", "int", "int", "text", "int", "int", "u8", "int"],
} as const;
export type TableName = keyof typeof COLUMNS;
export type ColumnType = (typeof COLUMNS)[TableName][number];
