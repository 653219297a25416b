/** Small formatting helpers shared by the views: durations, process labels, an event's other process. */
import type { EventKind, ProcessInfo } from "../../src/query/api.js";

export function fmtNs(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(a < 1e4 ? 2 : 1)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(a < 1e7 ? 3 : 2)} ms`;
  return `${(ns / 1e9).toFixed(a < 1e10 ? 4 : 3)} s`;
}

export function procLabel(p: ProcessInfo | undefined, id?: number): string {
  if (!p) return id === undefined ? "?" : `#${id}`;
  return p.name ?? p.pid;
}

/** For a process with no registered name: the module it runs (from `SampleApp.Worker.init/1`), if telling. */
export function procHint(p: ProcessInfo | undefined): string | null {
  if (!p || p.name !== null || p.initialCall === null || p.initialCall.startsWith(":")) return null;
  return p.initialCall.replace(/\.[^.]+\/\d+$/, "");
}

export function procTitle(p: ProcessInfo): string {
  return p.name ? `${p.name} ${p.pid}` : p.pid;
}

/**
 * The word before an event's other process (`EventRow.other`): `send to X`, `receive from X`, `link with X`,
 * `getting_linked by X` (the link and unlink words are the CLI's `history`'s), `spawn F as X` (the child),
 * `spawned F by X` (the parent), `monitor of X` (the target). Exits, registers and calls have none.
 */
const PARTNER_WORDS: Partial<Record<EventKind, string>> = {
  send: "to",
  send_dead: "to",
  receive: "from",
  spawn: "as",
  spawned: "by",
  link: "with",
  unlink: "from",
  getting_linked: "by",
  getting_unlinked: "by",
  monitor: "of",
  demonitor: "of",
};

export function partnerWord(kind: EventKind): string {
  return PARTNER_WORDS[kind] ?? "→";
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}
