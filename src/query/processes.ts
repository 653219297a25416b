/**
 * The process list of a recording: every process seen, with its name, kind, parent and supervisor, how it
 * ended, and whether a supervisor restarted it. Built once per open recording with one pass over the
 * events (an aggregate in DuckDB) and kept.
 */
import { Atom, Tuple, type Term } from "../etf/terms.js";
import type { ProcessInfo } from "./api.js";
import type { QueryContext } from "./context.js";
import { rows } from "./db.js";
import { processName } from "./names.js";
import { K } from "../store/schema.js";

/**
 * Whether an exit is a crash. Not crashes: `:normal`, `:shutdown`, `{:shutdown, _}`, and `{:ok, _}`, a
 * result handed back through the exit signal to a monitoring process (Elixir's compiler does so for every
 * file it evaluates). `:noproc`, `:killed` and everything else are.
 */
export function isCrash(reason: Term | undefined): boolean {
  if (reason === undefined) return false;
  if (reason instanceof Atom) return reason.name !== "normal" && reason.name !== "shutdown";
  if (reason instanceof Tuple && reason.size === 2 && reason.at(0) instanceof Atom)
    return !["shutdown", "ok"].includes((reason.at(0) as Atom).name);
  return true;
}

export async function loadProcesses(ctx: QueryContext): Promise<ProcessInfo[]> {
  if (ctx.processes) return ctx.processes;
  const base = await rows(
    ctx.con,
    `WITH agg AS (
       SELECT proc, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS n,
              max(CASE WHEN kind = ${K.exit} THEN seq END) AS exit_seq,
              bool_or(kind = ${K.state}) AS has_state
       FROM events GROUP BY proc)
     SELECT p.id, p.pid, p.node, a.first_seq, a.last_seq, a.n, a.exit_seq, a.has_state,
            s.parent, s.seq AS spawn_seq, s.initial, s.behaviour, s.module, x.term AS exit_term,
            (SELECT any_value(application) FROM apps WHERE apps.proc = p.id) AS application
     FROM procs p
     LEFT JOIN agg a ON a.proc = p.id
     LEFT JOIN spawns s ON s.child = p.id
     LEFT JOIN events x ON x.seq = a.exit_seq
     ORDER BY p.id`,
  );
  const names = await rows(ctx.con, "SELECT proc, name, registered FROM names ORDER BY seq NULLS FIRST");
  const nameOf = new Map<number, string | null>();
  // The last name each process registered; a process keeps it after it dies or unregisters it.
  for (const n of names) if (n["registered"]) nameOf.set(n["proc"] as number, n["name"] as string);
  await ctx.terms.load(base.map((r) => (r["exit_term"] as number | null) ?? null));
  const list: ProcessInfo[] = base.map((r) => {
    const id = r["id"] as number;
    const exitTerm = ctx.terms.get((r["exit_term"] as number | null) ?? null);
    const initial = r["initial"] as number | null;
    let behaviour = (r["behaviour"] as string | null) ?? (r["has_state"] ? "genserver" : "process");
    if (behaviour === "process" && r["has_state"]) behaviour = "genserver";
    const name = nameOf.get(id);
    return {
      id,
      pid: r["pid"] as string,
      node: r["node"] as string,
      name: name ? processName(name) : null,
      behaviour,
      parent: (r["parent"] as number | null) ?? null,
      supervisor: null,
      application: (r["application"] as string | null) ?? null,
      restartOf: null,
      initialCall: initial === null ? null : (ctx.mfaNames[initial] ?? null),
      spawnSeq: (r["spawn_seq"] as number | null) ?? null,
      exitSeq: (r["exit_seq"] as number | null) ?? null,
      exitReason: exitTerm === undefined ? null : ctx.terms.format(exitTerm),
      crashed: isCrash(exitTerm),
      firstSeq: (r["first_seq"] as number | null) ?? 0,
      lastSeq: (r["last_seq"] as number | null) ?? 0,
      events: (r["n"] as number | null) ?? 0,
    };
  });
  const byId = new Map(list.map((p) => [p.id, p]));
  for (const p of list) {
    for (let a = p.parent, hops = 0; a !== null && hops < 100; hops++) {
      const anc = byId.get(a);
      if (!anc) break;
      if (anc.behaviour === "supervisor") {
        p.supervisor = anc.id;
        break;
      }
      a = anc.parent;
    }
  }
  // A restart: a supervisor's child started after a sibling with the same initial call crashed.
  const crashedSiblings = new Map<string, ProcessInfo[]>();
  for (const q of list) {
    if (q.parent === null || !q.crashed || q.exitSeq === null) continue;
    const key = `${q.parent}|${q.initialCall}`;
    const group = crashedSiblings.get(key) ?? [];
    group.push(q);
    crashedSiblings.set(key, group);
  }
  for (const group of crashedSiblings.values()) group.sort((a, b) => a.exitSeq! - b.exitSeq!);
  for (const p of list) {
    if (p.parent === null || p.spawnSeq === null || byId.get(p.parent)?.behaviour !== "supervisor") continue;
    const group = crashedSiblings.get(`${p.parent}|${p.initialCall}`);
    if (!group) continue;
    // The last crash before it was started.
    let lo = 0;
    let hi = group.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (group[mid]!.exitSeq! < p.spawnSeq) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) p.restartOf = group[lo - 1]!.id;
  }
  ctx.processes = list;
  return list;
}
