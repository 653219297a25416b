/**
 * Every event in order, as a virtualised list around the cursor (up to 100,000 rows at a time, fetched in
 * pages as they scroll into view); the cursor's row is highlighted and clicking a row moves the cursor. A row
 * names the event's other process (`link with X`), a click away from selecting it.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import type { EventRow } from "../../../src/query/api.js";
import { call } from "../api.js";
import { fmtNs, procLabel } from "../format.js";
import { cursorTo } from "../navigate.js";
import { useApp } from "../store.js";
import { Partner } from "./ProcLink.js";

const PAGE = 200;
const SPAN = 100_000;
const ROW_H = 20;

export function EventsView() {
  const total = useApp((s) => s.info?.events ?? 0);
  const cursor = useApp((s) => s.cursor ?? 0);
  const byId = useApp((s) => s.byId);
  const base = Math.max(0, Math.min(cursor - SPAN / 2, total - SPAN));
  const count = Math.min(SPAN, total);
  const parent = useRef<HTMLDivElement>(null);
  const pages = useRef(new Map<number, EventRow[] | "loading">());
  const [, bump] = useState(0);
  const v = useVirtualizer({
    count,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_H,
    overscan: 20,
  });

  useEffect(() => {
    v.scrollToIndex(cursor - base, { align: "center" });
  }, [cursor, base]);

  function row(seq: number): EventRow | undefined {
    const p = Math.floor(seq / PAGE);
    const got = pages.current.get(p);
    if (got === undefined) {
      pages.current.set(p, "loading");
      const start = p * PAGE;
      void call("events", { ...(start > 0 ? { after: start - 1 } : {}), limit: PAGE }).then((page) => {
        pages.current.set(p, page.items);
        bump((n) => n + 1);
      });
      return undefined;
    }
    return got === "loading" ? undefined : got.find((e) => e.seq === seq);
  }

  return (
    <div className="events" ref={parent} data-testid="events">
      <div style={{ height: v.getTotalSize(), position: "relative" }}>
        {v.getVirtualItems().map((item) => {
          const seq = base + item.index;
          const e = row(seq);
          return (
            <div
              key={item.key}
              className={`event-row ${seq === cursor ? "at-cursor" : ""}`}
              style={{
                position: "absolute",
                top: 0,
                left: 0,
                right: 0,
                height: ROW_H,
                transform: `translateY(${item.start}px)`,
              }}
              onClick={() => e && cursorTo(e)}
            >
              <span className="num">#{seq}</span>
              {e ? (
                <>
                  <span className="num muted">{fmtNs(e.ns)}</span>
                  <span className="ev-proc">{procLabel(byId.get(e.proc), e.proc)}</span>
                  <span className={`kind k-${e.kind}`}>{e.kind}</span>
                  <span className="mono ev-text">
                    {e.mfa ? e.mfa + " " : ""}
                    {e.caller ? `from ${e.caller} ` : ""}
                    {e.other !== null ? (
                      <>
                        <Partner event={e} />{" "}
                      </>
                    ) : null}
                    {e.text ?? ""}
                  </span>
                </>
              ) : (
                <span className="muted">…</span>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
