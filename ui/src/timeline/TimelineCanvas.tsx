/**
 * The timeline panel: a <canvas> of every process's track over the visible time window. Wheel zooms around
 * the pointer (shift+wheel scrolls the tracks), dragging pans, clicking a slice, a mark or a track puts the
 * cursor there. The window's data is asked from the server at the canvas's resolution; until the answer
 * comes, the previous answer is drawn at the new scale. Timing of paints is kept in `window.__cinema`.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { Timeline, TimelineQuery } from "../../../src/query/api.js";
import { call } from "../api.js";
import { cursorTo, select, setCursor } from "../navigate.js";
import { getState, setState, useApp } from "../store.js";
import { draw, LABEL_W, nsOf, RULER_H, sliceY, trackTop, xOf, type View } from "./draw.js";
import { TimelineFetcher } from "./fetcher.js";
import { buildRows, type Row } from "./rows.js";

interface CinemaStats {
  firstPaintMs: number | null;
  steps: number[];
  answers: number;
}
declare global {
  interface Window {
    __cinema: CinemaStats;
  }
}
window.__cinema = { firstPaintMs: null, steps: [], answers: 0 };

export function TimelineCanvas({ filter }: { filter: string }) {
  const processes = useApp((s) => s.processes);
  const collapsed = useApp((s) => s.collapsed);
  const win = useApp((s) => s.window);
  const duration = useApp((s) => s.info?.durationNs ?? 0);
  const cursorNs = useApp((s) => (s.cursor === null ? null : s.cursorNs));
  const selected = useApp((s) => s.selected);
  const revision = useApp((s) => s.revision);
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ w: 800, h: 300 });
  const [scrollY, setScrollY] = useState(0);
  const [data, setData] = useState<{ q: TimelineQuery; tl: Timeline; latest: boolean } | null>(null);
  const painted = useRef<object | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** When the zoom or pan step still waiting for its data began (performance.now()). */
  const stepStart = useRef<number | null>(null);

  const rows = useMemo(
    () => buildRows(processes, new Set(collapsed), filter),
    [processes, collapsed, filter],
  );
  const contentH = rows.length === 0 ? 0 : rows[rows.length - 1]!.y + rows[rows.length - 1]!.h;
  const fromNs = win?.fromNs ?? 0;
  const toNs = win?.toNs ?? Math.max(1, duration);
  const view: View = { width: size.w, height: size.h, fromNs, toNs, scrollY };

  const fetcher = useMemo(
    () =>
      new TimelineFetcher(
        ({ q, data: tl, latest }) => setData({ q, tl, latest }),
        (message) => setError(message),
      ),
    [],
  );

  useEffect(() => {
    const box = boxRef.current!;
    const ro = new ResizeObserver(() => setSize({ w: box.clientWidth, h: box.clientHeight }));
    ro.observe(box);
    return () => ro.disconnect();
  }, []);

  // Ask for the visible window's tracks.
  const visibleProcs = useMemo(() => {
    const out: number[] = [];
    for (const r of rows)
      if (r.type === "track" && r.y + r.h >= scrollY && r.y <= scrollY + size.h) out.push(r.proc.id);
    return out;
  }, [rows, scrollY, size.h]);
  useEffect(() => fetcher.clear(), [fetcher, revision]);
  useEffect(() => {
    if (duration <= 0 || visibleProcs.length === 0) return;
    fetcher.ask({
      fromNs: Math.floor(fromNs),
      toNs: Math.ceil(toNs),
      // One bucket per two pixels: what is narrower is drawn aggregated anyway.
      buckets: Math.max(1, Math.round((size.w - LABEL_W) / 2)),
      procs: visibleProcs,
    });
  }, [fetcher, fromNs, toNs, size.w, visibleProcs, duration, revision]);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== size.w * dpr || canvas.height !== size.h * dpr) {
      canvas.width = size.w * dpr;
      canvas.height = size.h * dpr;
    }
    const frame = requestAnimationFrame(() => {
      const ctx = canvas.getContext("2d")!;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      draw(ctx, view, { rows, data: data?.tl ?? null, query: data?.q ?? null, cursorNs, selected });
      if (data && data.latest && painted.current !== data) {
        // The first paint of the answer to the latest window asked: what the benchmark times.
        painted.current = data;
        const now = performance.now();
        const stats = window.__cinema;
        stats.answers++;
        if (stats.firstPaintMs === null) stats.firstPaintMs = now;
        else if (stepStart.current !== null) stats.steps.push(now - stepStart.current);
        stepStart.current = null;
        canvas.setAttribute("data-answers", String(stats.answers));
      }
    });
    return () => cancelAnimationFrame(frame);
  });

  function setWindow(a: number, b: number): void {
    const span = Math.max(1000, Math.min(b - a, duration * 1.1 || 1));
    let from = a;
    if (from < -duration * 0.05) from = -duration * 0.05;
    if (from + span > duration * 1.05) from = duration * 1.05 - span;
    stepStart.current ??= performance.now();
    setState({ window: { fromNs: from, toNs: from + span } });
  }

  function onWheel(e: React.WheelEvent): void {
    const rect = canvasRef.current!.getBoundingClientRect();
    const x = e.clientX - rect.left;
    if (e.shiftKey) {
      setScrollY(clampScroll(scrollY + e.deltaY));
      return;
    }
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const dns = (e.deltaX / (size.w - LABEL_W)) * (toNs - fromNs);
      setWindow(fromNs + dns, toNs + dns);
      return;
    }
    const at = nsOf(view, Math.max(LABEL_W, x));
    const k = Math.exp(e.deltaY * 0.0015);
    setWindow(at - (at - fromNs) * k, at + (toNs - at) * k);
  }

  function clampScroll(y: number): number {
    return Math.max(0, Math.min(y, Math.max(0, contentH - (size.h - RULER_H))));
  }

  const drag = useRef<{ x: number; y: number; from: number; to: number; sy: number; moved: boolean } | null>(
    null,
  );
  function onMouseDown(e: React.MouseEvent): void {
    drag.current = { x: e.clientX, y: e.clientY, from: fromNs, to: toNs, sy: scrollY, moved: false };
  }
  function onMouseMove(e: React.MouseEvent): void {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    d.moved = true;
    const dns = (-dx / (size.w - LABEL_W)) * (d.to - d.from);
    setWindow(d.from + dns, d.to + dns);
    setScrollY(clampScroll(d.sy - dy));
  }
  function onMouseUp(e: React.MouseEvent): void {
    const d = drag.current;
    drag.current = null;
    if (!d || d.moved) return;
    const rect = canvasRef.current!.getBoundingClientRect();
    void click(e.clientX - rect.left, e.clientY - rect.top);
  }

  async function click(x: number, y: number): Promise<void> {
    const row = rows.find((r) => {
      const top = trackTop(r, view);
      return y >= top && y < top + r.h;
    });
    if (!row || y < RULER_H) return;
    if (row.type === "group") return toggleGroup(row);
    const p = row.proc.id;
    select(p);
    if (x < LABEL_W) return;
    const top = trackTop(row, view);
    const tl = data?.tl;
    const mark = tl?.marks.find((m) => m.proc === p && Math.abs(xOf(view, m.ns) - x) <= 4);
    if (mark) return setCursor(mark.seq);
    const slice = tl?.tracks
      .find((t) => t.proc === p)
      ?.slices.filter((s) => {
        const sy = sliceY(top, s.depth);
        return y >= sy && y <= sy + 8 && xOf(view, s.startNs) - 1 <= x && xOf(view, s.endNs) + 1 >= x;
      })
      .pop();
    if (slice) return setCursor(slice.callSeq);
    const page = await call("events", {
      procs: [p],
      fromNs: Math.max(0, Math.floor(nsOf(view, x))),
      limit: 1,
    });
    if (page.items[0]) cursorTo(page.items[0]);
  }

  function toggleGroup(row: Extract<Row, { type: "group" }>): void {
    const set = new Set(getState().collapsed);
    if (set.has(row.key)) set.delete(row.key);
    else set.add(row.key);
    setState({ collapsed: [...set] });
  }

  return (
    <div className="timeline" ref={boxRef}>
      <canvas
        ref={canvasRef}
        data-testid="timeline"
        style={{ width: size.w, height: size.h }}
        onWheel={onWheel}
        onMouseDown={onMouseDown}
        onMouseMove={onMouseMove}
        onMouseUp={onMouseUp}
        onMouseLeave={() => (drag.current = null)}
      />
      {error ? <div className="timeline-error">{error}</div> : null}
    </div>
  );
}
