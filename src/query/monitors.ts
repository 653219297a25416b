/**
 * The monitors of a process at a moment: those it holds (it watches another process) and those on it (others
 * watch it), from the `monitors` table (see src/store/schema.ts), plus, while a recording is still being
 * written, the `monitor` events of monitors not ended yet, whose rows come when they end. Recordings written
 * before the table existed have no monitors.
 */
import type { MonitorView, MonitorsAt, ProcId, Seq } from "./api.js";
import type { QueryContext } from "./context.js";
import { int, rows, type Row } from "./db.js";
import { K, MONITOR_ENDS } from "../store/schema.js";

const hasTable = new WeakMap<QueryContext, Promise<boolean>>();

function monitorsTable(ctx: QueryContext): Promise<boolean> {
  let p = hasTable.get(ctx);
  if (!p) {
    p = rows(ctx.con, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'monitors'").then(
      (r) => Number(r[0]?.["n"] ?? 0) > 0,
    );
    hasTable.set(ctx, p);
  }
  return p;
}

/** The monitors `proc` holds and those on it just after event `at`. */
export async function monitorsAt(ctx: QueryContext, proc: ProcId, at: Seq): Promise<MonitorsAt> {
  if (!(await monitorsTable(ctx))) return { holds: [], on: [] };
  const p = int(proc);
  const s = int(at);
  const list = await rows(
    ctx.con,
    `SELECT seq, watcher, target, target_name, end_seq, ended, reason, term FROM (
       SELECT m.seq, m.watcher, m.target, m.target_name, m.end_seq, m.ended, m.reason, e.term
       FROM monitors m LEFT JOIN events e ON e.seq = m.seq
       WHERE (m.watcher = ${p} OR m.target = ${p}) AND (m.seq IS NULL OR m.seq <= ${s})
         AND (m.end_seq IS NULL OR m.end_seq > ${s})
       UNION ALL
       SELECT e.seq, e.proc, e.other, NULL, NULL, NULL, NULL, e.term FROM events e
       WHERE e.kind = ${K.monitor} AND (e.proc = ${p} OR e.other = ${p}) AND e.seq <= ${s}
         AND NOT EXISTS (SELECT 1 FROM monitors m WHERE m.seq = e.seq))
     ORDER BY seq NULLS FIRST, target NULLS LAST LIMIT 2000`,
  );
  await ctx.terms.load(list.flatMap((r) => [r["reason"], r["term"]] as (number | null)[]));
  const views = list.map((r) => view(ctx, r));
  return { holds: views.filter((v) => v.watcher === proc), on: views.filter((v) => v.target === proc) };
}

function view(ctx: QueryContext, r: Row): MonitorView {
  const ended = r["ended"] as number | null;
  const name = r["target_name"] as string | null;
  return {
    seq: (r["seq"] as number | null) ?? null,
    watcher: r["watcher"] as number,
    target: (r["target"] as number | null) ?? null,
    targetText: name ?? ctx.terms.text((r["term"] as number | null) ?? null),
    endSeq: (r["end_seq"] as number | null) ?? null,
    ended: ended === null || ended === 0 ? null : (MONITOR_ENDS[ended] as MonitorView["ended"]),
    reason: ctx.terms.text((r["reason"] as number | null) ?? null),
  };
}
