/**
 * A process's mailbox at a moment, as far as the recording can know it (`MailboxView`). A GenServer or
 * gen_statem whose states are recorded tells which message each callback handled, so its mailbox is what
 * it had received and not handled yet (replies and system messages, which no callback takes, left out). A
 * plain process takes messages with receives the trace does not show: only the messages received since the
 * last thing it was seen doing can be listed, as received, not as waiting. A process that had exited has
 * no mailbox.
 */
import { encode } from "../etf/encode.js";
import { takenByTheBehaviour } from "../correlate/replies.js";
import { K } from "../store/schema.js";
import type { MailboxView, MessageRow, ProcId, Seq } from "./api.js";
import type { QueryContext } from "./context.js";
import { int, one, rows, type Row } from "./db.js";
import { loadProcesses } from "./processes.js";

/** The kinds of event that show a process doing something itself (not something done to it). */
const ACTIONS = [
  K.call,
  K.return,
  K.exception,
  K.send,
  K.send_dead,
  K.spawn,
  K.link,
  K.unlink,
  K.register,
  K.unregister,
  K.monitor,
  K.demonitor,
];

export async function mailbox(
  ctx: QueryContext,
  proc: ProcId,
  at: Seq,
  messageRow: (r: Row) => MessageRow,
): Promise<MailboxView> {
  const p = (await loadProcesses(ctx))[proc];
  const view: MailboxView = {
    proc,
    at,
    basis: "states",
    since: null,
    exitSeq: null,
    exitReason: null,
    messages: [],
  };
  if (p?.exitSeq !== null && p?.exitSeq !== undefined && p.exitSeq <= at) {
    view.exitSeq = p.exitSeq;
    view.exitReason = p.exitReason;
    return view;
  }
  // Only a GenServer's or gen_statem's states say which message each callback took. A supervisor's one state
  // is its init/1's return (a traced callback's), after which it handles messages no state row follows.
  const hasStates =
    (p?.behaviour === "genserver" || p?.behaviour === "gen_statem") &&
    (await one(ctx.con, `SELECT 1 AS y FROM states WHERE proc = ${int(proc)} LIMIT 1`)) !== undefined;
  let after: number;
  if (hasStates) {
    const last = await one(
      ctx.con,
      `SELECT max(trigger_seq) AS t FROM states WHERE proc = ${int(proc)} AND seq <= ${int(at)}`,
    );
    after = (last?.["t"] as number | null) ?? -1;
  } else {
    view.basis = "since_last_action";
    const last = await one(
      ctx.con,
      `SELECT max(seq) AS s FROM events WHERE proc = ${int(proc)} AND seq <= ${int(at)}
         AND kind IN (${ACTIONS.join(",")})`,
    );
    view.since = (last?.["s"] as number | null) ?? null;
    after = view.since ?? -1;
  }
  const list = await rows(
    ctx.con,
    `SELECT * FROM messages WHERE receiver = ${int(proc)} AND receive_seq > ${int(after)}
       AND receive_seq <= ${int(at)} ORDER BY receive_seq LIMIT 1000`,
  );
  await ctx.terms.load(list.flatMap((r) => [r["term"], r["to_name"]] as (number | null)[]));
  view.messages = list
    .filter((r) => !hasStates || !takenByTheBehaviour(encode(ctx.terms.get(r["term"] as number) ?? []), 1))
    .map(messageRow);
  return view;
}
