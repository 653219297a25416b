/**
 * Moving through time: put the cursor on an event, step to the next or previous event (anywhere, or of the
 * selected process), play and pause. The time window follows the cursor when it leaves the screen.
 */
import type { EventRow } from "../../src/query/api.js";
import { call } from "./api.js";
import { getState, setState } from "./store.js";

function follow(ns: number): Partial<ReturnType<typeof getState>> {
  const w = getState().window;
  if (!w || (ns >= w.fromNs && ns <= w.toNs)) return {};
  const span = w.toNs - w.fromNs;
  const fromNs = ns - span / 2;
  return { window: { fromNs, toNs: fromNs + span } };
}

export function cursorTo(row: EventRow): void {
  setState({ cursor: row.seq, cursorNs: row.ns, ...follow(row.ns) });
}

export async function setCursor(seq: number, proc?: number | null): Promise<void> {
  const row = await call("event", seq);
  cursorTo(row);
  if (proc !== undefined && proc !== null) setState({ selected: proc });
}

export function select(proc: number | null): void {
  setState({ selected: proc });
}

async function nextOf(proc: number | null, seq: number): Promise<EventRow | null> {
  if (proc === null) {
    const total = getState().info?.events ?? 0;
    return seq + 1 < total ? call("event", seq + 1) : null;
  }
  const page = await call("history", proc, { after: seq, limit: 1 });
  return page.items[0] ?? null;
}

async function prevOf(proc: number | null, seq: number, ns: number): Promise<EventRow | null> {
  if (proc === null) return seq > 0 ? call("event", seq - 1) : null;
  // Histories page forwards only: look back over a widening time span.
  for (let span = 1e6; ; span *= 16) {
    const fromNs = Math.max(0, ns - span);
    const page = await call("history", proc, { fromNs, toNs: ns, limit: 10000 });
    const before = page.items.filter((e) => e.seq < seq);
    if (before.length > 0) return before[before.length - 1]!;
    if (fromNs === 0) return null;
  }
}

let stepping: Promise<boolean> = Promise.resolve(true);

/** One step; `ofSelected` limits it to the selected process. Returns false at either end. Steps asked
 * while one is on its way follow it, so that pressing → twice moves twice. */
export function step(direction: 1 | -1, ofSelected: boolean): Promise<boolean> {
  stepping = stepping.catch(() => true).then(() => stepOnce(direction, ofSelected));
  return stepping;
}

async function stepOnce(direction: 1 | -1, ofSelected: boolean): Promise<boolean> {
  const s = getState();
  const proc = ofSelected ? s.selected : null;
  const seq = s.cursor ?? -1;
  const row = direction > 0 ? await nextOf(proc, seq) : await prevOf(proc, seq, s.cursorNs);
  if (row === null) return false;
  cursorTo(row);
  return true;
}

let playTimer: number | undefined;

let playRate = 8;

/** Events per second while playing. */
export function setPlayRate(eventsPerSecond: number): void {
  playRate = eventsPerSecond;
  if (getState().playing) setPlaying(true);
}

export function setPlaying(on: boolean, eventsPerSecond = playRate): void {
  clearInterval(playTimer);
  setState({ playing: on });
  if (!on) return;
  let busy = false;
  playTimer = window.setInterval(() => {
    if (busy) return;
    busy = true;
    step(1, getState().selected !== null && ofSelectedPlayback)
      .then((moved) => {
        if (!moved) setPlaying(false);
      })
      .finally(() => (busy = false));
  }, 1000 / eventsPerSecond);
}

let ofSelectedPlayback = false;
export function setPlaybackScope(ofSelected: boolean): void {
  ofSelectedPlayback = ofSelected;
}
