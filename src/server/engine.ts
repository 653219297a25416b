/**
 * Where the server gets its recordings from: the query engine's `openRecording`, and how an error thrown by
 * the engine is classified for the UI (a bad question, an unreadable recording, or a bug).
 */
import { openRecording, QueryError, RecordingError, type Recording } from "../query/index.js";

export type OpenRecording = (path: string) => Promise<Recording>;

export const defaultOpen: OpenRecording = openRecording;

export type ErrorKind = "query" | "recording" | "internal";

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof QueryError) return "query";
  if (err instanceof RecordingError) return "recording";
  return "internal";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
