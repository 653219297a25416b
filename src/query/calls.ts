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
 * calls recorded (or one process's, or a time window's). A call's caller is the timed call open at the
 * depth just below it (an ASOF join on the process, the depth and the sequence); a call with none is a
 * top-level call (caller null): its caller was not traced.
 */
export async function callGraph(
  ctx: QueryContext,
  q: { proc?: ProcId; fromNs?: number; toNs?: number },
): Promise<CallEdge[]> {
  const where = [
    `kind = ${K.call}`,
    q.proc === undefined ? "" : `proc = ${int(q.proc)}`,
    q.fromNs === undefined ? "" : `ns >= ${int(Math.floor(q.fromNs))}`,
    q.toNs === undefined ? "" : `ns <= ${int(Math.ceil(q.toNs))}`,
  ].filter(Boolean);
  const list = await rows(
    ctx.con,
    `WITH c AS (SELECT seq, proc, mfa, other, coalesce(depth, 0) AS depth FROM events WHERE ${where.join(" AND ")}),
          t AS (SELECT call_seq, proc, depth, mfa FROM calls${q.proc === undefined ? "" : ` WHERE proc = ${int(q.proc)}`})
     SELECT CASE WHEN c.other >= 0 THEN c.other ELSE t.mfa END AS caller, c.mfa AS callee, count(*) AS n,
            count(d.call_seq) AS timed,
            sum(d.end_ns - d.start_ns) AS total_ns, sum(d.self_ns) AS self_ns
       FROM c ASOF LEFT JOIN t ON c.proc = t.proc AND c.depth - 1 = t.depth AND c.seq > t.call_seq
              LEFT JOIN calls d ON d.call_seq = c.seq AND d.end_ns IS NOT NULL
      GROUP BY caller, c.mfa ORDER BY n DESC, callee LIMIT 10000`,
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
