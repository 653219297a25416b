/** A process's name (or pid) that selects it when clicked; an event's other process, with its word. */
import type { EventRow } from "../../../src/query/api.js";
import { partnerWord, procHint, procLabel, procTitle } from "../format.js";
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

/** An event's other process, when it has one: `with SampleApp.Bank.Teller` for a link, `from <0.12.0>`. */
export function Partner({ event }: { event: Pick<EventRow, "kind" | "other"> }) {
  if (event.other === null) return null;
  return (
    <span className="partner" data-testid="partner">
      {partnerWord(event.kind)} <ProcLink id={event.other} />
    </span>
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
