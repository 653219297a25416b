/**
 * Where the server gets its recordings from: the query engine's `openRecording`, and how an error thrown by
 * the engine is classified for the UI (a bad question, an unreadable recording, or a bug).
 */
import { QueryError, type Recording } from "../query/api.js";

export type OpenRecording = (path: string) => Promise<Recording>;

export async function defaultOpen(path: string): Promise<Recording> {
  const spec = "../query/index.js";
  const engine = (await import(spec)) as { openRecording: OpenRecording };
  return engine.openRecording(path);
}

export type ErrorKind = "query" | "recording" | "internal";

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof QueryError) return "query";
  if (err instanceof Error && (err.name === "RecordingError" || err.constructor.name === "RecordingError"))
    return "recording";
  if (err instanceof Error && err.constructor.name === "QueryError") return "query";
  return "internal";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
