/**
 * `elixirscope query FILE <question> [args]`: asks a recording one question and prints the answer for a
 * person (or, with `--json`, for a program). The questions are the query engine's (src/query/api.ts);
 * this module only parses what people type (processes as `<0.123.0>`, `#PID<0.123.0>` or a registered name;
 * moments as an event number `#1234` or a time since the start, `1.5s`, `250ms`) and lays out the answers.
 */
import { openRecording, QueryError, type EventKind, type Recording, type Seq } from "../query/index.js";
import type { CallNode, EventRow, MessageRow, MonitorView, ProcessInfo, StateView } from "../query/api.js";
import { TIMEOUT_TEXT } from "../query/causality.js";
import { exportRecording } from "../query/export.js";
import { recoverableBytes } from "../record/spool.js";

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

/** A moment: `#1234` (just after that event), or a time since the start (the last event by then). */
async function parseMoment(rec: Recording, text: string | undefined): Promise<Seq> {
  if (text === undefined) return rec.info().events - 1;
  const ns = parseDuration(text);
  if (ns === undefined) return parseSeq(text, "--at");
  const r = await rec.sql(`SELECT max(seq) FROM events WHERE ns <= ${ns}`);
  return Number(r.rows[0]![0] ?? 0);
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
): Promise<void> {
  const rec = await openRecording(file, { syntax: opts.erlang ? "erlang" : "elixir" });
  try {
    await answer(rec, question, args, opts, out);
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
): Promise<void> {
  const procs = await rec.processes();
  const label = (id: number | null) => {
    if (id === null) return "?";
    const p = procs[id];
    return p ? (p.name ? `${p.pid} ${p.name}` : p.pid) : `#${id}`;
  };
  const json = (v: unknown) =>
    out(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2));
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  const after = opts.after === undefined ? undefined : parseSeq(opts.after, "--after");
  const proc = async (i: number, what = "PID") => {
    const ref = args[i];
    if (ref === undefined)
      throw new QueryError(
        `'${question}' needs a process (${what}): <0.123.0>, #PID<0.123.0> or a registered name`,
      );
    return rec.resolveProcess(ref);
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
    for (const e of items) out(eventLine(e));
    if (next !== null) out(`... more: --after #${next}`);
  };
  const hq = {
    kinds: opts.kinds ? (opts.kinds.split(",") as EventKind[]) : undefined,
    modules: opts.modules ? opts.modules.split(",") : undefined,
    fromNs: opts.from ? parseDuration(opts.from) : undefined,
    toNs: opts.to ? parseDuration(opts.to) : undefined,
    after,
    limit,
  };

  switch (question) {
    case "info":
      return opts.json ? json(rec.info()) : printInfo(rec, out);
    case "processes":
      return opts.json ? json(procs) : printProcesses(procs, label, out);
    case "history": {
      const p = await proc(1);
      const page = await rec.history(p.id, hq);
      return opts.json ? json(page) : history(page.items, page.next);
    }
    case "events": {
      const page = await rec.events(hq);
      return opts.json ? json(page) : history(page.items, page.next);
    }
    case "messages": {
      const a = args[1] === undefined ? null : (await proc(1, "A")).id;
      const b = args[2] === undefined ? null : (await proc(2, "B")).id;
      const page = await rec.messages(a, b, {
        pattern: opts.pattern,
        after,
        limit,
        fromNs: hq.fromNs,
        toNs: hq.toNs,
      });
      if (opts.json) return json(page);
      for (const m of page.items) out(messageLine(m));
      if (page.next !== null) out(`... more: --after #${page.next}`);
      return;
    }
    case "unreceived": {
      const page = await rec.messages(null, null, { status: ["dead", "unreceived"], after, limit });
      if (opts.json) return json(page);
      for (const m of page.items) out(messageLine(m));
      if (page.items.length === 0) out("Every recorded message was received.");
      return;
    }
    case "state": {
      const p = await proc(1);
      const at = await parseMoment(rec, opts.at);
      const s = await rec.stateAt(p.id, at);
      if (opts.json) return json(s);
      if (!s) return out(`${label(p.id)} has no recorded state at or before #${at}`);
      out(
        `state of ${label(p.id)} at #${at} (from #${s.seq}${s.trigger ? ", after " + s.trigger.text : ""}):`,
      );
      return out(s.text);
    }
    case "states": {
      const p = await proc(1);
      const page = await rec.states(p.id, { after, limit });
      if (opts.json) return json(page);
      for (const s of page.items) stateLines(s);
      if (page.items.length === 0) out(`${label(p.id)} has no recorded states`);
      if (page.next !== null) out(`... more: --after #${page.next}`);
      return;
    }
    case "mailbox": {
      const p = await proc(1);
      const at = await parseMoment(rec, opts.at);
      const list = await rec.mailboxAt(p.id, at);
      if (opts.json) return json(list);
      if (list.length === 0) out(`${label(p.id)} had no received, unhandled messages at #${at}`);
      for (const m of list) out(messageLine(m));
      return;
    }
    case "links": {
      const p = await proc(1);
      const at = await parseMoment(rec, opts.at);
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
      if (arg !== undefined && /^#\d+$/.test(arg)) {
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
      if (e.kind === "state" && e.link !== null) e = await rec.event(e.link);
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
      const r = await rec.sql(args.slice(1).join(" "));
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

function printInfo(rec: Recording, out: Out): void {
  const i = rec.info();
  out(
    `${i.path}: recording of ${i.node} (OTP ${i.otpRelease}${i.elixirVersion ? ", Elixir " + i.elixirVersion : ""})`,
  );
  out(
    `  started ${i.startedAt}, ${(i.durationNs / 1e9).toFixed(3)} s, ${i.events.toLocaleString("en-US")} events, ${i.processes} processes`,
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
