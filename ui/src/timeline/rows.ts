/**
 * The timeline's rows: processes grouped by application and, within it, under their nearest supervisor (a
 * header row per group, which can be collapsed), applications by name (processes of none last), groups in
 * order of first appearance (processes under no supervisor last), with their vertical positions.
 */
import type { ProcessInfo } from "../../../src/query/api.js";
import { procLabel } from "../format.js";

export const GROUP_H = 18;
export const TRACK_H = 34;

export type Row =
  | { type: "group"; key: string; label: string; count: number; collapsed: boolean; y: number; h: number }
  | { type: "track"; proc: ProcessInfo; y: number; h: number };

export function matches(p: ProcessInfo, filter: string): boolean {
  if (filter === "") return true;
  const f = filter.toLowerCase();
  return [p.pid, p.name ?? "", p.initialCall ?? "", p.behaviour].some((s) => s.toLowerCase().includes(f));
}

export function buildRows(processes: ProcessInfo[], collapsed: Set<string>, filter: string): Row[] {
  const byId = new Map(processes.map((p) => [p.id, p]));
  const groups = new Map<string, ProcessInfo[]>();
  for (const p of processes) {
    if (!matches(p, filter)) continue;
    const key = `${p.application ?? ""}|${p.supervisor === null ? "top" : p.supervisor}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(p);
  }
  const sup = (key: string) => key.slice(key.indexOf("|") + 1);
  const app = (key: string) => key.slice(0, key.indexOf("|"));
  const first = (key: string) =>
    sup(key) === "top" ? Infinity : (byId.get(Number(sup(key)))?.firstSeq ?? 0);
  const order = [...groups.entries()].sort(([a, la], [b, lb]) =>
    (app(a) === "") !== (app(b) === "")
      ? app(a) === ""
        ? 1
        : -1
      : app(a).localeCompare(app(b)) || first(a) - first(b) || la[0]!.firstSeq - lb[0]!.firstSeq,
  );
  const rows: Row[] = [];
  let y = 0;
  for (const [key, list] of order) {
    const isCollapsed = collapsed.has(key);
    const s = sup(key);
    const under = s === "top" ? "no supervisor" : procLabel(byId.get(Number(s)), Number(s));
    const label = app(key) === "" ? under : `${app(key)} · ${under}`;
    rows.push({ type: "group", key, label, count: list.length, collapsed: isCollapsed, y, h: GROUP_H });
    y += GROUP_H;
    if (isCollapsed) continue;
    for (const proc of list.sort((a, b) => a.firstSeq - b.firstSeq)) {
      rows.push({ type: "track", proc, y, h: TRACK_H });
      y += TRACK_H;
    }
  }
  return rows;
}
