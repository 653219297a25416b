/**
 * The UI's shared state (cursor, selection, view, time window, ...) in one small store that React views
 * subscribe to. Every change is written back to the URL hash (deep links); the recording's info and process
 * list, loaded once, live here too.
 */
import { useSyncExternalStore } from "react";
import type { ProcessInfo, RecordingInfo } from "../../src/query/api.js";
import { formatHash, parseHash, type UrlState } from "./url-state.js";

export interface AppState extends UrlState {
  cursorNs: number;
  info: RecordingInfo | null;
  processes: ProcessInfo[];
  byId: Map<number, ProcessInfo>;
  playing: boolean;
  error: string | null;
  /** When the earliest event happened: 0, or before 0 for events recorded before the session's start. */
  startNs: number;
  /** Bumped when a live recording was opened again: views ask their questions anew. */
  revision: number;
}

let state: AppState = {
  ...parseHash(location.hash),
  cursorNs: 0,
  info: null,
  processes: [],
  byId: new Map(),
  playing: false,
  error: null,
  revision: 0,
  startNs: 0,
};
const listeners = new Set<() => void>();
let hashTimer: number | undefined;

export function getState(): AppState {
  return state;
}

export function setState(patch: Partial<AppState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l();
  clearTimeout(hashTimer);
  hashTimer = window.setTimeout(() => {
    const hash = formatHash(state);
    if (hash !== location.hash) history.replaceState(null, "", hash);
  }, 50);
}

export function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useApp<T>(pick: (s: AppState) => T): T {
  return useSyncExternalStore(subscribe, () => pick(state));
}
