/**
 * The UI's only way to the recording: one call per `Recording` method, sent to the server as
 * `POST api/<method>` with the arguments as a JSON array (the access token is in the page's path, so
 * relative URLs carry it). Errors come back as `ApiError` with the engine's message.
 */
import type { ApiArgs, ApiName, WireResults, LiveUpdate } from "../../src/server/wire.js";

export class ApiError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

export async function call<K extends ApiName>(name: K, ...args: ApiArgs<K>): Promise<WireResults[K]> {
  const res = await fetch(`api/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const body = (await res.json().catch(() => null)) as
    { result: WireResults[K] } | { error: { kind: string; message: string } } | null;
  if (body === null) throw new ApiError("internal", `the server answered ${res.status} without JSON`);
  if ("error" in body) throw new ApiError(body.error.kind, body.error.message);
  return body.result;
}

/** Calls `onUpdate` whenever the server reopened a live recording that grew. */
export function followLive(onUpdate: (u: LiveUpdate) => void): () => void {
  const url = new URL("live", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  url.search = "";
  let ws: WebSocket | null = null;
  try {
    ws = new WebSocket(url);
    ws.onmessage = (e) => onUpdate(JSON.parse(String(e.data)) as LiveUpdate);
  } catch {
    ws = null;
  }
  return () => ws?.close();
}
