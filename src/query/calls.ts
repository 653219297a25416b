/**
 * Calls as trees: the call tree of a process over a span of events (timed calls from the `calls` table,
 * with the calls whose functions have no return tracing as untimed leaves under them), the calls in
 * progress at a moment (the stack), a flame graph of self time by stack, and the dynamic call graph.
 */
import type { CallEdge, CallNode, FlameFrame, ProcId, Seq } from "./api.js";
import { CALL_OUTCOMES, K } from "../store/schema.js";
import type { QueryContext } from "./context.js";
import { int, rows, type Row } from "./db.js";

const MAX_NODES = 10_000;

function node(ctx: QueryContext, e: Row, c: Row | undefined): CallNode {
  const outcome = c ? (CALL_OUTCOMES[c["outcome"] as number] as CallNode["outcome"]) : "untimed";
  return {
    callSeq: e["seq"] as number,
    returnSeq: (c?.["end_seq"] as number | null) ?? null,
    mfa: ctx.mfaNames[e["mfa"] as number] ?? "?",
    depth: (e["depth"] as number | null) ?? 0,
    startNs: e["ns"] as number,
    durationNs: c && c["end_ns"] !== null ? (c["end_ns"] as number) - (c["start_ns"] as number) : null,
    selfNs: (c?.["self_ns"] as number | null) ?? null,
    outcome,
    result: c ? ctx.terms.text((c["result"] as number | null) ?? null) : null,
    children: [],
  };
}

export async function callTree(
  ctx: QueryContext,
  proc: ProcId,
  q: { from?: Seq; to?: Seq; root?: Seq; limit?: number },
): Promise<CallNode[]> {
  let from = q.from ?? 0;
  let to = q.to ?? Number.MAX_SAFE_INTEGER;
  if (q.root !== undefined) {
    const r = await rows(ctx.con, `SELECT end_seq FROM calls WHERE call_seq = ${int(q.root)}`);
    from = q.root;
    to = (r[0]?.["end_seq"] as number | null) ?? (r.length > 0 ? Number.MAX_SAFE_INTEGER : q.root);
  }
  const limit = Math.min(q.limit ?? 2000, MAX_NODES);
  const calls = await rows(
    ctx.con,
    `SELECT seq, ns, mfa, depth FROM events WHERE proc = ${int(proc)} AND kind = ${K.call}
       AND seq BETWEEN ${int(from)} AND ${int(to)} ORDER BY seq LIMIT ${int(limit)}`,
  );
  if (calls.length === 0) return [];
  const first = calls[0]!["seq"] as number;
  const last = calls[calls.length - 1]!["seq"] as number;
  const timed = await rows(
    ctx.con,
    `SELECT * FROM calls WHERE proc = ${int(proc)} AND call_seq BETWEEN ${first} AND ${last}`,
  );
  await ctx.terms.load(timed.map((c) => (c["result"] as number | null) ?? null));
  const bySeq = new Map(timed.map((c) => [c["call_seq"] as number, c]));
  const roots: CallNode[] = [];
  const stack: CallNode[] = [];
  for (const e of calls) {
    const n = node(ctx, e, bySeq.get(e["seq"] as number));
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.outcome === "open" || (top.returnSeq !== null && top.returnSeq > n.callSeq)) break;
      stack.pop();
    }
    (stack.length > 0 ? stack[stack.length - 1]!.children : roots).push(n);
    if (n.outcome !== "untimed") stack.push(n);
  }
  return roots;
}

export async function stackAt(
  ctx: QueryContext,
  proc: ProcId,
  at: Seq,
): Promise<{ callSeq: Seq; mfa: string; args: string | null }[]> {
  const open = await rows(
    ctx.con,
    `SELECT c.call_seq, c.mfa, e.term FROM calls c JOIN events e ON e.seq = c.call_seq
     WHERE c.proc = ${int(proc)} AND c.call_seq <= ${int(at)} AND (c.end_seq IS NULL OR c.end_seq > ${int(at)})
     ORDER BY c.depth`,
  );
  await ctx.terms.load(open.map((r) => (r["term"] as number | null) ?? null));
  return open.map((r) => ({
    callSeq: r["call_seq"] as number,
    mfa: ctx.mfaNames[r["mfa"] as number] ?? "?",
    args: ctx.terms.text((r["term"] as number | null) ?? null),
  }));
}

export async function flame(
  ctx: QueryContext,
  q: { proc?: ProcId; fromNs?: number; toNs?: number },
): Promise<FlameFrame[]> {
  const where = [
    "end_ns IS NOT NULL",
    q.proc === undefined ? "" : `proc = ${int(q.proc)}`,
    q.fromNs === undefined ? "" : `end_ns >= ${int(Math.floor(q.fromNs))}`,
    q.toNs === undefined ? "" : `start_ns <= ${int(Math.ceil(q.toNs))}`,
  ].filter(Boolean);
  const list = await rows(
    ctx.con,
    `SELECT call_seq, parent_seq, mfa, self_ns FROM calls WHERE ${where.join(" AND ")} ORDER BY call_seq LIMIT 200000`,
  );
  const bySeq = new Map(list.map((c) => [c["call_seq"] as number, c]));
  const frames = new Map<string, FlameFrame>();
  for (const c of list) {
    const stack: string[] = [];
    for (let x: Row | undefined = c; x && stack.length < 200; x = bySeq.get(x["parent_seq"] as number)) {
      stack.unshift(ctx.mfaNames[x["mfa"] as number] ?? "?");
    }
    const key = stack.join(";");
    const f = frames.get(key) ?? { stack, selfNs: 0, calls: 0 };
    f.selfNs += (c["self_ns"] as number | null) ?? 0;
    f.calls++;
    frames.set(key, f);
  }
  return [...frames.values()].sort((a, b) => b.selfNs - a.selfNs);
}

/**
 * The dynamic call graph: which function called which, how often, and for timed callees how long, over all
 * calls recorded (or one process's, or a time window's). A call's caller is the function recorded with it
 * (`capture.callers`, in `other`), else the timed call open at the depth just below it (an ASOF join on the
 * process, the depth and the sequence); a call with neither is a top-level call (caller null): its caller
 * was not traced.
 *
 * The ASOF join sorts what it joins, so only the calls that need it go through it: those below a timed call
 * with no recorded caller. The calls are read once; the others are counted by caller and callee as they
 * are. The times come from `calls` alone, joined back to the calls only for the timed calls below another
 * and those with a recorded caller (`graphSql`).
 */
export async function callGraph(
  ctx: QueryContext,
  q: { proc?: ProcId; fromNs?: number; toNs?: number },
): Promise<CallEdge[]> {
  const proc = q.proc === undefined ? [] : [`proc = ${int(q.proc)}`];
  const from = q.fromNs === undefined ? undefined : int(Math.floor(q.fromNs));
  const to = q.toNs === undefined ? undefined : int(Math.ceil(q.toNs));
  const window = (ns: string) => [
    from === undefined ? "" : `${ns} >= ${from}`,
    to === undefined ? "" : `${ns} <= ${to}`,
  ];
  const where = (parts: string[]) => parts.filter(Boolean).join(" AND ") || "true";
  const list = await rows(
    ctx.con,
    graphSql(
      where([`kind = ${K.call}`, ...proc, ...window("ns")]),
      where(proc),
      where(["end_ns IS NOT NULL", ...proc, ...window("start_ns")]),
    ),
  );
  const name = (id: unknown) =>
    id === null || id === undefined ? null : (ctx.mfaNames[id as number] ?? "?");
  return list.map((r) => ({
    caller: name(r["caller"]),
    callee: name(r["callee"]) ?? "?",
    calls: Number(r["n"]),
    timed: Number(r["timed"]),
    totalNs: r["total_ns"] === null ? null : Number(r["total_ns"]),
    selfNs: r["self_ns"] === null ? null : Number(r["self_ns"]),
  }));
}

/**
 * The call graph's query: `calls` selects the call events, `callers` the timed calls that may be callers (any
 * time: a caller may start before the window), `timed` the timed calls whose times count (the calls of the
 * window, by their start). A call is `nested` when its caller is the timed call below it, found by the ASOF
 * join; the others (a recorded caller, or depth 0: none) are counted straight from `c`. `direct` reads all of
 * `c` and counts only those: were every reader of `c` to filter it, DuckDB would push their filters, ORed,
 * into its scan of the events, which costs more than it saves; the groups only nested calls make there count
 * none and are left out by the HAVING. The timed calls' times: those below another with no recorded caller
 * in `nested`, the others by whether a caller was recorded (`captured`: an IN, so that DuckDB builds its
 * hash table on those few calls rather than on every timed call). `d`, which three parts read, is read from
 * `calls` once.
 */
function graphSql(calls: string, callers: string, timed: string): string {
  return `
WITH c AS MATERIALIZED (SELECT seq, proc, mfa, other, coalesce(depth, 0) AS depth FROM events WHERE ${calls}),
     t AS (SELECT call_seq, proc, depth, mfa FROM calls WHERE ${callers}),
     x AS (SELECT seq, other FROM c WHERE other >= 0),
     d AS MATERIALIZED (SELECT call_seq, mfa, depth, end_ns - start_ns AS total_ns, self_ns,
                               call_seq IN (SELECT seq FROM x) AS captured
                          FROM calls WHERE ${timed}),
     direct AS (SELECT CASE WHEN other >= 0 THEN other END AS caller, mfa AS callee,
                       count(*) FILTER (WHERE other >= 0 OR depth = 0) AS n,
                       0 AS timed, NULL::BIGINT AS total_ns, NULL::BIGINT AS self_ns
                  FROM c GROUP BY ALL),
     nested AS (SELECT t.mfa AS caller, c.mfa AS callee, count(*) AS n, count(d.call_seq) AS timed,
                       sum(d.total_ns) AS total_ns, sum(d.self_ns) AS self_ns
                  FROM (FROM c WHERE (other IS NULL OR other < 0) AND depth <> 0) c
                  ASOF LEFT JOIN t ON c.proc = t.proc AND c.depth - 1 = t.depth AND c.seq > t.call_seq
                  LEFT JOIN (FROM d WHERE depth <> 0) d ON d.call_seq = c.seq
                 GROUP BY ALL),
     top AS (SELECT NULL::INTEGER AS caller, mfa AS callee, 0 AS n, count(*) AS timed,
                    sum(total_ns) AS total_ns, sum(self_ns) AS self_ns
               FROM d WHERE depth = 0 AND NOT captured GROUP BY ALL),
     recorded AS (SELECT x.other AS caller, d.mfa AS callee, 0 AS n, count(*) AS timed,
                         sum(total_ns) AS total_ns, sum(self_ns) AS self_ns
                    FROM (FROM d WHERE captured) d JOIN x ON x.seq = d.call_seq GROUP BY ALL)
SELECT caller, callee, sum(n) AS n, sum(timed) AS timed, sum(total_ns) AS total_ns, sum(self_ns) AS self_ns
  FROM (FROM direct UNION ALL FROM nested UNION ALL FROM top UNION ALL FROM recorded)
 GROUP BY caller, callee HAVING sum(n) > 0
 ORDER BY n DESC, callee, caller NULLS FIRST LIMIT 10000`;
}
