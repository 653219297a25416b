/**
 * The timeline of a time window at a given resolution, aggregated by the engine so that the screen never
 * gets more than it can show: calls narrower than one bucket merge into one slice (with their count),
 * messages into one arrow per pair of processes and bucket, events into per-bucket activity counts.
 */
import type { Arrow, Mark, Slice, Timeline, TimelineQuery } from "./api.js";
import { K } from "../store/schema.js";
import type { QueryContext } from "./context.js";
import { intList, rows } from "./db.js";
import { loadProcesses } from "./processes.js";

const MAX_ARROWS = 4000;
const MAX_MARKS = 4000;

export async function timeline(ctx: QueryContext, q: TimelineQuery): Promise<Timeline> {
  const from = Math.floor(q.fromNs);
  const to = Math.max(Math.ceil(q.toNs), from + 1);
  const buckets = Math.max(1, Math.min(Math.floor(q.buckets), 10_000));
  const width = Math.max(1, Math.ceil((to - from) / buckets));
  const procFilter = (col: string) =>
    q.procs && q.procs.length > 0 ? `AND ${col} IN (${intList(q.procs)})` : "";

  const [slices, activity, arrows, marks] = await Promise.all([
    rows(
      ctx.con,
      `SELECT proc, depth, (start_ns - ${from}) // ${width} AS b, count(*) AS n, min(start_ns) AS s,
              max(coalesce(end_ns, ${to})) AS e, min(call_seq) AS seq, arg_min(mfa, call_seq) AS mfa
       FROM calls WHERE start_ns < ${to} AND coalesce(end_ns, ${Number.MAX_SAFE_INTEGER}) > ${from} ${procFilter("proc")}
       GROUP BY proc, depth, b ORDER BY proc, s LIMIT 200000`,
    ),
    rows(
      ctx.con,
      `SELECT proc, (ns - ${from}) // ${width} AS b, count(*) AS n FROM events
       WHERE ns >= ${from} AND ns < ${to} ${procFilter("proc")} GROUP BY proc, b`,
    ),
    rows(
      ctx.con,
      `SELECT sender, receiver, (sent_ns - ${from}) // ${width} AS b, count(*) AS n, min(send_seq) AS s,
              min(receive_seq) AS r, min(sent_ns) AS sn, min(received_ns) AS rn
       FROM messages WHERE status = 0 AND sent_ns < ${to} AND received_ns >= ${from}
         ${procFilter("sender")} GROUP BY sender, receiver, b ORDER BY n DESC LIMIT ${MAX_ARROWS}`,
    ),
    rows(
      ctx.con,
      `SELECT seq, ns, proc, kind FROM events WHERE ns >= ${from} AND ns < ${to}
         AND kind IN (${K.exit}, ${K.spawned}) ${procFilter("proc")} ORDER BY seq LIMIT ${MAX_MARKS}`,
    ),
  ]);

  const procs = await loadProcesses(ctx);
  const byId = new Map(procs.map((p) => [p.id, p]));
  const tracks = new Map<number, Timeline["tracks"][number]>();
  const track = (proc: number) => {
    let t = tracks.get(proc);
    if (!t) tracks.set(proc, (t = { proc, slices: [], events: 0, activity: [] }));
    return t;
  };
  for (const s of slices) {
    const slice: Slice = {
      startNs: s["s"] as number,
      endNs: s["e"] as number,
      depth: (s["depth"] as number | null) ?? 0,
      mfa: ctx.mfaNames[s["mfa"] as number] ?? "?",
      callSeq: s["seq"] as number,
      count: s["n"] as number,
    };
    track(s["proc"] as number).slices.push(slice);
  }
  for (const a of activity) {
    const t = track(a["proc"] as number);
    t.activity.push([a["b"] as number, a["n"] as number]);
    t.events += a["n"] as number;
  }
  for (const t of tracks.values()) t.activity.sort((x, y) => x[0] - y[0]);
  const outArrows: Arrow[] = arrows.map((a) => ({
    sendSeq: a["s"] as number,
    receiveSeq: a["r"] as number,
    from: a["sender"] as number,
    to: a["receiver"] as number,
    sentNs: a["sn"] as number,
    receivedNs: a["rn"] as number,
    count: a["n"] as number,
  }));
  const outMarks: Mark[] = marks.map((m) => {
    const proc = m["proc"] as number;
    const p = byId.get(proc);
    const kind = m["kind"] as number;
    let markKind: Mark["kind"] = "exit";
    if (kind === K.exit) markKind = p?.crashed ? "crash" : "exit";
    else markKind = kind === K.spawned && p?.restartOf != null ? "restart" : "spawn";
    return { seq: m["seq"] as number, ns: m["ns"] as number, proc, kind: markKind };
  });
  return {
    tracks: [...tracks.values()].sort((a, b) => a.proc - b.proc),
    arrows: outArrows,
    marks: outMarks,
  };
}
