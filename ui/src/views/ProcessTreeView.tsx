/**
 * The process tree at the cursor: who spawned whom (supervisors and their children included), which
 * processes were alive at that moment, and the dead ones with their exit reasons.
 */
import { useState } from "react";
import type { ProcessInfo } from "../../../src/query/api.js";
import { useApp } from "../store.js";
import { matches } from "../timeline/rows.js";
import { TermText } from "../term/TermView.js";
import { ProcLink } from "./ProcLink.js";

type Status = "unborn" | "alive" | "dead";

function status(p: ProcessInfo, at: number): Status {
  if (p.spawnSeq !== null && p.spawnSeq > at) return "unborn";
  if (p.exitSeq !== null && p.exitSeq <= at) return "dead";
  return "alive";
}

/** With a filter, the processes that match it or have a descendant that does. */
function shownByFilter(
  roots: ProcessInfo[],
  kids: Map<number, ProcessInfo[]>,
  filter: string,
): Set<number> | null {
  if (filter === "") return null;
  const keep = new Set<number>();
  const visit = (p: ProcessInfo): boolean => {
    let any = matches(p, filter);
    for (const c of kids.get(p.id) ?? []) if (visit(c)) any = true;
    if (any) keep.add(p.id);
    return any;
  };
  for (const p of roots) visit(p);
  return keep;
}

function Branch({
  p,
  kids,
  at,
  showDead,
}: {
  p: ProcessInfo;
  kids: Map<number, ProcessInfo[]>;
  at: number;
  showDead: boolean;
}) {
  const st = status(p, at);
  const children = (kids.get(p.id) ?? []).filter(
    (c) => status(c, at) !== "unborn" && (showDead || status(c, at) !== "dead"),
  );
  return (
    <li className={`pt-${st}`} data-testid="ptree-node" data-proc={p.id}>
      <ProcLink id={p.id} /> {p.name !== null ? <span className="muted">{p.pid}</span> : null}{" "}
      <span className="badge">{p.behaviour}</span>
      {st === "dead" ? (
        <span className={p.crashed ? "crashed" : "muted"}>
          {" "}
          exited: <TermText text={p.exitReason} max={160} />
        </span>
      ) : null}
      {children.length > 0 ? (
        <ul>
          {children.map((c) => (
            <Branch key={c.id} p={c} kids={kids} at={at} showDead={showDead} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function ProcessTreeView() {
  const processes = useApp((s) => s.processes);
  const byId = useApp((s) => s.byId);
  const at = useApp((s) => s.cursor ?? s.info?.events ?? 0);
  const [showDead, setShowDead] = useState(true);
  const kids = new Map<number, ProcessInfo[]>();
  let roots: ProcessInfo[] = [];
  for (const p of processes) {
    const parent = p.parent ?? p.supervisor;
    if (parent === null || !byId.has(parent)) roots.push(p);
    else {
      let l = kids.get(parent);
      if (!l) kids.set(parent, (l = []));
      l.push(p);
    }
  }
  const filter = useApp((s) => s.filter);
  const keep = shownByFilter(roots, kids, filter);
  if (keep) {
    roots = roots.filter((p) => keep.has(p.id));
    for (const [id, list] of kids)
      kids.set(
        id,
        list.filter((p) => keep.has(p.id)),
      );
  }
  const alive = processes.filter((p) => status(p, at) === "alive").length;
  const dead = processes.filter((p) => status(p, at) === "dead").length;
  return (
    <div className="ptree" data-testid="ptree">
      <div className="muted small pad">
        at the cursor: {alive} alive, {dead} dead{filter ? ` · matching "${filter}" and their ancestors` : ""}{" "}
        ·{" "}
        <label>
          <input type="checkbox" checked={showDead} onChange={(e) => setShowDead(e.target.checked)} /> show
          dead
        </label>
      </div>
      <ul>
        {roots
          .filter((p) => status(p, at) !== "unborn" && (showDead || status(p, at) !== "dead"))
          .map((p) => (
            <Branch key={p.id} p={p} kids={kids} at={at} showDead={showDead} />
          ))}
      </ul>
    </div>
  );
}
