/**
 * `elixirscope listen`: waits on a loopback port for the agent of an application that has ElixirScope as a
 * dependency (`config :elixirscope, collector: {"127.0.0.1", Port}, token: Token`; see
 * beam/src/elixirscope_app.erl), and records it until stopped (Ctrl-C, `--duration`) or until the node stops.
 * The application chooses what is recorded; this side only checks the token and stores what comes.
 */
import { listenForAgent } from "../capture/agent-socket.js";
import { formatTerm } from "../etf/index.js";
import { createRecordingSink } from "./recording-sink.js";
import {
  collect,
  type CollectStats,
  finishRecording,
  type ProgressListener,
  stopSession,
} from "./collect.js";

export interface ListenOptions {
  port: number;
  token: string;
  out: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Stop this many milliseconds after the agent connected; otherwise when `stop` resolves or the node stops. */
  durationMs?: number;
  /** Resolves when the user asks to stop (Ctrl-C), before or during the recording. */
  stop?: Promise<void>;
  onProgress?: ProgressListener;
  /** Called once the port is open. */
  onListening?: (port: number) => void;
  /** Called once an agent with the token has connected, with its node's name. */
  onStarted?: (node: string) => void;
  /** Called for each connection refused (a wrong token, no hello). */
  onRejected?: (reason: string) => void;
}

/** Records the first agent that connects with the token. Resolves with undefined when stopped before one did. */
export async function listenAndRecord(options: ListenOptions): Promise<CollectStats | undefined> {
  const listener = await listenForAgent({
    token: options.token,
    host: options.host ?? "127.0.0.1",
    port: options.port,
    onRejected: options.onRejected,
  });
  let session;
  try {
    options.onListening?.(listener.port);
    const stopped = options.stop?.then(() => undefined);
    session = await Promise.race([listener.session, ...(stopped ? [stopped] : [])]);
  } finally {
    listener.close();
  }
  if (session === undefined) return undefined;

  const writer = await createRecordingSink(options.out, session.info, {
    listenedOn: `${listener.host}:${listener.port}`,
    node: session.info.node,
    agentPlan: formatTerm(session.info.plan),
  });
  options.onStarted?.(session.info.node);
  const collecting = collect(session, writer, options.onProgress);
  collecting.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const stopWhen = [
    options.stop,
    options.durationMs === undefined
      ? undefined
      : new Promise<void>((r) => (timer = setTimeout(r, options.durationMs))),
  ].filter((p): p is Promise<void> => p !== undefined);
  await Promise.race([session.closed, ...stopWhen]);
  clearTimeout(timer);
  await stopSession(session);
  const stats = await collecting.catch((err: unknown) => {
    writer.close();
    throw err;
  });
  await finishRecording(writer, stats);
  return stats;
}
