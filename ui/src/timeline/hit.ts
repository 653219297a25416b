/**
 * What is under a point of the timeline: the row, and on a track the mark, the call slice and how many
 * events the server counted in that bucket. For clicks and the tooltip.
 */
import type { Mark, Slice } from "../../../src/query/api.js";
import { LABEL_W, nsOf, RULER_H, sliceY, trackTop, xOf, type Part, type View } from "./draw.js";
import type { Row } from "./rows.js";

export interface Hit {
  row: Row;
  /** On a track's plot (not its label, not a group header). */
  on?: { mark?: Mark; slice?: Slice; ns: number; events: number };
}

export function hitAt(rows: Row[], view: View, parts: Part[], x: number, y: number): Hit | null {
  if (y < RULER_H) return null;
  const row = rows.find((r) => {
    const top = trackTop(r, view);
    return y >= top && y < top + r.h;
  });
  if (!row) return null;
  if (row.type === "group" || x < LABEL_W) return { row };
  const p = row.proc.id;
  const top = trackTop(row, view);
  const mark = parts
    .flatMap((part) => part.data.marks)
    .find((m) => m.proc === p && Math.abs(xOf(view, m.ns) - x) <= 4);
  const tracks = parts.map((part) => ({ q: part.q, t: part.data.tracks.find((t) => t.proc === p) }));
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
