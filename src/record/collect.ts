/**
 * The collector loop: takes an agent session's frames as they come and appends them to the recording file,
 * stamping each batch with the global sequence number of its first event, counting events and drops, and
 * reporting progress. It ends when the session ends, and writes the summary of how it ended.
 */
import { encode } from "../etf/index.js";
import { formatTerm } from "../etf/index.js";
import { tuple, atom, binary } from "../etf/terms.js";
import type { AgentSession, SessionEnd } from "../capture/agent-socket.js";
import type { RecordingWriter } from "../store/recording-file.js";

export interface CollectStats {
  events: number;
  batches: number;
  drops: Record<string, number>;
  disabled: string[];
  bytes: number;
  startedAt: number;
  endedAt: number;
  ended: string;
}

export type ProgressListener = (stats: CollectStats) => void;

export function totalDrops(stats: CollectStats): number {
  return Object.values(stats.drops).reduce((a, b) => a + b, 0);
}

/** How a session's end reads in the summary. */
export function describeEnd(end: SessionEnd): string {
  switch (end.reason) {
    case "stopped":
      return `the agent stopped (${formatTerm(end.agentReason)})`;
    case "agent_gone":
      return "the node went down or the agent died before it could stop";
    case "socket_error":
      return `the connection to the agent failed: ${end.error.message}`;
    case "closed":
      return "the collector closed the connection";
  }
}

/** Reads every frame of `session` into `writer`. Resolves with the totals once the session has ended. */
export async function collect(
  session: AgentSession,
  writer: RecordingWriter,
  onProgress?: ProgressListener,
): Promise<CollectStats> {
  const stats: CollectStats = {
    events: 0,
    batches: 0,
    drops: {},
    disabled: [],
    bytes: writer.size,
    startedAt: Date.now(),
    endedAt: 0,
    ended: "",
  };
  writer.hello(encode(tuple(atom("hello"), 1, binary(""), session.info.raw)));
  let lastProgress = 0;
  for await (const frame of session.frames()) {
    switch (frame.type) {
      case "events":
        writer.events(BigInt(stats.events), frame.raw);
        stats.events += frame.count;
        stats.batches++;
        break;
      case "drops":
        stats.drops[frame.reason] = (stats.drops[frame.reason] ?? 0) + frame.count;
        writer.note({ type: "drops", count: frame.count, reason: frame.reason, afterEvent: stats.events });
        break;
      case "pattern_disabled": {
        const source = formatTerm(frame.source);
        stats.disabled.push(source);
        writer.note({ type: "pattern_disabled", source, reason: frame.reason, afterEvent: stats.events });
        break;
      }
      case "stopped":
        writer.note({ type: "stopped", reason: formatTerm(frame.reason), stats: formatTerm(frame.stats) });
        break;
      case "plan_applied":
      case "plan_rejected":
        writer.note({
          type: frame.type,
          detail: formatTerm(frame.type === "plan_applied" ? frame.applied : frame.reason),
        });
        break;
      default:
        break;
    }
    stats.bytes = writer.size;
    const now = Date.now();
    if (onProgress && now - lastProgress >= 250) {
      lastProgress = now;
      onProgress(stats);
    }
  }
  const end = await session.closed;
  stats.endedAt = Date.now();
  stats.ended = describeEnd(end);
  onProgress?.(stats);
  return stats;
}

/** Asks the agent to stop (it sends what it holds and removes its tracing); closes the socket if it takes longer than `graceMs`. */
export async function stopSession(session: AgentSession, graceMs = 5000): Promise<void> {
  const deadline = setTimeout(() => session.close(), graceMs);
  await session.stop().catch(() => undefined);
  clearTimeout(deadline);
}

/** Writes the recording's closing summary and closes the file. */
export function finishRecording(
  writer: RecordingWriter,
  stats: CollectStats,
  extra: Record<string, unknown> = {},
): void {
  try {
    writer.end({ type: "end", ...extra, events: stats.events, drops: stats.drops, ended: stats.ended });
  } finally {
    writer.close();
  }
}
