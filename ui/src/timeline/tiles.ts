/**
 * The timeline's data comes in tiles, so that zooming and panning mostly redraw what is already here:
 * level L cuts the recording's time span into 2^L equal parts, each asked from the server once (at TILE_BUCKETS
 * buckets) for one page of PAGE_ROWS tracks, and kept. The level shown is the coarsest whose buckets are at
 * most about two pixels wide on screen. Besides what the screen needs now, the tiles one level finer, next
 * to the window and one level coarser are fetched ahead, one at a time, in a lane of their own.
 */
import type { Timeline, TimelineQuery } from "../../../src/query/api.js";
import { call } from "../api.js";

export const TILE_BUCKETS = 1024;
export const PAGE_ROWS = 16;
const MAX_LEVEL = 40;
const KEEP = 160;
/** Requests for the screen at the same time (a window can need several tiles and pages). */
const SCREEN_LANES = 2;

export interface Tile {
  key: string;
  q: TimelineQuery;
  data: Timeline;
}

/** The recording's time span: from its earliest event (which can be before 0) to its end. */
export interface Domain {
  startNs: number;
  endNs: number;
}

export interface TileRef {
  key: string;
  q: TimelineQuery;
  level: number;
  index: number;
  page: number;
}

/** The level whose buckets are at most ~2 px wide for `spanNs` shown over `plotPx` pixels. */
export function levelFor(d: Domain, spanNs: number, plotPx: number): number {
  const level = Math.ceil(Math.log2(((d.endNs - d.startNs) * plotPx) / (2 * TILE_BUCKETS * spanNs)));
  return Math.max(0, Math.min(MAX_LEVEL, level));
}

/** The tile indices of `level` that cover [fromNs, toNs]. */
export function tileRange(d: Domain, level: number, fromNs: number, toNs: number): [number, number] {
  const span = (d.endNs - d.startNs) / 2 ** level;
  const last = 2 ** level - 1;
  const a = Math.max(0, Math.min(last, Math.floor((fromNs - d.startNs) / span)));
  const b = Math.max(0, Math.min(last, Math.floor((toNs - d.startNs) / span)));
  return [a, b];
}

export function tileRef(d: Domain, level: number, index: number, page: number, procs: number[]): TileRef {
  const span = (d.endNs - d.startNs) / 2 ** level;
  return {
    level,
    index,
    page,
    key: `${d.startNs}~${d.endNs}/${level}/${index}/${page}/${procs.join(",")}`,
    q: {
      fromNs: Math.floor(d.startNs + index * span),
      toNs: Math.ceil(d.startNs + (index + 1) * span),
      buckets: TILE_BUCKETS,
      procs,
    },
  };
}

export class TileStore {
  private readonly cache = new Map<string, Tile>();
  private now: TileRef[] = [];
  private ahead: TileRef[] = [];
  /** Keys being fetched: at most SCREEN_LANES for the screen and one ahead, so that a slow tile fetched ahead
   * never holds up what the screen needs. */
  private readonly inFlight = new Set<string>();
  private aheadInFlight = false;

  constructor(
    private readonly loaded: () => void,
    private readonly failed: (message: string) => void,
  ) {}

  get(key: string): Tile | undefined {
    const t = this.cache.get(key);
    if (t) {
      // Most recently used last.
      this.cache.delete(key);
      this.cache.set(key, t);
    }
    return t;
  }

  clear(): void {
    this.cache.clear();
  }

  /** True once every tile the screen asked for has been here at the same time. */
  private everComplete = false;

  markComplete(): void {
    if (this.everComplete) return;
    this.everComplete = true;
    this.pump();
  }

  /** Fetches what is missing of `now`, then of `ahead`; replaces what was waiting before. */
  want(now: TileRef[], ahead: TileRef[]): void {
    const missing = (t: TileRef) => !this.cache.has(t.key) && !this.inFlight.has(t.key);
    this.now = now.filter(missing);
    const nowKeys = new Set(now.map((t) => t.key));
    this.ahead = ahead.filter((t) => missing(t) && !nowKeys.has(t.key));
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size - (this.aheadInFlight ? 1 : 0) < SCREEN_LANES && this.now.length > 0)
      void this.fetch(this.now.shift()!, false);
    // Nothing ahead until the screen has had everything once: it would slow the first paint.
    if (this.everComplete && !this.aheadInFlight && this.now.length === 0) {
      const next = this.ahead.shift();
      if (next) void this.fetch(next, true);
    }
  }

  private async fetch(ref: TileRef, ahead: boolean): Promise<void> {
    this.inFlight.add(ref.key);
    if (ahead) this.aheadInFlight = true;
    try {
      const data = await call("timeline", ref.q);
      this.cache.set(ref.key, { key: ref.key, q: ref.q, data });
      while (this.cache.size > KEEP) this.cache.delete(this.cache.keys().next().value!);
      this.loaded();
    } catch (err) {
      this.failed(err instanceof Error ? err.message : String(err));
    } finally {
      this.inFlight.delete(ref.key);
      if (ahead) this.aheadInFlight = false;
    }
    this.pump();
  }
}
