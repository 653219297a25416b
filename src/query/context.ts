/**
 * What every query of one open recording shares: the connection, the terms, the function names (a small
 * table, loaded at open), the recording's metadata, and the process list once it has been built.
 */
import type { EventKind, EventRow, ProcessInfo, RecordingInfo } from "./api.js";
import { EVENT_KINDS, K } from "../store/schema.js";
import { type Row, type SqlSource } from "./db.js";
import type { TermStore } from "./term-store.js";

export interface QueryContext {
  con: SqlSource;
  terms: TermStore;
  info: RecordingInfo;
  node: string;
  mfaNames: string[];
  processes?: ProcessInfo[];
}

/** Columns of `events` as `toEventRow` reads them. */
export const EVENT_COLUMNS = "seq, ns, proc, kind, mfa, other, term, link, cause, depth";

/** An `events` row as the API gives it; its term must have been loaded. */
export function toEventRow(ctx: QueryContext, r: Row): EventRow {
  const mfa = r["mfa"] as number | null;
  // A call's `other` is its caller's function, when recorded (`capture.callers`).
  const other = (r["other"] as number | null) ?? null;
  const call = r["kind"] === K.call;
  return {
    seq: r["seq"] as number,
    ns: r["ns"] as number,
    proc: r["proc"] as number,
    kind: EVENT_KINDS[r["kind"] as number] as EventKind,
    mfa: mfa === null ? null : (ctx.mfaNames[mfa] ?? null),
    other: call ? null : other,
    caller: call && other !== null && other >= 0 ? (ctx.mfaNames[other] ?? null) : null,
    text: ctx.terms.text((r["term"] as number | null) ?? null),
    link: (r["link"] as number | null) ?? null,
    cause: (r["cause"] as number | null) ?? null,
    depth: (r["depth"] as number | null) ?? null,
  };
}
