/**
 * The query engine: an open recording answering the questions of `api.ts`. Each question is one or a few
 * SQL queries over the recording's tables (DuckDB skips row groups by sequence number and time, so a page
 * of history or a lookup by seq reads a sliver of a ten-million-event file), plus term decoding and state
 * replay in JavaScript. The bigger questions live in their own modules: processes, states, calls,
 * causality, timeline, mailboxes, and who held a registered name when (holders).
 */
import { Atom, Pid, type Term } from "../etf/terms.js";
import { EVENT_KINDS, K, MESSAGE_STATUSES } from "../store/schema.js";
import { damageOf, openStore, readingRecording, RecordingError } from "../store/open.js";
import {
  QueryError,
  type EventKind,
  type EventRow,
  type HistoryQuery,
  type MailboxView,
  type MessageQuery,
  type MessageRow,
  type NameHolder,
  type Page,
  type ProcessInfo,
  type ProcId,
  type Recording,
  type RecordingInfo,
  type SearchHit,
  type Seq,
  type SqlResult,
  type TermRef,
} from "./api.js";
import { callGraph, callTree, flame, stackAt } from "./calls.js";
import { origins } from "./dataflow.js";
import { monitorsAt } from "./monitors.js";
import { crashes, eventAt, why } from "./causality.js";
import { EVENT_COLUMNS, toEventRow, type QueryContext } from "./context.js";
import { duckdbSource, int, intList, one, rows, type Row, type SqlSource } from "./db.js";
import { matches, parsePattern, PatternError, type Pattern } from "./pattern.js";
import { loadProcesses } from "./processes.js";
import { describeHolders, holderAt, nameHolders } from "./holders.js";
import { mailbox } from "./mailbox.js";
import { nameMatches, parseProcessRef, pidMatches, ProcessRefError, type ProcessRef } from "./process-ref.js";
import { stateAt, states, stateTexts } from "./states.js";
import { TermStore } from "./term-store.js";
import { timeline } from "./timeline.js";
import { PLATFORM_APPS } from "../plan/platform-apps.js";

export { RecordingError };

function kindList(kinds: EventKind[] | undefined): string {
  if (!kinds || kinds.length === 0) return "";
  const ids = kinds.map((k) => {
    const i = EVENT_KINDS.indexOf(k);
    if (i < 0) throw new QueryError(`unknown event kind '${k}': the kinds are ${EVENT_KINDS.join(", ")}`);
    return i;
  });
  return `AND kind IN (${ids.join(",")})`;
}

/** The atom behind a process name as printed: `SampleApp.Teller` is `Elixir.SampleApp.Teller`, `:x` is `x`. */
function atomOfName(name: string): string {
  if (name.startsWith(':"')) return name.slice(2, -1);
  return name.startsWith(":") ? name.slice(1) : `Elixir.${name}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/_/g, ".");
  return new RegExp(`^${body}`);
}

function pattern(text: string | undefined): Pattern | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return parsePattern(text);
  } catch (err) {
    if (err instanceof PatternError) throw new QueryError(err.message);
    throw err;
  }
}

/**
 * The registered names to suggest for a name the recording does not have, once each: first those sharing the
 * longest start with it (`SampleApp.Bank.Tellr`: `SampleApp.Bank.*`), then the application's own processes'
 * before OTP's and Elixir's (`:code_server`, `Logger`, `Mix.State`).
 */
function namesToSuggest(procs: ProcessInfo[], asked: string): string[] {
  const ask = asked.replace(/^:/, "");
  const common = (name: string) => {
    const n = name.replace(/^:/, "");
    let i = 0;
    while (i < n.length && i < ask.length && n[i] === ask[i]) i++;
    return i;
  };
  const best = new Map<string, { common: number; own: boolean }>();
  for (const p of procs) {
    if (!p.name) continue;
    const own = p.application !== null && !PLATFORM_APPS.has(p.application);
    const was = best.get(p.name);
    best.set(p.name, { common: common(p.name), own: own || (was?.own ?? false) });
  }
  return [...best.entries()]
    .sort(([, a], [, b]) => b.common - a.common || Number(b.own) - Number(a.own))
    .map(([name]) => name);
}

class RecordingEngine implements Recording {
  constructor(private readonly ctx: QueryContext) {}

  private get con(): SqlSource {
    return this.ctx.con;
  }

  info(): RecordingInfo {
    return this.ctx.info;
  }

  processes(): Promise<ProcessInfo[]> {
    return loadProcesses(this.ctx);
  }

  async resolveProcess(ref: string | ProcId, at?: Seq): Promise<ProcessInfo> {
    const parsed = await this.parseRef(ref);
    if (parsed.kind === "name" && at !== undefined) {
      const holders = await nameHolders(this.ctx, parsed.name);
      if (holders.length > 0) {
        const p = holderAt(holders, at);
        if (!p)
          throw new QueryError(
            `no process held ${ref} at #${at}; it was held by ${describeHolders(holders)}`,
          );
        return p;
      }
    }
    return this.lastMatch(ref, parsed);
  }

  async resolveProcesses(ref: string | ProcId): Promise<NameHolder[]> {
    const parsed = await this.parseRef(ref);
    if (parsed.kind === "name") {
      const holders = await nameHolders(this.ctx, parsed.name);
      if (holders.length > 0) return holders;
    }
    return [{ process: await this.lastMatch(ref, parsed), from: null, to: null }];
  }

  /** What `ref` says; a ProcId is taken as the pid of that process. */
  private async parseRef(ref: string | ProcId): Promise<ProcessRef> {
    const procs = await loadProcesses(this.ctx);
    if (typeof ref === "number") {
      const p = procs[ref];
      if (!p) throw new QueryError(`there is no process ${ref} in this recording (it has ${procs.length})`);
      ref = p.pid;
    }
    try {
      return parseProcessRef(ref);
    } catch (err) {
      if (err instanceof ProcessRefError) throw new QueryError(err.message);
      throw err;
    }
  }

  /** The process a pid names, or the last to have held a name. */
  private async lastMatch(ref: string | ProcId, parsed: ProcessRef): Promise<ProcessInfo> {
    const procs = await loadProcesses(this.ctx);
    if (typeof ref === "number") return procs[ref]!;
    const found = [...procs].reverse().find((p) => {
      if (parsed.kind === "name") return p.name !== null && nameMatches(parsed, atomOfName(p.name));
      const parts = p.pid.slice(1, -1).split(".");
      const pid = new Pid(
        Atom.of(p.node),
        Number(parts[parts.length - 2]),
        Number(parts[parts.length - 1]),
        0,
      );
      return pidMatches(parsed, pid, this.ctx.node);
    });
    if (!found) {
      const named = namesToSuggest(procs, String(ref));
      throw new QueryError(
        `no process ${ref} in this recording` +
          (named.length > 0
            ? `; its named processes are ${named.slice(0, 12).join(", ")}${named.length > 12 ? ", ..." : ""}`
            : "") +
          ` (see 'elixirscope query FILE processes')`,
      );
    }
    return found;
  }

  event(seq: Seq): Promise<EventRow> {
    return eventAt(this.ctx, seq);
  }

  async term(ref: TermRef): Promise<{ term: Term; text: string } | null> {
    let id: number | null = null;
    if (ref.slot === "main") {
      const r = await one(this.con, `SELECT term, kind, proc FROM events WHERE seq = ${int(ref.seq)}`);
      id = (r?.["term"] as number | null) ?? null;
      // A state event's term is the agent's change; the state after it is what it stands for.
      if (r?.["kind"] === K.state) {
        const s = await stateAt(this.ctx, r["proc"] as number, ref.seq);
        if (s?.seq === ref.seq) return { term: s.state, text: s.text };
      }
    } else {
      const r = await one(this.con, `SELECT trigger, reply FROM states WHERE seq = ${int(ref.seq)}`);
      id = (r?.[ref.slot] as number | null) ?? null;
    }
    const term = await this.ctx.terms.term(id);
    return term === undefined ? null : { term, text: this.ctx.terms.format(term, 0) };
  }

  private async page(where: string, q: HistoryQuery): Promise<Page<EventRow>> {
    const limit = Math.max(1, Math.min(q.limit ?? 50, 10_000));
    const parts = [where, `seq > ${int(q.after ?? -1)}`];
    if (q.fromNs !== undefined) parts.push(`ns >= ${int(Math.floor(q.fromNs))}`);
    if (q.toNs !== undefined) parts.push(`ns <= ${int(Math.ceil(q.toNs))}`);
    if (q.modules && q.modules.length > 0) {
      const res = q.modules.map(globToRegExp);
      const ids = this.ctx.mfaNames.flatMap((n, i) => (res.some((r) => r.test(n)) ? [i] : []));
      parts.push(`mfa IN (${intList(ids)})`);
    }
    const found = await rows(
      this.con,
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${parts.filter(Boolean).join(" AND ")} ${kindList(q.kinds)}
       ORDER BY seq LIMIT ${limit + 1}`,
    );
    const items = found.slice(0, limit);
    // The page's terms, its forward links and its states' texts are asked at once.
    const terms = items.map((r) => (r["term"] as number | null) ?? null);
    const [, links, texts] = await Promise.all([
      this.ctx.terms.load(terms),
      this.forwardLinks(items),
      stateTexts(
        this.ctx,
        items
          .filter((r) => r["kind"] === K.state)
          .map((r) => ({ seq: r["seq"] as Seq, proc: r["proc"] as ProcId })),
      ),
    ]);
    // Again, in case the states' terms pushed some of the page's out of the cache: no query when none did.
    await this.ctx.terms.load(terms);
    const out = items.map((r) => toEventRow(this.ctx, r));
    for (const e of out) {
      if (e.link === null) e.link = links.ends.get(e.seq) ?? null;
      if (e.kind === "send" && e.other === null) e.other = links.receivers.get(e.seq) ?? null;
      e.text = texts.get(e.seq) ?? e.text;
    }
    return { items: out, next: found.length > limit ? out[out.length - 1]!.seq : null };
  }

  /**
   * The forward links of a page's events: calls and sends learn their return and receive (stored on the
   * later event's side); a send to an alias or a name, whose event does not say to whom, learns its
   * receiver from its message.
   */
  private async forwardLinks(events: Row[]): Promise<{ ends: Map<Seq, Seq>; receivers: Map<Seq, ProcId> }> {
    const seqs = (kind: number) => events.filter((e) => e["kind"] === kind).map((e) => e["seq"] as Seq);
    // A page of every event in its range (as `events` and export read them): its range is enough.
    const first = events[0]?.["seq"] as Seq | undefined;
    const whole =
      first !== undefined && (events[events.length - 1]!["seq"] as Seq) - first + 1 === events.length;
    const [callEnds, sendEnds] = await Promise.all([
      this.bySeq("call_seq AS a, end_seq AS b", "calls", "call_seq", seqs(K.call), whole),
      this.bySeq("send_seq AS a, receive_seq AS b, receiver", "messages", "send_seq", seqs(K.send), whole),
    ]);
    const ends = new Map<Seq, Seq>();
    const receivers = new Map<Seq, ProcId>();
    for (const r of [...callEnds, ...sendEnds]) {
      if (r["b"] !== null) ends.set(r["a"] as number, r["b"] as number);
      if (r["receiver"] != null) receivers.set(r["a"] as number, r["receiver"] as number);
    }
    return { ends, receivers };
  }

  /**
   * The rows of `table` whose `key` is one of `seqs` (ascending), with `columns`; none for no seqs. When
   * `whole`, every row whose key is in their range is one of them: no list to check against.
   */
  private async bySeq(
    columns: string,
    table: string,
    key: string,
    seqs: Seq[],
    whole: boolean,
  ): Promise<Row[]> {
    if (seqs.length === 0) return [];
    const among = whole ? "" : ` AND ${key} IN (${intList(seqs)})`;
    return rows(
      this.con,
      `SELECT ${columns} FROM ${table} WHERE ${key} BETWEEN ${seqs[0]} AND ${seqs[seqs.length - 1]}${among}`,
    );
  }

  history(proc: ProcId, q: HistoryQuery = {}): Promise<Page<EventRow>> {
    return this.page(`proc = ${int(proc)}`, q);
  }

  events(q: HistoryQuery & { procs?: ProcId[] } = {}): Promise<Page<EventRow>> {
    return this.page(q.procs && q.procs.length > 0 ? `proc IN (${intList(q.procs)})` : "", q);
  }

  private messageRow(r: Row): MessageRow {
    return {
      sendSeq: (r["send_seq"] as number | null) ?? null,
      receiveSeq: (r["receive_seq"] as number | null) ?? null,
      from: (r["sender"] as number | null) ?? null,
      to: (r["receiver"] as number | null) ?? null,
      toName: this.ctx.terms.text((r["to_name"] as number | null) ?? null),
      sentNs: r["status"] === 3 ? null : ((r["sent_ns"] as number | null) ?? null),
      receivedNs: (r["received_ns"] as number | null) ?? null,
      text: this.ctx.terms.text(r["term"] as number) ?? "",
      status: (MESSAGE_STATUSES[r["status"] as number] === "unsent"
        ? "received"
        : MESSAGE_STATUSES[r["status"] as number]) as MessageRow["status"],
    };
  }

  async messages(a: ProcId | null, b: ProcId | null, q: MessageQuery = {}): Promise<Page<MessageRow>> {
    const limit = Math.max(1, Math.min(q.limit ?? 100, 10_000));
    const pat = pattern(q.pattern);
    const where: string[] = [];
    if (a !== null && b !== null)
      where.push(
        `((sender = ${int(a)} AND receiver = ${int(b)}) OR (sender = ${int(b)} AND receiver = ${int(a)}))`,
      );
    else if (a !== null) where.push(`(sender = ${int(a)} OR receiver = ${int(a)})`);
    else if (b !== null) where.push(`(sender = ${int(b)} OR receiver = ${int(b)})`);
    if (q.status && q.status.length > 0) {
      const ids = q.status.map((x) => {
        const i = MESSAGE_STATUSES.indexOf(x);
        if (i < 0)
          throw new QueryError(
            `unknown message status '${x}': the statuses are received, dead, unreceived, unobserved`,
          );
        return i;
      });
      if (q.status.includes("received")) ids.push(MESSAGE_STATUSES.indexOf("unsent"));
      where.push(`status IN (${ids.join(",")})`);
    }
    const order = "coalesce(send_seq, receive_seq)";
    if (q.after !== undefined) where.push(`${order} > ${int(q.after)}`);
    if (q.fromNs !== undefined) where.push(`coalesce(received_ns, sent_ns) >= ${int(Math.floor(q.fromNs))}`);
    if (q.toNs !== undefined) where.push(`coalesce(sent_ns, received_ns) <= ${int(Math.ceil(q.toNs))}`);
    const sql = (extra: string, lim: number, dir = "") =>
      `SELECT * FROM messages WHERE ${[...where, extra].filter(Boolean).join(" AND ") || "true"}
       ORDER BY ${order} ${dir} LIMIT ${lim}`;
    const out: MessageRow[] = [];
    let next: Seq | null = null;
    const take = async (list: Row[]) => {
      await this.ctx.terms.load(list.flatMap((r) => [r["term"], r["to_name"]] as (number | null)[]));
      for (const r of list) {
        if (pat && !matches(pat, this.ctx.terms.get(r["term"] as number)!, { localNode: this.ctx.node }))
          continue;
        if (out.length === limit) {
          next = (out[out.length - 1]!.sendSeq ?? out[out.length - 1]!.receiveSeq)!;
          return false;
        }
        out.push(this.messageRow(r));
      }
      return true;
    };
    if (q.around !== undefined) {
      const half = Math.ceil(limit / 2);
      const before = await rows(this.con, sql(`${order} <= ${int(q.around)}`, half, "DESC"));
      const after = await rows(
        this.con,
        sql(`${order} > ${int(q.around)}`, limit - Math.min(half, before.length)),
      );
      await take([...before.reverse(), ...after]);
      return { items: out, next: null };
    }
    // With a pattern, read on in chunks until the page is full.
    let cursor = q.after ?? -1;
    for (;;) {
      const chunk = await rows(this.con, sql(`${order} > ${int(cursor)}`, pat ? 5000 : limit + 1));
      if (chunk.length === 0) break;
      if (!(await take(chunk))) break;
      const lastRow = chunk[chunk.length - 1]!;
      cursor = (lastRow["send_seq"] as number | null) ?? (lastRow["receive_seq"] as number);
      if (!pat) break;
    }
    return { items: out, next };
  }

  stateAt(proc: ProcId, at: Seq) {
    return stateAt(this.ctx, proc, at);
  }

  states(proc: ProcId, q?: { after?: Seq; limit?: number }) {
    return states(this.ctx, proc, q);
  }

  calls(proc: ProcId, q: { from?: Seq; to?: Seq; root?: Seq; limit?: number } = {}) {
    return callTree(this.ctx, proc, q);
  }

  flame(q: { proc?: ProcId; fromNs?: number; toNs?: number } = {}) {
    return flame(this.ctx, q);
  }

  callGraph(q: { proc?: ProcId; fromNs?: number; toNs?: number } = {}) {
    return callGraph(this.ctx, q);
  }

  origins(seq: Seq, q: { pattern?: string; before?: Seq; limit?: number } = {}) {
    return origins(this.ctx, seq, q);
  }

  crashes() {
    return crashes(this.ctx);
  }

  why(seq: Seq, maxHops?: number) {
    return why(this.ctx, seq, maxHops);
  }

  async mailboxAt(proc: ProcId, at: Seq): Promise<MessageRow[]> {
    return (await this.mailbox(proc, at)).messages;
  }

  mailbox(proc: ProcId, at: Seq): Promise<MailboxView> {
    return mailbox(this.ctx, proc, at, (r) => this.messageRow(r));
  }

  async linksAt(proc: ProcId, at: Seq): Promise<ProcId[]> {
    const list = await rows(
      this.con,
      `SELECT kind, other FROM events WHERE proc = ${int(proc)} AND seq <= ${int(at)}
         AND kind IN (${K.link}, ${K.getting_linked}, ${K.unlink}, ${K.getting_unlinked}) ORDER BY seq`,
    );
    const links = new Set<number>();
    for (const r of list) {
      const other = r["other"] as number | null;
      if (other === null) continue;
      if (r["kind"] === K.link || r["kind"] === K.getting_linked) links.add(other);
      else links.delete(other);
    }
    const procs = await loadProcesses(this.ctx);
    return [...links].filter((p) => {
      const x = procs[p]?.exitSeq;
      return x === null || x === undefined || x > at;
    });
  }

  stackAt(proc: ProcId, at: Seq) {
    return stackAt(this.ctx, proc, at);
  }

  monitorsAt(proc: ProcId, at: Seq) {
    return monitorsAt(this.ctx, proc, at);
  }

  timeline(q: Parameters<Recording["timeline"]>[0]) {
    return timeline(this.ctx, q);
  }

  async search(text: string, limit = 50): Promise<SearchHit[]> {
    const needle = text.trim();
    if (needle === "") return [];
    const lower = needle.toLowerCase();
    const hits: SearchHit[] = [];
    for (const p of await loadProcesses(this.ctx)) {
      if (
        p.pid.includes(needle) ||
        p.name?.toLowerCase().includes(lower) ||
        p.initialCall?.toLowerCase().includes(lower)
      )
        hits.push({ kind: "process", label: `${p.name ?? p.pid} ${p.pid}`, proc: p.id });
    }
    this.ctx.mfaNames.forEach((name, i) => {
      if (name.toLowerCase().includes(lower)) hits.push({ kind: "function", label: name, seq: i });
    });
    let pat: Pattern | undefined;
    try {
      pat = /^[{[%:"'#<~]/.test(needle) ? parsePattern(needle) : undefined;
    } catch {
      pat = undefined;
    }
    if (pat) {
      const page = await this.messages(null, null, { pattern: needle, limit });
      for (const m of page.items)
        hits.push({
          kind: "message",
          label: m.text,
          seq: (m.sendSeq ?? m.receiveSeq)!,
          proc: (m.to ?? m.from)!,
        });
    }
    return hits.slice(0, limit);
  }

  async sql(text: string): Promise<SqlResult> {
    try {
      return await this.con.query(text);
    } catch (err) {
      if (err instanceof RecordingError) throw err;
      throw new QueryError(`the SQL failed: ${String((err as Error).message).split("\n")[0]}`);
    }
  }

  async close(): Promise<void> {
    await this.con.close();
  }
}

export interface OpenOptions {
  /** How terms print: Elixir (default) or Erlang syntax. */
  syntax?: "elixir" | "erlang";
}

/** Opens a recording for queries. Throws RecordingError with a clear message for anything unreadable. */
export async function openRecording(path: string, options: OpenOptions = {}): Promise<Recording> {
  const { instance, con, meta } = await openStore(path);
  const duckdb = duckdbSource(instance, con);
  // A damaged file shows when a question reads the damaged part: it then says so, as opening would.
  const source: SqlSource = {
    query: (sql, params) => readingRecording(path, () => duckdb.query(sql, params)),
    close: () => duckdb.close(),
  };
  try {
    return await openSource(source, path, meta, options);
  } catch (err) {
    await source.close();
    if (err instanceof QueryError) throw err;
    throw damageOf(path, err) ?? new RecordingError(`${path} cannot be read as a recording`, { cause: err });
  }
}

/**
 * Answers questions about a recording still being written, through its writer (`StoreWriter.query`): what
 * it has committed so far. Open it again to see what came since.
 */
export async function openLiveRecording(
  source: SqlSource,
  path: string,
  options: OpenOptions = {},
): Promise<Recording> {
  const meta = new Map(
    (await rows(source, "SELECT key, value FROM meta")).map((r) => [String(r["key"]), String(r["value"])]),
  );
  return openSource(
    { query: (sql, params) => source.query(sql, params), close: async () => {} },
    path,
    meta,
    options,
  );
}

async function openSource(
  con: SqlSource,
  path: string,
  meta: Map<string, string>,
  options: OpenOptions,
): Promise<Recording> {
  const mfas = await rows(con, "SELECT id, name FROM mfas ORDER BY id");
  const mfaNames: string[] = [];
  for (const m of mfas) mfaNames[m["id"] as number] = m["name"] as string;
  const counts = await one(con, "SELECT count(*) AS n, max(ns) AS last FROM events");
  const procCount = await one(con, "SELECT count(*) AS n FROM procs");
  const node = meta.get("node") ?? "";
  const ended = meta.get("ended");
  const info: RecordingInfo = {
    path,
    formatVersion: Number(meta.get("format_version")),
    node,
    otpRelease: meta.get("otp_release") ?? "",
    elixirVersion: meta.get("elixir_version") || null,
    startedAt: meta.get("started_at") ?? "",
    durationNs: (counts?.["last"] as number | null) ?? 0,
    events: (counts?.["n"] as number) ?? 0,
    processes: (procCount?.["n"] as number) ?? 0,
    drops: safeJson(meta.get("drops")) ?? (await dropsFromNotes(con)),
    ended: ended === undefined ? null : ended.replace(/^"(.*)"$/, "$1"),
    complete: ended !== undefined,
    recovered: meta.get("recovered") ?? null,
    skipped:
      (safeJson(meta.get("skipped")) as unknown as string[] | undefined) ??
      (await textsFromNotes(con, "skipped")),
    conflicts:
      (safeJson(meta.get("conflicts")) as unknown as string[] | undefined) ??
      (await textsFromNotes(con, "tracer_conflict")),
  };
  const ctx: QueryContext = { con, terms: new TermStore(con, node, options.syntax), info, node, mfaNames };
  return new RecordingEngine(ctx);
}

function safeJson(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, number>;
  } catch {
    return undefined;
  }
}

/** The texts of the notes of a `type` (`skipped`, `tracer_conflict`), for a recording cut off before its meta. */
async function textsFromNotes(con: SqlSource, type: string): Promise<string[]> {
  const texts: string[] = [];
  for (const r of await rows(con, "SELECT note FROM notes")) {
    const n = safeJson(r["note"] as string) as unknown as { type?: string; text?: string } | undefined;
    if (n?.type === type && typeof n.text === "string") texts.push(n.text);
  }
  return texts;
}

async function dropsFromNotes(con: SqlSource): Promise<Record<string, number>> {
  const drops: Record<string, number> = {};
  for (const r of await rows(con, "SELECT note FROM notes")) {
    const n = safeJson(r["note"] as string) as unknown as
      { type?: string; reason?: string; count?: number } | undefined;
    if (n?.type === "drops" && n.reason) drops[n.reason] = (drops[n.reason] ?? 0) + (n.count ?? 0);
  }
  return drops;
}
