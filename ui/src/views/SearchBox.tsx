/**
 * Search: processes by pid or registered name, functions by module or name, and messages by an Elixir
 * pattern (text starting with `{`, `%`, `[` or `:` is taken as one). Picking a hit selects its process
 * and puts the cursor on its event.
 */
import { useState } from "react";
import type { SearchHit } from "../../../src/query/api.js";
import { call } from "../api.js";
import { clip, procLabel } from "../format.js";
import { select, setCursor } from "../navigate.js";
import { getState } from "../store.js";
import { useQuery } from "../use-query.js";

const PATTERN = /^[{%[:]/;

async function find(text: string): Promise<SearchHit[]> {
  if (PATTERN.test(text)) {
    const page = await call("messages", null, null, { pattern: text, limit: 50 });
    const byId = getState().byId;
    return page.items.map((m) => ({
      kind: "message" as const,
      label: `${procLabel(byId.get(m.from ?? -1), m.from ?? undefined)} → ${m.toName ?? procLabel(byId.get(m.to ?? -1), m.to ?? undefined)}: ${m.text}`,
      ...(m.from !== null ? { proc: m.from } : {}),
      ...(m.sendSeq !== null ? { seq: m.sendSeq } : m.receiveSeq !== null ? { seq: m.receiveSeq } : {}),
    }));
  }
  return call("search", text, 30);
}

export function SearchBox() {
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const hits = useQuery(() => (text.trim() === "" ? null : find(text.trim())), [text], 150);

  function pick(h: SearchHit): void {
    setOpen(false);
    // Back to the page, so that the arrow keys step through time again.
    (document.activeElement as HTMLElement | null)?.blur();
    if (h.seq !== undefined) void setCursor(h.seq, h.proc);
    else if (h.proc !== undefined) select(h.proc);
  }

  return (
    <div className="search">
      <input
        data-testid="search"
        placeholder="Search: pid, name, Module.fun, or a message pattern {:transfer, _, _, _}"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && hits.data?.[0]) pick(hits.data[0]);
          if (e.key === "Escape") setOpen(false);
        }}
      />
      {open && text.trim() !== "" ? (
        <div className="search-hits" data-testid="search-hits">
          {hits.error ? <div className="error-inline">{hits.error}</div> : null}
          {hits.data?.length === 0 ? <div className="muted pad">nothing found</div> : null}
          {(hits.data ?? []).map((h, i) => (
            <div
              key={i}
              className="hit"
              data-testid="search-hit"
              data-kind={h.kind}
              onMouseDown={() => pick(h)}
            >
              <span className={`badge k-${h.kind}`}>{h.kind}</span>{" "}
              <span className="mono">{clip(h.label, 140)}</span>
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
