/**
 * Reads a version-0 recording back as events, and counts them by kind and function: what the summary and
 * the tests need until the query engine arrives.
 */
import { decode } from "../etf/index.js";
import { Atom, type Term, Tuple } from "../etf/terms.js";
import { readRecording, RecordKind } from "../store/recording-file.js";

/** Every event of a recording, oldest first: raw trace tuples and `es_state` tuples. */
export function* recordedEvents(file: string): Generator<Tuple> {
  for (const entry of readRecording(file).entries) {
    if (entry.kind !== RecordKind.Events) continue;
    const batch = decode(entry.frame);
    if (!(batch instanceof Tuple) || !Array.isArray(batch.at(2))) continue;
    for (const e of batch.at(2) as Term[]) if (e instanceof Tuple) yield e;
  }
}

/** `call Elixir.M.f/2`, `return_from ...`, `exception_from ...`, or the event kind (`send`, `spawn`, `es_state`). */
export function eventKey(e: Tuple): string {
  const tag = e.at(0);
  if (!(tag instanceof Atom)) return "?";
  if (tag.name !== "trace_ts") return tag.name;
  const kind = e.at(2);
  const what = kind instanceof Atom ? kind.name : "?";
  if (what === "call" || what === "return_from" || what === "exception_from") {
    const mfa = e.at(3);
    if (mfa instanceof Tuple) {
      const arity = mfa.at(2);
      return `${what} ${String(mfa.at(0))}.${String(mfa.at(1))}/${Array.isArray(arity) ? arity.length : String(arity)}`;
    }
  }
  return what;
}

export function countEvents(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of recordedEvents(file)) {
    const k = eventKey(e);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}
