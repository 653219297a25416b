/**
 * What travels between the Cinema server and the UI: one HTTP call per `Recording` method, with the same
 * arguments and the same answers, except that terms (a state, a fetched term) come as `TermJson` trees.
 * Imported by the server and by the UI (types and the method list only, nothing Node-specific).
 */
import type { Page, Recording, RecordingInfo, StateView } from "../query/api.js";
import type { TermJson } from "./term-json.js";

export type { TermJson };

/** Every method of `Recording` the UI may call (all but `close`). */
export const API_METHODS = [
  "info",
  "processes",
  "resolveProcess",
  "event",
  "term",
  "history",
  "events",
  "messages",
  "stateAt",
  "states",
  "calls",
  "flame",
  "callGraph",
  "origins",
  "crashes",
  "why",
  "mailboxAt",
  "mailbox",
  "linksAt",
  "monitorsAt",
  "stackAt",
  "timeline",
  "search",
  "sql",
] as const satisfies readonly (keyof Recording)[];

export type ApiName = (typeof API_METHODS)[number];

export type WireStateView = Omit<StateView, "state"> & { state: TermJson };

export type WireResults = {
  [K in ApiName]: K extends "stateAt"
    ? WireStateView | null
    : K extends "states"
      ? Page<WireStateView>
      : K extends "term"
        ? { term: TermJson; text: string } | null
        : Awaited<ReturnType<Recording[K]>>;
};

export type ApiArgs<K extends ApiName> = Parameters<Recording[K]>;

/** The body of every API answer: `{ result }`, or `{ error }` with a status of 400 (query) or 500. */
export type ApiAnswer<K extends ApiName> =
  { result: WireResults[K] } | { error: { kind: "query" | "recording" | "internal"; message: string } };

/** Pushed over the live WebSocket when the recording file grew and was opened again. */
export interface LiveUpdate {
  type: "updated";
  info: RecordingInfo;
}
