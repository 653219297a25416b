/**
 * The process list of a recording: every process seen, with its name, kind, parent and supervisor, how it
 * ended, and whether a supervisor restarted it. Read once per open recording and kept: a finished recording
 * has it as a table (`process_list`); one cut off has it from an aggregate over the events.
 */
import { Atom, Tuple, type Term } from "../etf/terms.js";
import type { ProcessInfo } from "./api.js";
import type { QueryContext } from "./context.js";
import { rows } from "./db.js";
import { processName } from "./names.js";
import { decode } from "../etf/decode.js";
import { PROCESS_LIST_SQL } from "../store/schema.js";

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

/** Whether the recording has its process list made (a finished recording of this version has). */
async function hasProcessList(ctx: QueryContext): Promise<boolean> {
  if (!ctx.info.complete) return false;
  const [r] = await rows(
    ctx.con,
    "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'process_list'",
  );
  return Boolean(r?.["n"]);
}

export async function loadProcesses(ctx: QueryContext): Promise<ProcessInfo[]> {
  if (ctx.processes) return ctx.processes;
  const made = await hasProcessList(ctx);
  const base = await rows(
    ctx.con,
    `SELECT * FROM ${made ? "process_list" : `(${PROCESS_LIST_SQL})`} ORDER BY id`,
  );
  // The exit reasons: in the table, as bytes; else looked up.
  if (!made) await ctx.terms.load(base.map((r) => (r["exit_term"] as number | null) ?? null));
  const list: ProcessInfo[] = base.map((r) => {
    const id = r["id"] as number;
    const etf = r["exit_etf"] as Uint8Array | null | undefined;
    const exitTerm = etf ? decode(etf) : ctx.terms.get((r["exit_term"] as number | null) ?? null);
    const initial = r["initial"] as number | null;
    let behaviour = (r["behaviour"] as string | null) ?? (r["has_state"] ? "genserver" : "process");
    if (behaviour === "process" && r["has_state"]) behaviour = "genserver";
    const name = r["name"] as string | null;
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
      events: (r["events"] as number | null) ?? 0,
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
