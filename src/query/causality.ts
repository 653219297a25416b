/**
 * Why something happened: from any event, back along its causes (see src/correlate/ingest.ts): a receive
 * to its send, anything a process does to the message it was handling, a spawned process to its spawn, an
 * exit by a link's signal to that exit. Each step is one lookup by sequence number. `crashes` starts that
 * walk from every crash.
 */
import type { ChainStep, CauseRelation, Crash, EventRow, Seq } from "./api.js";
import { QueryError } from "./api.js";
import { EVENT_COLUMNS, toEventRow, type QueryContext } from "./context.js";
import { int, rows } from "./db.js";
import { loadProcesses } from "./processes.js";
import { fillStateTexts } from "./states.js";
import { K } from "../store/schema.js";

export async function eventAt(ctx: QueryContext, seq: Seq): Promise<EventRow> {
  const found = await rows(ctx.con, `SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ${int(seq)}`);
  if (found.length === 0)
    throw new QueryError(
      `there is no event #${seq}: this recording has events #0 to #${ctx.info.events - 1}`,
    );
  await ctx.terms.load([(found[0]!["term"] as number | null) ?? null]);
  const e = toEventRow(ctx, found[0]!);
  await fillStateTexts(ctx, [e]);
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

export async function why(ctx: QueryContext, seq: Seq, maxHops = 20): Promise<ChainStep[]> {
  let cur = await eventAt(ctx, seq);
  const chain: ChainStep[] = [
    { seq: cur.seq, proc: cur.proc, kind: cur.kind, text: describeEvent(cur), relation: "start" },
  ];
  const seen = new Set([seq]);
  for (let hop = 0; hop < maxHops && cur.cause !== null && !seen.has(cur.cause); hop++) {
    const next = await eventAt(ctx, cur.cause);
    seen.add(next.seq);
    chain.push({
      seq: next.seq,
      proc: next.proc,
      kind: next.kind,
      text: describeEvent(next),
      relation: relation(cur, next),
    });
    cur = next;
  }
  return chain;
}

export async function crashes(ctx: QueryContext): Promise<Crash[]> {
  const procs = await loadProcesses(ctx);
  const exits = await rows(ctx.con, `SELECT seq, proc, term FROM events WHERE kind = ${K.exit} ORDER BY seq`);
  const crashed = new Set(procs.filter((p) => p.crashed).map((p) => p.id));
  const out: Crash[] = [];
  for (const x of exits) {
    const proc = x["proc"] as number;
    if (!crashed.has(proc)) continue;
    await ctx.terms.load([(x["term"] as number | null) ?? null]);
    const seq = x["seq"] as number;
    out.push({
      seq,
      proc,
      reason: ctx.terms.text((x["term"] as number | null) ?? null) ?? "",
      chain: await why(ctx, seq),
      restartedAs: procs.find((p) => p.restartOf === proc)?.id ?? null,
    });
  }
  return out;
}
