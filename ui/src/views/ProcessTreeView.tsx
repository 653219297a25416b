/**
 * The process tree at the cursor: who spawned whom (supervisors and their children included), which
 * processes were alive at that moment, and the dead ones with their exit reasons.
 */
import { useState } from "react";
import type { ProcessInfo } from "../../../src/query/api.js";
import { useApp } from "../store.js";
import { ProcLink } from "./ProcLink.js";

type Status = "unborn" | "alive" | "dead";

function status(p: ProcessInfo, at: number): Status {
  if (p.spawnSeq !== null && p.spawnSeq > at) return "unborn";
  if (p.exitSeq !== null && p.exitSeq <= at) return "dead";
  return "alive";
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
      <ProcLink id={p.id} /> <span className="muted">{p.pid}</span>{" "}
      <span className="badge">{p.behaviour}</span>
      {st === "dead" ? (
        <span className={p.crashed ? "crashed" : "muted"}> exited: {p.exitReason}</span>
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
  const roots: ProcessInfo[] = [];
  for (const p of processes) {
    const parent = p.parent ?? p.supervisor;
    if (parent === null || !byId.has(parent)) roots.push(p);
    else {
      let l = kids.get(parent);
      if (!l) kids.set(parent, (l = []));
      l.push(p);
    }
  }
  const alive = processes.filter((p) => status(p, at) === "alive").length;
  const dead = processes.filter((p) => status(p, at) === "dead").length;
  return (
    <div className="ptree" data-testid="ptree">
      <div className="muted small pad">
        at the cursor: {alive} alive, {dead} dead ·{" "}
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
