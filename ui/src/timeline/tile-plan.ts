/**
 * Which tiles (tiles.ts) the timeline needs for what it shows: those covering the visible window for the
 * pages of tracks on screen, those to fetch ahead of a zoom or pan, and what to draw meanwhile (for a tile
 * not here yet, the nearest coarser one that is).
 */
import type { Part } from "./draw.js";
import type { Row } from "./rows.js";
import {
  levelFor,
  PAGE_ROWS,
  tileRange,
  tileRef,
  type Domain,
  type TileRef,
  type TileStore,
} from "./tiles.js";

export interface TilePlan {
  now: TileRef[];
  ahead: TileRef[];
}

export interface Visible {
  rows: Row[];
  scrollY: number;
  viewH: number;
  plotPx: number;
  fromNs: number;
  toNs: number;
  domain: Domain;
}

export function planTiles(v: Visible): TilePlan {
  const now: TileRef[] = [];
  const ahead: TileRef[] = [];
  const { domain: d, fromNs, toNs } = v;
  if (d.endNs <= d.startNs) return { now, ahead };
  const tracks = v.rows.filter((r) => r.type === "track");
  const pages = new Set<number>();
  tracks.forEach((r, i) => {
    if (r.y + r.h >= v.scrollY && r.y <= v.scrollY + v.viewH) pages.add(Math.floor(i / PAGE_ROWS));
  });
  const level = levelFor(d, toNs - fromNs, Math.max(1, v.plotPx));
  const span = toNs - fromNs;
  for (const page of pages) {
    const procs = tracks.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS).map((r) => r.proc.id);
    const range = (l: number, a: number, b: number) => {
      const out: TileRef[] = [];
      const [i0, i1] = tileRange(d, l, a, b);
      for (let i = i0; i <= i1; i++) out.push(tileRef(d, l, i, page, procs));
      return out;
    };
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
}

/** The tiles to draw, coarsest first, and whether every tile the window needs is among them. */
export function tilesToDraw(
  store: TileStore,
  now: TileRef[],
  domain: Domain,
): { parts: Part[]; complete: boolean } {
  const out: Part[] = [];
  const seen = new Set<string>();
  let complete = true;
  for (const ref of now) {
    const tile = store.get(ref.key);
    if (tile) {
      out.push({ q: tile.q, data: tile.data });
      continue;
    }
    complete = false;
    for (let l = ref.level - 1; l >= 0; l--) {
      const index = Math.floor(ref.index / 2 ** (ref.level - l));
      const coarse = store.get(tileRef(domain, l, index, ref.page, ref.q.procs ?? []).key);
      if (coarse) {
        if (!seen.has(coarse.key)) out.unshift({ q: coarse.q, data: coarse.data });
        seen.add(coarse.key);
        break;
      }
    }
  }
  return { parts: out, complete: complete && now.length > 0 };
}
