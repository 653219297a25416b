/** A process's name (or pid) that selects it when clicked. */
import { procHint, procLabel, procTitle } from "../format.js";
import { select, setCursor } from "../navigate.js";
import { useApp } from "../store.js";

export function ProcLink({ id }: { id: number | null }) {
  const p = useApp((s) => (id === null ? undefined : s.byId.get(id)));
  if (id === null) return <span className="muted">?</span>;
  return (
    <a
      className={`proc ${p?.crashed ? "crashed" : ""}`}
      title={p ? procTitle(p) : undefined}
      onClick={() => select(id)}
    >
      {procLabel(p, id)}
      {procHint(p) ? <span className="hint"> ({procHint(p)})</span> : null}
    </a>
  );
}

/** A seq that puts the cursor on its event when clicked. */
export function SeqLink({ seq, proc, children }: { seq: number; proc?: number; children?: React.ReactNode }) {
  return (
    <a className="seq" data-seq={seq} onClick={() => void setCursor(seq, proc)}>
      {children ?? `#${seq}`}
    </a>
  );
}
