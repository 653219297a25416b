/**
 * The sequence diagram: messages between the chosen processes (and whoever they talk to) nearest the
 * cursor, as arrows between lifelines in the order they were sent. Clicking a message puts the cursor on
 * its send; the one at or just before the cursor is highlighted.
 */
import { useEffect, useRef } from "react";
import type { MessageRow } from "../../../src/query/api.js";
import { call } from "../api.js";
import { clip, fmtNs, procLabel } from "../format.js";
import { setCursor } from "../navigate.js";
import { getState, setState, useApp } from "../store.js";
import { useQuery } from "../use-query.js";

const COL_W = 150;
const ROW_H = 22;
const HEAD_H = 28;
const MAX_COLS = 8;

function key(m: MessageRow): string {
  return `${m.sendSeq}:${m.receiveSeq}`;
}

async function around(procs: number[], at: number): Promise<MessageRow[]> {
  const pages = await Promise.all(
    procs.flatMap((p) => [
      call("messages", p, null, { around: at, limit: 40 }),
      call("messages", null, p, { around: at, limit: 40 }),
    ]),
  );
  const seen = new Map<string, MessageRow>();
  for (const page of pages) for (const m of page.items) seen.set(key(m), m);
  const time = (m: MessageRow) => m.sentNs ?? m.receivedNs ?? 0;
  const order = (m: MessageRow) => m.sendSeq ?? m.receiveSeq ?? 0;
  return [...seen.values()].sort((a, b) => time(a) - time(b) || order(a) - order(b));
}

export function SequenceView() {
  const seqProcs = useApp((s) => s.seqProcs);
  const selected = useApp((s) => s.selected);
  const chosen = seqProcs.length > 0 ? seqProcs : selected !== null ? [selected] : [];
  const cursor = useApp((s) => s.cursor ?? 0);
  const byId = useApp((s) => s.byId);
  const processes = useApp((s) => s.processes);
  const msgs = useQuery(
    () => (chosen.length === 0 ? null : around(chosen, cursor)),
    [chosen.join(","), cursor],
    60,
  );

  // Two or more chosen: only the messages between them. One: it and whoever it talks to.
  const cols: number[] = [...chosen];
  if (seqProcs.length < 2)
    for (const m of msgs.data ?? [])
      for (const p of [m.from, m.to])
        if (p !== null && !cols.includes(p) && cols.length < MAX_COLS) cols.push(p);
  const rows = (msgs.data ?? []).filter(
    (m) => (m.from === null || cols.includes(m.from)) && (m.to === null || cols.includes(m.to)),
  );
  let current = -1;
  rows.forEach((m, i) => {
    const s = m.sendSeq ?? m.receiveSeq ?? 0;
    if (s <= cursor) current = i;
  });
  const scroller = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = scroller.current;
    if (box && current >= 0) box.scrollTop = Math.max(0, current * ROW_H - box.clientHeight / 2);
  }, [current, msgs.data]);
  // A message whose sender or receiver the recording does not show (a timer's `{:timeout, ...}`, the VM's
  // `:DOWN` and `:EXIT`, a send to a name no process held) starts or ends on a lane of its own.
  const outside = rows.some((m) => m.from === null || m.to === null);
  const colX = (p: number | null) => (p === null ? cols.length : cols.indexOf(p)) * COL_W + COL_W / 2;
  const lanes = cols.length + (outside ? 1 : 0);
  const width = (lanes + 1) * COL_W;
  const height = rows.length * ROW_H + 10;

  function choose(ids: number[]): void {
    setState({ seqProcs: ids });
  }

  return (
    <div className="sequence">
      <div className="seq-chooser">
        Processes:{" "}
        {chosen.map((id) => (
          <span key={id} className="chip">
            {procLabel(byId.get(id), id)}
            <a title="remove" onClick={() => choose(chosen.filter((x) => x !== id))}>
              ×
            </a>
          </span>
        ))}
        <select
          data-testid="seq-add"
          value=""
          onChange={(e) => {
            const id = Number(e.target.value);
            const base = getState().seqProcs.length > 0 ? getState().seqProcs : chosen;
            if (!base.includes(id)) choose([...base, id]);
          }}
        >
          <option value="">add a process…</option>
          {processes.map((p) => (
            <option key={p.id} value={p.id}>
              {procLabel(p)} {p.name ? p.pid : ""}
            </option>
          ))}
        </select>
        {msgs.loading ? <span className="muted"> loading…</span> : null}
      </div>
      {msgs.error ? <div className="error-inline">{msgs.error}</div> : null}
      {chosen.length === 0 ? (
        <div className="muted pad">Select a process, or add processes above, to see their messages.</div>
      ) : (
        <div className="seq-scroll" ref={scroller}>
          <svg width={width} height={HEAD_H} className="seq-header">
            <rect x={0} y={0} width={width} height={HEAD_H} className="seq-header-bg" />
            {cols.map((p, i) => (
              <text key={p} x={i * COL_W + COL_W / 2} y={17} textAnchor="middle" className="seq-head">
                <title>{procLabel(byId.get(p), p)}</title>
                {clip(procLabel(byId.get(p), p), 22)}
              </text>
            ))}
            {outside ? (
              <text
                x={colX(null)}
                y={17}
                textAnchor="middle"
                className="seq-head seq-outside"
                data-testid="seq-outside"
              >
                <title>
                  Not a recorded process: a timer ({"{:timeout, ...}"}), the runtime (:DOWN, :EXIT), or a name
                  no process held
                </title>
                (not recorded)
              </text>
            ) : null}
          </svg>
          <svg width={width} height={height} data-testid="sequence">
            {cols.map((p) => (
              <line key={p} x1={colX(p)} x2={colX(p)} y1={0} y2={height} className="lifeline" />
            ))}
            {outside ? (
              <line x1={colX(null)} x2={colX(null)} y1={0} y2={height} className="lifeline seq-outside" />
            ) : null}
            {rows.map((m, i) => {
              const y = i * ROW_H + ROW_H / 2;
              const x0 = colX(m.from);
              const x1 = m.to === m.from ? x0 + 30 : colX(m.to);
              const dir = x1 >= x0 ? 1 : -1;
              const seq = m.sendSeq ?? m.receiveSeq;
              return (
                <g
                  key={key(m)}
                  className={`seq-msg ${i === current ? "current" : ""} ${m.status}`}
                  data-testid="seq-message"
                  data-send-seq={m.sendSeq ?? ""}
                  data-from={m.from ?? ""}
                  data-to={m.to ?? ""}
                  data-x={`${x0},${x1}`}
                  onClick={() => seq !== null && void setCursor(seq, m.from ?? undefined)}
                >
                  <rect x={0} y={y - ROW_H / 2} width={width} height={ROW_H} className="seq-row" />
                  <line x1={x0} x2={x1 - dir * 4} y1={y + 4} y2={y + 4} className="arrow" />
                  <path d={`M${x1},${y + 4} l${-dir * 6},-4 l0,8 z`} className="arrowhead" />
                  <text x={Math.min(x0, x1) + 4} y={y - 1} className="seq-label">
                    <title>{m.text}</title>
                    {clip(m.text, Math.max(40, Math.floor(Math.abs(x1 - x0) / 6.2)))}
                  </text>
                  <text x={width - 4} y={y + 3} textAnchor="end" className="seq-time">
                    {fmtNs(m.sentNs ?? m.receivedNs ?? 0)} {m.status !== "received" ? m.status : ""}
                  </text>
                </g>
              );
            })}
          </svg>
        </div>
      )}
    </div>
  );
}
