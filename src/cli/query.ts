/**
 * `elixirscope query FILE <question> [args]`: asks a recording one question and prints the answer for a
 * person (or, with `--json`, for a program). The questions are the query engine's (src/query/api.ts);
 * this module only parses what people type (processes as `<0.123.0>`, `#PID<0.123.0>` or a registered name;
 * moments as an event number `#1234` or a time since the start, `1.5s`, `250ms`; numbers of answers) and
 * lays out the answers. What it cannot take is refused with the option's name and what it accepts.
 */
import { openRecording, QueryError, type EventKind, type Recording, type Seq } from "../query/index.js";
import type {
  CallNode,
  EventRow,
  MessageRow,
  MonitorView,
  NameHolder,
  Page,
  ProcessInfo,
  StateView,
} from "../query/api.js";
import { TIMEOUT_TEXT } from "../query/causality.js";
import { exportRecording } from "../query/export.js";
import { recoverableBytes } from "../record/spool.js";
import { MESSAGE_STATUSES } from "../store/schema.js";

export interface QueryOptions {
  json?: boolean;
  erlang?: boolean;
  at?: string;
  after?: string;
  before?: string;
  limit?: string;
  kinds?: string;
  modules?: string;
  from?: string;
  to?: string;
  pattern?: string;
  format?: string;
  out?: string;
}

type Out = (line: string) => void;

/** How a link event names its other process: `link with <0.12.0>`, `getting_linked by <0.12.0>`. */
const LINK_PREPOSITIONS: Partial<Record<EventKind, string>> = {
  link: "with",
  unlink: "from",
  getting_linked: "by",
  getting_unlinked: "by",
};

export const QUESTIONS = [
  "info",
  "processes",
  "history PID",
  "events",
  "messages A [B]",
  "state PID --at T",
  "states PID",
  "mailbox PID --at T",
  "links PID --at T",
  "calls PID|#SEQ",
  "flame [PID]",
  "callgraph [PID]",
  "flow #SEQ [VALUE]",
  "crashes",
  "why #SEQ",
  "sender #SEQ",
  "unreceived",
  "sql QUERY",
  "export --format perfetto|jsonl",
];

/** A time written as `1.5s`, `250ms`, `40us` or `1000ns`, in nanoseconds; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|ms|us|µs|ns)$/.exec(text.trim());
  if (!m) return undefined;
  const scale = { s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 }[m[2] as "s"];
  return Math.round(Number(m[1]) * scale);
}

function parseSeq(text: string | undefined, what: string): Seq {
  const m = /^#?(\d+)$/.exec((text ?? "").trim());
  if (!m) throw new QueryError(`${what} must be an event number such as #1234, got '${text ?? ""}'`);
  return Number(m[1]);
}

/** A count option (`--limit`): a whole number of at least 1, or undefined when not given. */
export function parseCount(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1)
    throw new QueryError(`${option} must be a whole number of 1 or more, got '${text}'`);
  return Number(text);
}

/** A time option (`--from`, `--to`) in nanoseconds since the start, or undefined when not given. */
function parseTimeOption(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const ns = parseDuration(text);
  if (ns === undefined)
    throw new QueryError(
      `${option} must be a time since the start of the recording such as 1.5s, 250ms, 40us or 1000ns, got '${text}'`,
    );
  return ns;
}

/**
 * A moment: `#1234` (just after that event), or a time since the start (the last event by then). One past
 * the end is the end, said through `warn`.
 */
async function parseMoment(rec: Recording, text: string | undefined, warn: Out): Promise<Seq> {
  const { events, durationNs } = rec.info();
  const last = Math.max(0, events - 1);
  if (text === undefined) return last;
  const ns = parseDuration(text);
  if (ns === undefined) {
    if (!/^#?\d+$/.test(text.trim()))
      throw new QueryError(
        `--at must be an event number such as #1234 or a time since the start of the recording such as 1.5s or 250ms, got '${text}'`,
      );
    const seq = parseSeq(text, "--at");
    if (seq <= last) return seq;
    warn(`elixirscope: --at ${text} is past the recording's last event: answering at its end, #${last}`);
    return last;
  }
  if (ns > durationNs)
    warn(
      `elixirscope: --at ${text} is after the recording's end (${(durationNs / 1e9).toFixed(3)} s): answering at its end, #${last}`,
    );
  const r = await rec.sql(`SELECT max(seq) FROM events WHERE ns <= ${ns}`);
  return Number(r.rows[0]![0] ?? 0);
}

/** How many SQL statements `text` holds: semicolons outside quotes and comments, a last empty one aside. */
export function sqlStatementCount(text: string): number {
  let count = 0;
  let pending = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      i = end < 0 ? text.length : end;
      pending = true;
    } else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === ";") {
      if (pending) count++;
      pending = false;
    } else if (!/\s/.test(c)) pending = true;
  }
  return count + (pending ? 1 : 0);
}

function ms(ns: number | null): string {
  return ns === null ? "" : `+${(ns / 1e6).toFixed(3)}ms`;
}

export async function queryCommand(
  file: string,
  question: string,
  args: string[],
  opts: QueryOptions,
  out: Out = (l) => process.stdout.write(l + "\n"),
  warn: Out = (l) => process.stderr.write(l + "\n"),
): Promise<void> {
  const rec = await openRecording(file, { syntax: opts.erlang ? "erlang" : "elixir" });
  try {
    await answer(rec, question, args, opts, out, warn);
  } finally {
    await rec.close();
  }
}

async function answer(
  rec: Recording,
  question: string,
  args: string[],
  opts: QueryOptions,
  out: Out,
  warn: Out,
): Promise<void> {
  const procs = await rec.processes();
  const label = (id: number | null) => {
    if (id === null) return "?";
    const p = procs[id];
    return p ? (p.name ? `${p.pid} ${p.name}` : p.pid) : `#${id}`;
  };
  const json = (v: unknown) =>
    out(JSON.stringify(withPids(v, procs), (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2));
  const limit = parseCount(opts.limit, "--limit");
  const after = opts.after === undefined ? undefined : parseSeq(opts.after, "--after");
  const ref = (i: number, what: string) => {
    const text = args[i];
    if (text === undefined)
      throw new QueryError(
        `'${question}' needs a process (${what}): <0.123.0>, #PID<0.123.0> or a registered name`,
      );
    return text;
  };
  /** The process named at `args[i]`; a registered name means its holder at `at` when given. */
  const proc = async (i: number, what = "PID", at?: Seq) => rec.resolveProcess(ref(i, what), at);
  /**
   * Each process the names at `args[i]` for each `i` stood for in turn (every combination, for two), with
   * `answer` for each: under a heading saying which pid held a name when, if one had several holders; as a
   * JSON list of `{holders, answer}` then. A missing optional argument is null.
   */
  const eachHolder = async <T>(
    indexes: number[],
    answer: (ps: (ProcessInfo | null)[]) => Promise<T>,
    show: (a: T, ps: (ProcessInfo | null)[]) => void,
  ) => {
    let combos: (NameHolder | null)[][] = [[]];
    const several = new Set<number>();
    for (const [n, i] of indexes.entries()) {
      const holders = n > 0 && args[i] === undefined ? [null] : await rec.resolveProcesses(ref(i, "PID"));
      if (holders.length > 1) several.add(n);
      combos = combos.flatMap((c) => holders.map((h) => [...c, h]));
    }
    const answers = [];
    for (const c of combos)
      answers.push({ holders: c, answer: await answer(c.map((h) => h?.process ?? null)) });
    const processes = (hs: (NameHolder | null)[]) => hs.map((h) => h?.process ?? null);
    if (answers.length === 1)
      return opts.json ? json(answers[0]!.answer) : show(answers[0]!.answer, processes(answers[0]!.holders));
    if (opts.json)
      return json(
        answers.map((x) => ({ ...x, holders: x.holders.map((h) => h && { ...h, process: h.process.id }) })),
      );
    const held = (h: NameHolder, name: string) =>
      `${label(h.process.id)}, holder of ${name} ${h.from === null ? "from the start" : `from #${h.from}`}` +
      (h.to === null ? "" : ` until #${h.to}`);
    for (const { holders, answer: a } of answers) {
      out(`${[...several].map((n) => held(holders[n]!, args[indexes[n]!]!)).join(" and ")}:`);
      show(a, processes(holders));
    }
  };
  const eventLine = (e: EventRow) => {
    const where =
      e.kind === "send" || e.kind === "receive" || e.kind === "spawn"
        ? ` ${e.kind === "receive" ? "from" : "to"} ${label(e.other)}`
        : e.other !== null && LINK_PREPOSITIONS[e.kind]
          ? ` ${LINK_PREPOSITIONS[e.kind]} ${label(e.other)}`
          : "";
    const link = e.link === null ? "" : ` (${e.kind === "receive" ? "sent" : "paired with"} #${e.link})`;
    const kind = e.kind === "timeout" ? TIMEOUT_TEXT : e.kind;
    return `#${e.seq}  ${ms(e.ns)}  ${label(e.proc)}  ${kind}${e.mfa ? " " + e.mfa : ""}${e.text ? "  " + e.text : ""}${where}${link}`;
  };
  const messageLine = (m: MessageRow) =>
    `${m.sendSeq === null ? "      " : "#" + m.sendSeq}${m.receiveSeq === null ? "" : " -> #" + m.receiveSeq}  ${label(m.from)} -> ${m.to === null ? (m.toName ?? "?") : label(m.to)}  ${m.text}${m.status === "received" ? "" : "  [" + m.status + "]"}`;
  const stateLines = (s: StateView) => {
    out(
      `#${s.seq}  ${ms(s.ns)}  ${label(s.proc)}${s.trigger ? `  after ${s.trigger.text}${s.trigger.seq === null ? "" : " (#" + s.trigger.seq + ")"}` : "  (snapshot)"}`,
    );
    if (s.reply) out(`  reply: ${s.reply}`);
    if (s.diff.length === 0) out(`  state: ${s.text}`);
    for (const c of s.diff)
      out(
        `  ${c.kind === "added" ? "+" : c.kind === "removed" ? "-" : "~"} ${c.path || "(whole state)"}: ${c.before ?? ""}${c.kind === "changed" ? " -> " : ""}${c.after ?? ""}`,
      );
  };
  const history = (items: EventRow[], next: Seq | null) => {
    if (items.length === 0) out("No events.");
    for (const e of items) out(eventLine(e));
    if (next !== null) out(`... more: --after #${next}`);
  };
  const hq = {
    kinds: opts.kinds ? (opts.kinds.split(",") as EventKind[]) : undefined,
    modules: opts.modules ? opts.modules.split(",") : undefined,
    fromNs: parseTimeOption(opts.from, "--from"),
    toNs: parseTimeOption(opts.to, "--to"),
    after,
    limit,
  };

  switch (question) {
    case "info":
      return opts.json ? json({ ...rec.info(), ...processCounts(procs) }) : printInfo(rec, procs, out);
    case "processes":
      return opts.json ? json(procs) : printProcesses(procs, label, out);
    case "history":
      return eachHolder(
        [1],
        ([p]) => rec.history(p!.id, hq),
        (page) => history(page.items, page.next),
      );
    case "events": {
      const page = await rec.events(hq);
      return opts.json ? json(page) : history(page.items, page.next);
    }
    case "messages": {
      const mq = { pattern: opts.pattern, after, limit, fromNs: hq.fromNs, toNs: hq.toNs };
      const show = (page: Page<MessageRow>) => {
        if (page.items.length === 0) out(`No messages${opts.pattern ? ` matching ${opts.pattern}` : ""}.`);
        for (const m of page.items) out(messageLine(m));
        if (page.next !== null) out(`... more: --after #${page.next}`);
      };
      if (args[1] === undefined) {
        const page = await rec.messages(null, null, mq);
        return opts.json ? json(page) : show(page);
      }
      return eachHolder([1, 2], ([a, b]) => rec.messages(a!.id, b?.id ?? null, mq), show);
    }
    case "unreceived": {
      const counts = await notReceivedCounts(rec);
      const page = await rec.messages(null, null, {
        status: ["dead", "unreceived", "unobserved"],
        after,
        limit,
      });
      if (opts.json) return json({ counts, ...page });
      for (const line of notReceivedSummary(counts)) out(line);
      for (const m of page.items) out(messageLine(m));
      if (page.next !== null) out(`... more: --after #${page.next}`);
      return;
    }
    case "state": {
      const at = await parseMoment(rec, opts.at, warn);
      const p = await proc(1, "PID", at);
      const s = await rec.stateAt(p.id, at);
      if (opts.json) return json(s);
      if (!s) return out(`${label(p.id)} has no recorded state at or before #${at}`);
      out(
        `state of ${label(p.id)} at #${at} (from #${s.seq}${s.trigger ? ", after " + s.trigger.text : ""}):`,
      );
      return out(s.text);
    }
    case "states":
      return eachHolder(
        [1],
        ([p]) => rec.states(p!.id, { after, limit }),
        (page, [p]) => {
          for (const s of page.items) stateLines(s);
          if (page.items.length === 0) out(`${label(p!.id)} has no recorded states`);
          if (page.next !== null) out(`... more: --after #${page.next}`);
        },
      );
    case "mailbox": {
      const at = await parseMoment(rec, opts.at, warn);
      const p = await proc(1, "PID", at);
      const box = await rec.mailbox(p.id, at);
      if (opts.json) return json(box);
      if (box.exitSeq !== null)
        return out(`${label(p.id)} had exited at #${box.exitSeq} (${box.exitReason}): no mailbox at #${at}`);
      if (box.basis === "since_last_action") {
        out(
          `${label(p.id)} has no recorded GenServer states, so which messages it had taken is not known; ` +
            (box.since === null
              ? `it did nothing recorded by #${at}, and received:`
              : `received since its last recorded action (#${box.since}) to #${at}:`),
        );
        if (box.messages.length === 0) out("  none");
      } else if (box.messages.length === 0)
        out(`${label(p.id)} had no received, unhandled messages at #${at}`);
      for (const m of box.messages) out(messageLine(m));
      return;
    }
    case "links": {
      const at = await parseMoment(rec, opts.at, warn);
      const p = await proc(1, "PID", at);
      const [links, monitors] = await Promise.all([rec.linksAt(p.id, at), rec.monitorsAt(p.id, at)]);
      if (opts.json) return json({ links, ...monitors });
      out(`${label(p.id)} at #${at}:`);
      out(`  links: ${links.length === 0 ? "none" : links.map((l) => label(l)).join(", ")}`);
      const since = (m: MonitorView) =>
        `since ${m.seq === null ? "the start" : `#${m.seq}`}` +
        (m.endSeq === null
          ? ""
          : `, until #${m.endSeq} (${m.ended === "down" ? `:DOWN${m.reason ? " " + m.reason : ""}` : m.ended === "watcher_exit" ? "watcher exit" : "demonitor"})`);
      const target = (m: MonitorView) =>
        m.target !== null
          ? label(m.target) + (m.targetText && !m.targetText.startsWith("#PID") ? ` as ${m.targetText}` : "")
          : (m.targetText ?? "?");
      if (monitors.holds.length + monitors.on.length === 0) out("  monitors: none");
      for (const m of monitors.holds) out(`  monitors ${target(m)}  ${since(m)}`);
      for (const m of monitors.on) out(`  monitored by ${label(m.watcher)}  ${since(m)}`);
      return;
    }
    case "calls": {
      const arg = args[1];
      let tree: CallNode[];
      // `#1234` or `1234` (in a shell, an unquoted `#` starts a comment); no pid or name is a bare number.
      if (arg !== undefined && /^#?\d+$/.test(arg)) {
        const e = await rec.event(parseSeq(arg, "the call"));
        tree = await rec.calls(e.proc, { root: e.seq, limit });
      } else {
        const p = await proc(1, "PID or #SEQ of a call");
        tree = await rec.calls(p.id, { from: after, limit });
      }
      if (opts.json) return json(tree);
      const walk = (n: CallNode, depth: number) => {
        const dur = n.durationNs === null ? n.outcome : `${(n.durationNs / 1e3).toFixed(1)}µs`;
        out(`${"  ".repeat(depth)}#${n.callSeq} ${n.mfa}  ${dur}${n.result ? "  -> " + n.result : ""}`);
        for (const c of n.children) walk(c, depth + 1);
      };
      for (const n of tree) walk(n, 0);
      if (tree.length === 0) out("no calls recorded there");
      return;
    }
    case "flame": {
      const p = args[1] === undefined ? undefined : (await proc(1)).id;
      const frames = await rec.flame({ proc: p, fromNs: hq.fromNs, toNs: hq.toNs });
      if (opts.json) return json(frames);
      // Folded stacks, the input format of flame graph tools: "a;b;c self_ns".
      for (const f of frames) out(`${f.stack.join(";")} ${f.selfNs}`);
      return;
    }
    case "callgraph": {
      const p = args[1] === undefined ? undefined : (await proc(1)).id;
      const edges = await rec.callGraph({ proc: p, fromNs: hq.fromNs, toNs: hq.toNs });
      if (opts.json) return json(edges);
      if (edges.length === 0) out("No call was recorded.");
      for (const e of edges.slice(0, limit ?? edges.length)) {
        const time = e.totalNs === null ? "" : `  ${ms(e.totalNs)} in all, ${ms(e.selfNs ?? 0)} self`;
        out(
          `${e.caller ?? "(caller not known)"} -> ${e.callee}  ${e.calls.toLocaleString("en-US")} calls${time}`,
        );
      }
      return;
    }
    case "flow": {
      const seq = parseSeq(args[1], "the event");
      const pattern = args.length > 2 ? args.slice(2).join(" ") : undefined;
      const before = opts.before === undefined ? undefined : parseSeq(opts.before, "--before");
      const page = await rec.origins(seq, { pattern, before, limit });
      if (opts.json) return json(page);
      if (page.items.length === 0) out(`No earlier event carried ${pattern ?? "the term of #" + seq}.`);
      for (const o of page.items) out(`${eventLine(o)}${o.path ? "  at " + o.path : ""}`);
      if (page.next !== null) out(`... further back: --before #${page.next}`);
      return;
    }
    case "crashes": {
      const list = await rec.crashes();
      if (opts.json) return json(list);
      if (list.length === 0) out("No process crashed.");
      for (const c of list) {
        out(`${label(c.proc)} crashed at #${c.seq}: ${c.reason}`);
        if (c.restartedAs !== null) out(`  restarted as ${label(c.restartedAs)}`);
        for (const s of c.chain.slice(1)) out(`  ${s.relation} #${s.seq} ${label(s.proc)}: ${s.text}`);
      }
      return;
    }
    case "why": {
      const chain = await rec.why(parseSeq(args[1], "the event"), limit);
      if (opts.json) return json(chain);
      for (const s of chain)
        out(`${s.relation === "start" ? "" : "  " + s.relation + " "}#${s.seq} ${label(s.proc)}: ${s.text}`);
      return;
    }
    case "sender": {
      let e = await rec.event(parseSeq(args[1], "the event"));
      if (e.kind !== "receive") {
        // A state (a GenServer's state event, a gen_statem callback's return): the message that caused it.
        const s = await rec.stateAt(e.proc, e.seq);
        if (s?.seq === e.seq) {
          if (!s.trigger)
            return out(
              `#${e.seq}: no message caused this state (the first one recorded: a snapshot, or init's)`,
            );
          if (s.trigger.seq === null)
            return out(`#${e.seq}: no recorded receive of ${s.trigger.text}, which caused this state`);
          e = await rec.event(s.trigger.seq);
        }
      }
      if (e.kind !== "receive")
        throw new QueryError(`#${e.seq} is a ${e.kind} event; 'sender' takes a receive (or a state change)`);
      if (e.link === null)
        return out(
          `#${e.seq}: no recorded send of ${e.text}${e.other === null ? "" : " (from " + label(e.other) + ")"}`,
        );
      const s = await rec.event(e.link);
      return opts.json ? json(s) : out(eventLine(s));
    }
    case "sql": {
      const text = args.slice(1).join(" ");
      const statements = sqlStatementCount(text);
      if (statements === 0)
        throw new QueryError(`'sql' needs a query, as in: sql "SELECT count(*) FROM events"`);
      if (statements > 1)
        throw new QueryError(
          `'sql' runs one statement and this has ${statements} (separated by ';'): ask them one at a time`,
        );
      const r = await rec.sql(text);
      if (opts.json) return json(r);
      out(r.columns.join("\t"));
      for (const row of r.rows) out(row.map((v) => (v === null ? "NULL" : String(v))).join("\t"));
      return;
    }
    case "export": {
      const format = opts.format ?? "perfetto";
      if (format !== "perfetto" && format !== "jsonl")
        throw new QueryError(`--format must be perfetto or jsonl, got '${format}'`);
      const n = await exportRecording(rec, format, opts.out);
      if (opts.out)
        out(
          `Wrote ${n} events to ${opts.out}${format === "perfetto" ? " (open it at ui.perfetto.dev or chrome://tracing)" : ""}.`,
        );
      return;
    }
    default:
      throw new QueryError(`unknown question '${question}': ask one of ${QUESTIONS.join("; ")}`);
  }
}

interface NotReceived {
  /** Sent to a process that was dead by then. */
  dead: number;
  /** Sent to a recorded process that never received it. */
  unreceived: number;
  /** Sent to a process that did nothing recorded (outside the plan, another node): not known to be received. */
  unobserved: number;
}

async function notReceivedCounts(rec: Recording): Promise<NotReceived> {
  const r = await rec.sql("SELECT status, count(*) FROM messages GROUP BY status");
  const n = new Map(r.rows.map(([status, count]) => [MESSAGE_STATUSES[Number(status)], Number(count)]));
  return {
    dead: n.get("dead") ?? 0,
    unreceived: n.get("unreceived") ?? 0,
    unobserved: n.get("unobserved") ?? 0,
  };
}

function notReceivedSummary(c: NotReceived): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  const lost = c.dead + c.unreceived;
  return [
    lost === 0
      ? "Not received: none (every message to a process the recording follows was received)."
      : `Not received: ${n(lost)} (${n(c.dead)} sent to a dead process, ${n(c.unreceived)} never received).`,
    ...(c.unobserved === 0
      ? []
      : [
          `Unobserved: ${n(c.unobserved)}, sent to processes that did nothing recorded (outside the plan, on another node, or by alias): whether they arrived is not known.`,
        ]),
  ];
}

/** Processes with events of their own: what `processes` lists (the others are only known by pid). */
function processCounts(procs: ProcessInfo[]): { processesWithEvents: number } {
  return { processesWithEvents: procs.filter((p) => p.events > 0).length };
}

/** Keys whose number is a process's id in the answers' JSON; `from` and `to` only in a message. */
const PROC_KEYS = new Set([
  "proc",
  "other",
  "watcher",
  "target",
  "supervisor",
  "parent",
  "restartOf",
  "restartedAs",
  "process",
]);
const MESSAGE_PROC_KEYS = new Set(["from", "to"]);

/**
 * `value` with each process id in it followed by the process as people name it: `"proc": 218` gains
 * `"procPid": "<0.173.0>"` and, if it had a registered name, `"procName": "SampleApp.Door"`.
 */
export function withPids(value: unknown, procs: ProcessInfo[]): unknown {
  if (Array.isArray(value)) return value.map((v) => withPids(v, procs));
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const isMessage = "sendSeq" in value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = withPids(v, procs);
    const p =
      typeof v === "number" && (PROC_KEYS.has(k) || (isMessage && MESSAGE_PROC_KEYS.has(k)))
        ? procs[v]
        : undefined;
    if (!p) continue;
    out[`${k}Pid`] = p.pid;
    // A message's `toName` is the name it was sent to, and stays.
    if (p.name && !(`${k}Name` in value)) out[`${k}Name`] = p.name;
  }
  return out;
}

function printInfo(rec: Recording, procs: ProcessInfo[], out: Out): void {
  const i = rec.info();
  const acting = processCounts(procs).processesWithEvents;
  const others = i.processes - acting;
  out(
    `${i.path}: recording of ${i.node} (OTP ${i.otpRelease}${i.elixirVersion ? ", Elixir " + i.elixirVersion : ""})`,
  );
  out(
    `  started ${i.startedAt}, ${(i.durationNs / 1e9).toFixed(3)} s, ${i.events.toLocaleString("en-US")} events, ${acting.toLocaleString("en-US")} processes` +
      (others > 0 ? ` (and ${others.toLocaleString("en-US")} more known with no events of their own)` : ""),
  );
  const drops = Object.entries(i.drops);
  out(
    drops.length === 0
      ? "  No event was dropped."
      : `  Dropped: ${drops.map(([r, n]) => `${n} (${r})`).join(", ")}`,
  );
  out(
    i.complete
      ? `  Ended: ${i.ended}`
      : i.recovered
        ? "  Cut off: the recorder stopped before the session ended; everything it had received is here."
        : "  Cut off: the recorder stopped before the recording was finished; everything up to its last flush is here.",
  );
  for (const what of i.skipped) out(`  Not recorded: ${what}.`);
  for (const what of i.conflicts) out(`  Tracing conflict: ${what}.`);
  if (i.recovered) out(`  Recovered: ${i.recovered}.`);
  const spooled = i.complete ? 0 : recoverableBytes(i.path);
  if (spooled > 0) {
    out(
      `  The recorder had received ${(spooled / 1e6).toFixed(1)} MB of frames that are not all stored here: \`elixirscope recover ${i.path}\` stores them.`,
    );
  }
}

function printProcesses(procs: ProcessInfo[], label: (id: number | null) => string, out: Out): void {
  for (const p of procs) {
    if (p.events === 0) continue;
    const parts = [
      label(p.id),
      p.behaviour,
      p.initialCall ?? "",
      p.supervisor === null ? "" : `supervised by ${label(p.supervisor)}`,
      p.restartOf === null ? "" : `restart of ${label(p.restartOf)}`,
      p.exitReason === null ? "" : `${p.crashed ? "crashed" : "exited"}: ${p.exitReason}`,
      `${p.events} events`,
    ];
    out(parts.filter(Boolean).join("  "));
  }
}
