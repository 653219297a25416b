/**
 * GenServer state over time: the state of a process after any event (`stateAt`) and its state timeline
 * with structural diffs (`states`). States are stored as the agent sent them (a whole state, then the keys
 * that changed) with a whole state every `CHECKPOINT_EVERY` changes, so rebuilding one replays at most that
 * many changes from the checkpoint before it.
 */
import { Tuple, isAtom, type Term } from "../etf/terms.js";
import { StateBuilder, type StateChange } from "../correlate/state-builder.js";
import { CHECKPOINT_EVERY, STATE_CHANGES } from "../store/schema.js";
import type { EventRow, Page, ProcId, Seq, StateView, TermChange } from "./api.js";
import type { QueryContext } from "./context.js";
import { int, intList, rows, type Row } from "./db.js";
import { diffTerms, formatPath } from "./term-diff.js";

const STATE_COLUMNS = `seq, proc, trigger_seq, trigger, reply, change, payload, "full", base_seq`;

export function describeDiff(ctx: QueryContext, before: Term | undefined, after: Term): TermChange[] {
  if (before === undefined) return [];
  return diffTerms(before, after).map((c) => ({
    path: formatPath(c.path),
    kind: c.kind,
    before: c.before === undefined ? null : ctx.terms.format(c.before, 200),
    after: c.after === undefined ? null : ctx.terms.format(c.after, 200),
  }));
}

/** Applies state row `r` (its terms loaded) to `builder`; the state after it, or undefined if not known. */
function advance(ctx: QueryContext, builder: StateBuilder, r: Row): Term | undefined {
  const full = ctx.terms.get(r["full"] as number | null);
  const change = STATE_CHANGES[r["change"] as number] as StateChange;
  if (full !== undefined) builder.set(full);
  else if (!builder.apply(change, ctx.terms.get(r["payload"] as number)!)) builder.reset();
  return builder.known ? builder.current() : undefined;
}

/**
 * Replays the state rows of `proc` from the checkpoint at or before `fromSeq` up to `toSeq` (or `limit` rows
 * from `fromSeq` on), calling `each` with every row at or after `fromSeq`, its state and the one before it.
 * The rows are read in one query, with the terms a view shows: the change or whole state, trigger, reply.
 */
async function replay(
  ctx: QueryContext,
  proc: ProcId,
  fromSeq: Seq,
  toSeq: Seq | null,
  limit: number | null,
  each: (row: Row, state: Term, previous: Term | undefined) => void,
): Promise<void> {
  // The row before fromSeq gives the checkpoint to start from and the "previous" state of the first row.
  const start = `coalesce((SELECT coalesce(base_seq, seq) FROM states WHERE proc = ${int(proc)}
    AND seq < ${int(fromSeq)} ORDER BY seq DESC LIMIT 1), ${int(fromSeq)})`;
  const upper = toSeq === null ? "" : `AND seq <= ${int(toSeq)}`;
  const list = await rows(
    ctx.con,
    `SELECT ${STATE_COLUMNS} FROM states WHERE proc = ${int(proc)} AND seq >= ${start} ${upper} ORDER BY seq` +
      (limit === null ? "" : ` LIMIT ${int(limit + 2 * CHECKPOINT_EVERY + 1)}`),
  );
  await ctx.terms.load(
    list.flatMap((r) => [r["payload"], r["full"], r["trigger"], r["reply"]] as (number | null)[]),
  );
  const builder = new StateBuilder();
  let previous: Term | undefined;
  let emitted = 0;
  for (const r of list) {
    const state = advance(ctx, builder, r);
    if ((r["seq"] as number) >= fromSeq && state !== undefined) {
      each(r, state, previous);
      if (limit !== null && ++emitted >= limit) return;
    }
    previous = state;
  }
}

/**
 * What caused a state: `states.trigger` holds the message for a `{:in, msg}` trigger, or the whole trigger
 * otherwise (`{:continue, term}`, which comes with no receive).
 */
function triggerOf(ctx: QueryContext, r: Row): StateView["trigger"] {
  const t = ctx.terms.get(r["trigger"] as number | null);
  const seq = (r["trigger_seq"] as number | null) ?? null;
  if (t !== undefined) {
    const isContinue = seq === null && t instanceof Tuple && t.size === 2 && isAtom(t.at(0), "continue");
    return { seq, text: isContinue ? `{:continue, ${ctx.terms.format(t.at(1))}}` : ctx.terms.format(t) };
  }
  if (seq !== null) return { seq, text: "" };
  return null;
}

function view(ctx: QueryContext, r: Row, state: Term, previous: Term | undefined): StateView {
  return {
    proc: r["proc"] as number,
    seq: r["seq"] as number,
    ns: 0,
    trigger: triggerOf(ctx, r),
    reply: ctx.terms.text((r["reply"] as number | null) ?? null),
    state,
    text: ctx.terms.format(state, 0),
    diff: describeDiff(ctx, previous, state),
  };
}

/** Fills in the times of the state events and the text of triggers known only by their receive. */
async function complete(ctx: QueryContext, views: StateView[]): Promise<StateView[]> {
  if (views.length === 0) return views;
  const seqs = new Set<number>();
  for (const v of views) {
    seqs.add(v.seq);
    if (v.trigger?.seq != null && v.trigger.text === "") seqs.add(v.trigger.seq);
  }
  const list = [...seqs].sort((a, b) => a - b);
  const found = await rows(
    ctx.con,
    `SELECT seq, ns, term FROM events WHERE seq BETWEEN ${list[0]} AND ${list[list.length - 1]} AND seq IN (${list.join(",")})`,
  );
  await ctx.terms.load(found.map((r) => (r["term"] as number | null) ?? null));
  const bySeq = new Map(found.map((r) => [r["seq"] as number, r]));
  for (const v of views) {
    v.ns = (bySeq.get(v.seq)?.["ns"] as number | undefined) ?? 0;
    if (v.trigger?.seq != null && v.trigger.text === "") {
      v.trigger.text = ctx.terms.text((bySeq.get(v.trigger.seq)?.["term"] as number | null) ?? null) ?? "";
    }
  }
  return views;
}

export async function stateAt(ctx: QueryContext, proc: ProcId, at: Seq): Promise<StateView | null> {
  const last = await rows(
    ctx.con,
    `SELECT seq FROM states WHERE proc = ${int(proc)} AND seq <= ${int(at)} ORDER BY seq DESC LIMIT 1`,
  );
  if (last.length === 0) return null;
  const seq = last[0]!["seq"] as number;
  let result: StateView | null = null;
  await replay(ctx, proc, seq, seq, 1, (r, s, p) => (result = view(ctx, r, s, p)));
  return result ? (await complete(ctx, [result]))[0]! : null;
}

export async function states(
  ctx: QueryContext,
  proc: ProcId,
  q: { after?: Seq; limit?: number } = {},
): Promise<Page<StateView>> {
  const limit = Math.min(q.limit ?? 50, 10_000);
  const out: StateView[] = [];
  await replay(ctx, proc, (q.after ?? -1) + 1, null, limit + 1, (r, s, p) => out.push(view(ctx, r, s, p)));
  const next = out.length > limit ? out[limit - 1]!.seq : null;
  return { items: await complete(ctx, out.slice(0, limit)), next };
}

/**
 * The state after each state event of `events`, replacing its text: a state event's stored term is what the
 * agent sent (a whole state, or only what changed: `{:changed, %{balance: 100}, []}`, `:unchanged`), which
 * is not the state a reader expects beside the event. Events whose state is not known keep their text.
 */
export async function fillStateTexts(ctx: QueryContext, events: EventRow[]): Promise<void> {
  const texts = await stateTexts(
    ctx,
    events.filter((e) => e.kind === "state"),
  );
  for (const e of events) e.text = texts.get(e.seq) ?? e.text;
}

/**
 * The texts of the states after the state events `events` (by seq), for those whose state is known. Every
 * process's states are replayed from the checkpoint its first state event here builds on, all of them read
 * in one query (a page of every process's events asks no more than a page of one), reading only what the
 * states need.
 */
export async function stateTexts(
  ctx: QueryContext,
  events: { seq: Seq; proc: ProcId }[],
): Promise<Map<Seq, string>> {
  const texts = new Map<Seq, string>();
  if (events.length === 0) return texts;
  const seqs = events.map((e) => e.seq).sort((a, b) => a - b);
  const lo = seqs[0]!;
  const hi = seqs[seqs.length - 1]!;
  // Where each process's replay starts: the checkpoint its first state event here builds on.
  const starts = await rows(
    ctx.con,
    `SELECT proc, min(coalesce(base_seq, seq)) AS start FROM states
       WHERE seq BETWEEN ${lo} AND ${hi} AND seq IN (${intList(seqs)}) GROUP BY proc`,
  );
  if (starts.length === 0) return texts;
  const from = starts.map((r) => `WHEN ${int(r["proc"] as number)} THEN ${int(r["start"] as number)}`);
  const list = await rows(
    ctx.con,
    `SELECT proc, seq, change, payload, "full" FROM states
       WHERE seq BETWEEN ${int(Math.min(...starts.map((r) => r["start"] as number)))} AND ${hi}
         AND proc IN (${intList(starts.map((r) => r["proc"] as number))})
         AND seq >= CASE proc ${from.join(" ")} END
       ORDER BY proc, seq`,
  );
  await ctx.terms.load(list.flatMap((r) => [r["payload"], r["full"]] as (number | null)[]));
  const wanted = new Set(seqs);
  const builder = new StateBuilder();
  let proc: number | undefined;
  for (const r of list) {
    if (r["proc"] !== proc) {
      proc = r["proc"] as number;
      builder.reset();
    }
    const state = advance(ctx, builder, r);
    const seq = r["seq"] as number;
    if (state !== undefined && wanted.has(seq)) texts.set(seq, ctx.terms.format(state));
  }
  return texts;
}
