/**
 * The call tree of the selected process in the visible time window: each call with its duration, self
 * time, outcome and result, expandable; clicking one puts the cursor on it.
 */
import { useState } from "react";
import type { CallNode } from "../../../src/query/api.js";
import { call } from "../api.js";
import { fmtNs } from "../format.js";
import { setCursor } from "../navigate.js";
import { useApp } from "../store.js";
import { TermText } from "../term/TermView.js";
import { useQuery } from "../use-query.js";

function overlaps(n: CallNode, from: number, to: number): boolean {
  const end = n.durationNs === null ? Infinity : n.startNs + n.durationNs;
  return end >= from && n.startNs <= to;
}

function CallRow({
  node,
  cursor,
  from,
  to,
  minDepth,
}: {
  node: CallNode;
  cursor: number | null;
  from: number;
  to: number;
  minDepth: number;
}) {
  const [open, setOpen] = useState(node.depth < 2);
  const kids = node.children.filter((c) => overlaps(c, from, to));
  // An untimed call has no return to end it: it is "at the cursor" only when the cursor is on it.
  const atCursor =
    cursor !== null &&
    (node.outcome === "untimed"
      ? node.callSeq === cursor
      : node.callSeq <= cursor && (node.returnSeq === null || node.returnSeq >= cursor));
  return (
    <div className="call">
      <div className={`call-row ${atCursor ? "at-cursor" : ""}`} data-testid="call-row">
        <span className="twisty" onClick={() => setOpen(!open)}>
          {kids.length > 0 ? (open ? "▾" : "▸") : " "}
        </span>
        <span className="num muted">{fmtNs(node.startNs)}</span>
        <a
          className="mono call-mfa"
          style={{ width: Math.max(120, 380 - (node.depth - minDepth) * 17) }}
          onClick={() => void setCursor(node.callSeq)}
        >
          {node.mfa}
        </a>
        <span className="num">
          {node.durationNs !== null ? fmtNs(node.durationNs) : node.outcome === "untimed" ? "–" : "open"}
        </span>
        <span className="num muted">{node.selfNs === null ? "" : `self ${fmtNs(node.selfNs)}`}</span>
        <span className={`outcome ${node.outcome}`}>{node.outcome}</span>
        <span className="mono muted">
          <TermText text={node.result} max={80} />
        </span>
      </div>
      {open && kids.length > 0 ? (
        <div className="call-kids">
          {kids.map((c) => (
            <CallRow key={c.callSeq} node={c} cursor={cursor} from={from} to={to} minDepth={minDepth} />
          ))}
        </div>
      ) : null}
    </div>
  );
}

export function CallsView() {
  const sel = useApp((s) => s.selected);
  const cursor = useApp((s) => s.cursor);
  const win = useApp((s) => s.window);
  const duration = useApp((s) => s.info?.durationNs ?? 0);
  const tree = useQuery(() => (sel === null ? null : call("calls", sel, { limit: 2000 })), [sel]);
  if (sel === null) return <div className="muted pad">Select a process to see its calls.</div>;
  if (tree.error) return <div className="error-inline">{tree.error}</div>;
  const from = win?.fromNs ?? 0;
  const to = win?.toNs ?? duration;
  const roots = (tree.data ?? []).filter((n) => overlaps(n, from, to));
  const minDepth = Math.min(...roots.map((n) => n.depth));
  return (
    <div className="calls" data-testid="calls">
      <div className="muted small pad">
        {roots.length} top-level calls in the visible window ({fmtNs(from)} – {fmtNs(to)})
      </div>
      {roots.map((n) => (
        <CallRow key={n.callSeq} node={n} cursor={cursor} from={from} to={to} minDepth={minDepth} />
      ))}
    </div>
  );
}
