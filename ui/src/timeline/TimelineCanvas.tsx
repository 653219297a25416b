/**
 * The timeline panel: a <canvas> of every process's track over the visible time window. Wheel zooms around
 * the pointer (shift+wheel scrolls the tracks), dragging pans, clicking a slice, a mark or a track puts the
 * cursor there. The data comes in tiles (tiles.ts) at the screen's resolution; a tile not here yet is drawn
 * from a coarser one meanwhile. Timing of paints is kept in `window.__cinema`.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { Mark, Slice } from "../../../src/query/api.js";
import { call } from "../api.js";
import { fmtNs, procLabel } from "../format.js";
import { cursorTo, select, setCursor } from "../navigate.js";
import { getState, setState, useApp } from "../store.js";
import { draw, LABEL_W, nsOf, RULER_H, sliceY, trackTop, xOf, type Part, type View } from "./draw.js";
import { levelFor, PAGE_ROWS, tileRange, tileRef, TileStore, type TileRef } from "./tiles.js";
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
  const tipRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 800, h: 300 });
  const [scrollY, setScrollY] = useState(0);
  const [, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  /** The zoom or pan step still waiting for its data: when it began (performance.now()) and its window. */
  const stepStart = useRef<{ t: number; from: number; to: number } | null>(null);

  const rows = useMemo(
    () => buildRows(processes, new Set(collapsed), filter),
    [processes, collapsed, filter],
  );
  const contentH = rows.length === 0 ? 0 : rows[rows.length - 1]!.y + rows[rows.length - 1]!.h;
  const fromNs = win?.fromNs ?? 0;
  const toNs = win?.toNs ?? Math.max(1, duration);
  const view: View = { width: size.w, height: size.h, fromNs, toNs, scrollY };

  const store = useMemo(
    () =>
      new TileStore(
        () => setTick((n) => n + 1),
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

  // The tiles of the window: what the screen needs now, what to fetch ahead, and what to draw.
  const plan = useMemo(() => {
    const now: TileRef[] = [];
    const ahead: TileRef[] = [];
    if (duration <= 0) return { now, ahead };
    const tracks = rows.filter((r) => r.type === "track");
    const pages = new Set<number>();
    tracks.forEach((r, i) => {
      if (r.y + r.h >= scrollY && r.y <= scrollY + size.h) pages.add(Math.floor(i / PAGE_ROWS));
    });
    const level = levelFor(duration, toNs - fromNs, Math.max(1, size.w - LABEL_W));
    for (const page of pages) {
      const procs = tracks.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS).map((r) => r.proc.id);
      const range = (l: number, a: number, b: number) => {
        const out: TileRef[] = [];
        const [i0, i1] = tileRange(duration, l, a, b);
        for (let i = i0; i <= i1; i++) out.push(tileRef(duration, l, i, page, procs));
        return out;
      };
      const span = toNs - fromNs;
      now.push(...range(level, fromNs, toNs));
      ahead.push(
        ...range(level + 1, fromNs + span / 4, toNs - span / 4),
        ...range(level, fromNs - span / 2, fromNs),
        ...range(level, toNs, toNs + span / 2),
        ...(level > 0 ? range(level - 1, fromNs, toNs) : []),
        // Coarse tiles are the slow ones to make: two levels ahead while zoomed out.
        ...(level < 4 ? range(level + 2, fromNs + span / 4, toNs - span / 4) : []),
      );
    }
    return { now, ahead };
  }, [rows, scrollY, size.h, size.w, fromNs, toNs, duration]);
  useEffect(() => store.clear(), [store, revision]);
  const wanted = plan.now.map((t) => t.key).join(" ") + "|" + plan.ahead.map((t) => t.key).join(" ");
  useEffect(() => store.want(plan.now, plan.ahead), [store, wanted, revision]);

  /** What to draw: the tiles here, and for each missing one the nearest coarser tile that is. */
  function parts(): { parts: Part[]; complete: boolean } {
    const out: Part[] = [];
    const seen = new Set<string>();
    let complete = true;
    for (const ref of plan.now) {
      const tile = store.get(ref.key);
      if (tile) {
        out.push({ q: tile.q, data: tile.data });
        continue;
      }
      complete = false;
      const [, level, index, page, procs] = ref.key.split("/");
      for (let l = Number(level) - 1; l >= 0; l--) {
        const coarse = tileRef(
          duration,
          l,
          Math.floor(Number(index) / 2 ** (Number(level) - l)),
          Number(page),
          procs!.split(",").map(Number),
        );
        const t = store.get(coarse.key);
        if (t) {
          if (!seen.has(t.key)) out.unshift({ q: t.q, data: t.data });
          seen.add(t.key);
          break;
        }
      }
    }
    return { parts: out, complete: complete && plan.now.length > 0 };
  }
  const shown = parts();

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
      draw(ctx, view, { rows, parts: shown.parts, cursorNs, selected });
      // The first paint with everything the window needs: what the benchmark times.
      const stats = window.__cinema;
      const stepDone =
        stepStart.current !== null && stepStart.current.from === fromNs && stepStart.current.to === toNs;
      if (shown.complete) store.markComplete();
      if (shown.complete && (stats.firstPaintMs === null || stepDone)) {
        const now = performance.now();
        stats.answers++;
        if (stats.firstPaintMs === null) stats.firstPaintMs = now;
        else stats.steps.push(now - stepStart.current!.t);
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
    stepStart.current = { t: stepStart.current?.t ?? performance.now(), from, to: from + span };
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
    if (!d) {
      const rect = canvasRef.current!.getBoundingClientRect();
      return hover(e.clientX - rect.left, e.clientY - rect.top);
    }
    if (tipRef.current) tipRef.current.style.display = "none";
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

  /** What is under the pointer: the row, and on a track the mark, slice or activity bucket there. */
  function hitAt(
    x: number,
    y: number,
  ): { row: Row; on?: { mark?: Mark; slice?: Slice; ns: number; events: number } } | null {
    if (y < RULER_H) return null;
    const row = rows.find((r) => {
      const top = trackTop(r, view);
      return y >= top && y < top + r.h;
    });
    if (!row) return null;
    if (row.type === "group" || x < LABEL_W) return { row };
    const p = row.proc.id;
    const top = trackTop(row, view);
    const marks = shown.parts.flatMap((part) => part.data.marks);
    const mark = marks.find((m) => m.proc === p && Math.abs(xOf(view, m.ns) - x) <= 4);
    const tracks = shown.parts.map((part) => ({ q: part.q, t: part.data.tracks.find((t) => t.proc === p) }));
    const slice = tracks
      .flatMap(({ t }) => t?.slices ?? [])
      .filter((s) => {
        const sy = sliceY(top, s.depth);
        return y >= sy && y <= sy + 8 && xOf(view, s.startNs) - 1 <= x && xOf(view, s.endNs) + 1 >= x;
      })
      .pop();
    const ns = nsOf(view, x);
    let events = 0;
    for (const { q, t } of tracks) {
      if (!t || ns < q.fromNs || ns >= q.toNs) continue;
      const b = Math.floor(((ns - q.fromNs) / (q.toNs - q.fromNs)) * q.buckets);
      events += t.activity.find(([k]) => k === b)?.[1] ?? 0;
    }
    return { row, on: { mark, slice, ns, events } };
  }

  async function click(x: number, y: number): Promise<void> {
    const hit = hitAt(x, y);
    if (!hit) return;
    const { row } = hit;
    if (row.type === "group") return toggleGroup(row);
    const p = row.proc.id;
    select(p);
    const on = hit.on;
    if (!on) return;
    if (on.mark) return setCursor(on.mark.seq);
    if (on.slice) return setCursor(on.slice.callSeq);
    const page = await call("events", { procs: [p], fromNs: Math.max(0, Math.floor(on.ns)), limit: 1 });
    if (page.items[0]) cursorTo(page.items[0]);
  }

  /** The tooltip, written straight into its element: hovering must not re-render the canvas. */
  function hover(x: number, y: number): void {
    const tip = tipRef.current;
    if (!tip) return;
    const hit = hitAt(x, y);
    const on = hit?.on;
    if (!hit || hit.row.type !== "track" || !on) {
      tip.style.display = "none";
      return;
    }
    const lines = [`${procLabel(hit.row.proc)}  ${fmtNs(on.ns)}`];
    if (on.mark) lines.push(`${on.mark.kind} #${on.mark.seq}`);
    if (on.slice) {
      const sl = on.slice;
      lines.push(`${sl.count > 1 ? `${sl.count} calls: ` : ""}${sl.mfa}  ${fmtNs(sl.endNs - sl.startNs)}`);
    }
    if (on.events > 0) lines.push(`${on.events} event${on.events === 1 ? "" : "s"} here`);
    tip.textContent = lines.join("\n");
    tip.style.display = "block";
    tip.style.left = `${Math.min(x + 14, size.w - 260)}px`;
    tip.style.top = `${y + 14}px`;
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
        onMouseLeave={() => {
          drag.current = null;
          if (tipRef.current) tipRef.current.style.display = "none";
        }}
      />
      <div className="timeline-tip" ref={tipRef} />
      {error ? <div className="timeline-error">{error}</div> : null}
    </div>
  );
}
