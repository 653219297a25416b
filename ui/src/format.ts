/** Small formatting helpers shared by the views: durations, process labels. */
import type { ProcessInfo } from "../../src/query/api.js";

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

export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}
