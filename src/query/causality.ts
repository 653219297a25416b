/**
 * Why something happened: from any event, back along its causes (see src/correlate/ingest.ts): a receive
 * to its send, anything a process does to the message it was handling, a spawned process to its spawn, an
 * exit by a link's signal to that exit. Each step is one lookup by sequence number. `crashes` starts that
 * walk from every crash, the walks side by side (one lookup a step for all of them).
 */
import type { ChainStep, CauseRelation, Crash, EventRow, Seq } from "./api.js";
import { QueryError } from "./api.js";
import { EVENT_COLUMNS, toEventRow, type QueryContext } from "./context.js";
import { intList, rows } from "./db.js";
import { loadProcesses } from "./processes.js";
import { fillStateTexts } from "./states.js";

function noEvent(ctx: QueryContext, seq: Seq): QueryError {
  return new QueryError(`there is no event #${seq}: this recording has events #0 to #${ctx.info.events - 1}`);
}

export async function eventAt(ctx: QueryContext, seq: Seq): Promise<EventRow> {
  const e = (await eventsAt(ctx, [seq])).get(seq);
  if (e === undefined) throw noEvent(ctx, seq);
  return e;
}

/** How a `timeout` event reads: no message came, the receive's `after` clause ran. */
export const TIMEOUT_TEXT = "timeout (receive ... after fired)";

/**
 * One line saying what an event was: `receive {:process, -1}`, `call SampleApp.Worker.handle_call/3`, and
 * for a call whose caller was recorded `call SampleApp.Bank.Account.withdraw/2 from SampleApp.Bank.transfer/3`.
 */
export function describeEvent(e: EventRow): string {
  if (e.kind === "timeout") return TIMEOUT_TEXT;
  const what =
    e.kind === "call" || e.kind === "return" || e.kind === "exception" ? `${e.kind} ${e.mfa ?? ""}` : e.kind;
  const from = e.caller === null ? "" : ` from ${e.caller}`;
  return e.text ? `${what}${from} ${e.text}` : `${what}${from}`;
}

function relation(from: EventRow, to: EventRow): CauseRelation {
  if (from.kind === "receive" && to.kind === "send") return "sent by";
  if (from.kind === "spawned") return "spawned by";
  if (to.kind === "exit") return "exit signal from";
  if (to.kind === "timeout") return "after";
  if (to.proc === from.proc && to.kind === "call") return "called from";
  return "while handling";
}

/** The events `seqs` that are in the recording, by seq. */
async function eventsAt(ctx: QueryContext, seqs: Seq[]): Promise<Map<Seq, EventRow>> {
  const found = await rows(ctx.con, `SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (${intList(seqs)})`);
  await ctx.terms.load(found.map((r) => (r["term"] as number | null) ?? null));
  const events = found.map((r) => toEventRow(ctx, r));
  await fillStateTexts(ctx, events);
  return new Map(events.map((e) => [e.seq, e]));
}

export async function why(ctx: QueryContext, seq: Seq, maxHops = 20): Promise<ChainStep[]> {
  const [walk] = await whyEach(ctx, [seq], maxHops);
  if (!walk) throw noEvent(ctx, seq);
  return walk.chain;
}

/**
 * `why` of each of `seqs` that is in the recording, with its event: the chains walked side by side, one
 * lookup a hop for all of them.
 */
async function whyEach(
  ctx: QueryContext,
  seqs: Seq[],
  maxHops: number,
): Promise<{ start: EventRow; chain: ChainStep[] }[]> {
  const starts = await eventsAt(ctx, seqs);
  const walks = seqs.flatMap((seq) => {
    const start = starts.get(seq);
    if (start === undefined) return [];
    const chain: ChainStep[] = [
      { seq, proc: start.proc, kind: start.kind, text: describeEvent(start), relation: "start" },
    ];
    return [{ start, chain, cur: start, seen: new Set([seq]) }];
  });
  for (let hop = 0; hop < maxHops; hop++) {
    const going = walks.filter((w) => w.cur.cause !== null && !w.seen.has(w.cur.cause));
    if (going.length === 0) break;
    const next = await eventsAt(ctx, [...new Set(going.map((w) => w.cur.cause!))]);
    for (const w of going) {
      const e = next.get(w.cur.cause!);
      if (e === undefined) {
        w.seen.add(w.cur.cause!); // a cause not in the recording (cut off before it): the walk ends
        continue;
      }
      w.seen.add(e.seq);
      w.chain.push({
        seq: e.seq,
        proc: e.proc,
        kind: e.kind,
        text: describeEvent(e),
        relation: relation(w.cur, e),
      });
      w.cur = e;
    }
  }
  return walks.map(({ start, chain }) => ({ start, chain }));
}

export async function crashes(ctx: QueryContext): Promise<Crash[]> {
  const procs = await loadProcesses(ctx);
  // The process list knows each process's exit and whether it was a crash.
  const crashed = procs
    .filter((p) => p.crashed && p.exitSeq !== null)
    .sort((a, b) => a.exitSeq! - b.exitSeq!);
  if (crashed.length === 0) return [];
  const walks = await whyEach(
    ctx,
    crashed.map((p) => p.exitSeq!),
    20,
  );
  return walks.map(({ start, chain }) => ({
    seq: start.seq,
    proc: start.proc,
    reason: start.text ?? "",
    chain,
    restartedAs: procs.find((q) => q.restartOf === start.proc)?.id ?? null,
  }));
}
