/**
 * Paints the timeline on a canvas: the label column, a time ruler, per-process tracks with nested call
 * slices (aggregated ones hatched), message arrows from send to receive, lifecycle marks (crash, exit,
 * spawn, restart, state) and the time cursor. Pure drawing: no state, no requests.
 */
import type { Timeline, TimelineQuery } from "../../../src/query/api.js";
import { fmtNs, procHint, procLabel } from "../format.js";
import type { Row } from "./rows.js";

export const LABEL_W = 190;
export const RULER_H = 20;
const SLICE_H = 7;
const MAX_DEPTH = 3;

export interface View {
  width: number;
  height: number;
  fromNs: number;
  toNs: number;
  scrollY: number;
}

/** One answer of the server: the query's buckets place its activity strips. */
export interface Part {
  q: TimelineQuery;
  data: Timeline;
}

export interface Scene {
  rows: Row[];
  /** The tiles that cover the window (see tiles.ts), coarsest first. */
  parts: Part[];
  cursorNs: number | null;
  selected: number | null;
}

export function xOf(v: View, ns: number): number {
  return LABEL_W + ((ns - v.fromNs) / (v.toNs - v.fromNs)) * (v.width - LABEL_W);
}

export function nsOf(v: View, x: number): number {
  return v.fromNs + ((x - LABEL_W) / (v.width - LABEL_W)) * (v.toNs - v.fromNs);
}

function hue(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h % 360;
}

function niceStep(span: number, px: number): number {
  const raw = (span / px) * 90;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (p * m >= raw) return p * m;
  return p * 10;
}

export function trackTop(row: Row, v: View): number {
  return RULER_H + row.y - v.scrollY;
}

export function sliceY(top: number, depth: number): number {
  return top + 4 + Math.min(depth, MAX_DEPTH - 1) * (SLICE_H + 1);
}

export function draw(ctx: CanvasRenderingContext2D, v: View, s: Scene): void {
  const { width: W, height: H } = v;
  ctx.fillStyle = "#14161b";
  ctx.fillRect(0, 0, W, H);
  ctx.font = "11px ui-monospace, SFMono-Regular, Menlo, monospace";
  ctx.textBaseline = "middle";

  const trackRow = new Map<number, Row>();
  for (const r of s.rows) if (r.type === "track") trackRow.set(r.proc.id, r);

  // Rows: backgrounds, then each part's activity and slices.
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, RULER_H, W, H - RULER_H);
  ctx.clip();
  for (const r of s.rows) {
    const top = trackTop(r, v);
    if (top + r.h < RULER_H || top > H) continue;
    if (r.type === "group") {
      ctx.fillStyle = "#1b1e25";
      ctx.fillRect(0, top, W, r.h);
      continue;
    }
    ctx.fillStyle = r.proc.id === s.selected ? "#1f2a3a" : "#16181e";
    ctx.fillRect(LABEL_W, top, W - LABEL_W, r.h - 1);
    ctx.fillStyle = "#2a2e37";
    ctx.fillRect(LABEL_W, top + r.h - 1, W - LABEL_W, 1);
  }
  for (const { q, data } of s.parts) {
    const bNs = (q.toNs - q.fromNs) / q.buckets;
    for (const t of data.tracks) {
      const r = trackRow.get(t.proc);
      if (!r) continue;
      const top = trackTop(r, v);
      if (top + r.h < RULER_H || top > H) continue;
      // Activity: events per bucket, as bars along the bottom of the track.
      for (const [b, n] of t.activity) {
        const x0 = xOf(v, q.fromNs + b * bNs);
        const x1 = xOf(v, q.fromNs + (b + 1) * bNs);
        if (x1 < LABEL_W || x0 > W) continue;
        const level = Math.min(1, 0.2 + Math.log10(1 + n) / 2.5);
        const h = Math.round(3 + level * 9);
        ctx.fillStyle = `rgba(137,221,255,${(0.35 + level * 0.55).toFixed(2)})`;
        ctx.fillRect(Math.max(LABEL_W, x0), top + r.h - 2 - h, Math.max(1.5, x1 - x0), h);
      }
      for (const sl of t.slices) {
        const x0 = Math.max(LABEL_W, xOf(v, sl.startNs));
        const x1 = Math.min(W, xOf(v, sl.endNs));
        if (x1 < LABEL_W || x0 > W) continue;
        const w = Math.max(1, x1 - x0);
        const y = sliceY(top, sl.depth);
        ctx.fillStyle = sl.count > 1 ? `hsl(${hue(sl.mfa)},35%,38%)` : `hsl(${hue(sl.mfa)},50%,45%)`;
        ctx.fillRect(x0, y, w, SLICE_H);
        if (w > 60 && sl.depth < MAX_DEPTH) {
          ctx.fillStyle = "#0d0f13";
          ctx.save();
          ctx.beginPath();
          ctx.rect(x0, y, w, SLICE_H);
          ctx.clip();
          ctx.font = "8px ui-monospace, monospace";
          ctx.fillText(sl.count > 1 ? `${sl.count}× ${sl.mfa}` : sl.mfa, x0 + 2, y + SLICE_H / 2 + 0.5);
          ctx.restore();
        }
      }
    }
  }

  // Arrows from send to receive.
  for (const { data } of s.parts) {
    for (const a of data.arrows) {
      const rf = trackRow.get(a.from);
      const rt = trackRow.get(a.to);
      if (!rf || !rt) continue;
      const x0 = xOf(v, a.sentNs);
      const x1 = xOf(v, a.receivedNs);
      if (Math.max(x0, x1) < LABEL_W || Math.min(x0, x1) > W) continue;
      const y0 = trackTop(rf, v) + rf.h - 6;
      const y1 = trackTop(rt, v) + (rt.y > rf.y ? 3 : rt.h - 3);
      ctx.strokeStyle = a.count > 1 ? "rgba(130,170,255,0.45)" : "rgba(130,170,255,0.6)";
      ctx.lineWidth = a.count > 1 ? Math.min(2.5, 1 + Math.log10(a.count)) : 1;
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      const ang = Math.atan2(y1 - y0, x1 - x0);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 6 * Math.cos(ang - 0.4), y1 - 6 * Math.sin(ang - 0.4));
      ctx.lineTo(x1 - 6 * Math.cos(ang + 0.4), y1 - 6 * Math.sin(ang + 0.4));
      ctx.fill();
    }
    ctx.lineWidth = 1;
    // Marks.
    for (const m of data.marks) {
      const r = trackRow.get(m.proc);
      if (!r) continue;
      const x = xOf(v, m.ns);
      if (x < LABEL_W || x > W) continue;
      const top = trackTop(r, v);
      const yb = top + r.h - 6;
      if (m.kind === "crash") {
        ctx.strokeStyle = "#ff5370";
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x - 4, yb - 4);
        ctx.lineTo(x + 4, yb + 4);
        ctx.moveTo(x + 4, yb - 4);
        ctx.lineTo(x - 4, yb + 4);
        ctx.stroke();
        ctx.lineWidth = 1;
      } else if (m.kind === "exit") {
        ctx.fillStyle = "#8b93a1";
        ctx.fillRect(x - 1, top + 2, 2, r.h - 5);
      } else if (m.kind === "spawn" || m.kind === "restart") {
        ctx.fillStyle = m.kind === "restart" ? "#f78c6c" : "#c3e88d";
        ctx.beginPath();
        ctx.moveTo(x, yb - 4);
        ctx.lineTo(x + 5, yb);
        ctx.lineTo(x, yb + 4);
        ctx.fill();
      } else {
        ctx.fillStyle = "#ffcb6b";
        ctx.fillRect(x - 0.5, yb - 2, 1.5, 5);
      }
    }
  }
  ctx.restore();

  // Label column.
  ctx.fillStyle = "#181a20";
  ctx.fillRect(0, RULER_H, LABEL_W, H - RULER_H);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, RULER_H, LABEL_W, H - RULER_H);
  ctx.clip();
  for (const r of s.rows) {
    const top = trackTop(r, v);
    if (top + r.h < RULER_H || top > H) continue;
    if (r.type === "group") continue;
    const p = r.proc;
    ctx.fillStyle = p.id === s.selected ? "#82aaff" : p.crashed ? "#ff8a9a" : "#d7dae0";
    ctx.fillText(procLabel(p).slice(0, 24), 16, top + 11);
    ctx.fillStyle = "#6b7280";
    ctx.fillText(`${p.name === null ? (procHint(p) ?? p.behaviour) : p.pid}`.slice(0, 27), 16, top + 24);
  }
  ctx.restore();
  ctx.fillStyle = "#2a2e37";
  ctx.fillRect(LABEL_W - 1, RULER_H, 1, H - RULER_H);
  // Group headers span the whole width, so that long supervisor names show.
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, RULER_H, W, H - RULER_H);
  ctx.clip();
  for (const r of s.rows) {
    const top = trackTop(r, v);
    if (r.type !== "group" || top + r.h < RULER_H || top > H) continue;
    ctx.fillStyle = "#1b1e25";
    ctx.fillRect(0, top, W, r.h);
    ctx.fillStyle = "#8b93a1";
    ctx.fillText(`${r.collapsed ? "▸" : "▾"} ${r.label} (${r.count})`, 6, top + r.h / 2);
  }
  ctx.restore();

  // Ruler.
  ctx.fillStyle = "#101216";
  ctx.fillRect(0, 0, W, RULER_H);
  const stepNs = niceStep(v.toNs - v.fromNs, W - LABEL_W);
  ctx.fillStyle = "#8b93a1";
  for (let t = Math.ceil(v.fromNs / stepNs) * stepNs; t <= v.toNs; t += stepNs) {
    const x = xOf(v, t);
    ctx.fillRect(x, RULER_H - 5, 1, 5);
    ctx.fillText(fmtNs(t), x + 3, RULER_H / 2);
  }
  ctx.fillStyle = "#6b7280";
  ctx.fillText(`${fmtNs(v.toNs - v.fromNs)} shown`, 6, RULER_H / 2);

  // Cursor.
  if (s.cursorNs !== null) {
    const x = xOf(v, s.cursorNs);
    if (x >= LABEL_W && x <= W) {
      ctx.fillStyle = "#ffcb6b";
      ctx.fillRect(x - 0.5, 0, 1.5, H);
      ctx.beginPath();
      ctx.moveTo(x - 5, 0);
      ctx.lineTo(x + 5, 0);
      ctx.lineTo(x, 7);
      ctx.fill();
    }
  }
}
