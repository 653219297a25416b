/**
 * The collector loop: takes an agent session's frames as they come and hands them to the recording's ingest
 * (which numbers, correlates and stores the events), counting events and drops, committing the file at least
 * every `FLUSH_MS`, and reporting progress. It ends when the session ends, and writes how it ended.
 */
import { formatTerm } from "../etf/index.js";
import type { AgentSession, SessionEnd } from "../capture/agent-socket.js";
import { FLUSH_MS } from "../store/schema.js";
import type { RecordingSink } from "./recording-sink.js";

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

/** Reads every frame of `session` into `sink`. Resolves with the totals once the session has ended. */
export async function collect(
  session: AgentSession,
  sink: RecordingSink,
  onProgress?: ProgressListener,
): Promise<CollectStats> {
  const ingest = sink.ingest;
  const stats: CollectStats = {
    events: 0,
    batches: 0,
    drops: {},
    disabled: [],
    bytes: sink.size(),
    startedAt: Date.now(),
    endedAt: 0,
    ended: "",
  };
  let lastProgress = 0;
  const flusher = setInterval(() => ingest.flush(), FLUSH_MS);
  try {
    for await (const frame of session.frames()) {
      switch (frame.type) {
        case "events":
          stats.events += ingest.batch(frame.raw);
          stats.batches++;
          break;
        case "drops":
          stats.drops[frame.reason] = (stats.drops[frame.reason] ?? 0) + frame.count;
          ingest.note({ type: "drops", count: frame.count, reason: frame.reason });
          break;
        case "pattern_disabled": {
          const source = formatTerm(frame.source);
          stats.disabled.push(source);
          ingest.note({ type: "pattern_disabled", source, reason: frame.reason });
          break;
        }
        case "stopped":
          ingest.note({ type: "stopped", reason: formatTerm(frame.reason), stats: formatTerm(frame.stats) });
          break;
        case "plan_applied":
          ingest.planChanged(frame.plan);
          ingest.note({ type: frame.type, detail: formatTerm(frame.applied) });
          break;
        case "plan_rejected":
          ingest.note({ type: frame.type, detail: formatTerm(frame.reason) });
          break;
        default:
          break;
      }
      const now = Date.now();
      if (onProgress && now - lastProgress >= 250) {
        lastProgress = now;
        stats.bytes = sink.size();
        onProgress(stats);
      }
    }
  } finally {
    clearInterval(flusher);
  }
  ingest.flush();
  stats.bytes = sink.size();
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

/** Writes how the recording ended and closes the file. */
export async function finishRecording(
  sink: RecordingSink,
  stats: CollectStats,
  extra: Record<string, unknown> = {},
): Promise<void> {
  try {
    await sink.finish({ ...extra, drops: stats.drops, disabled: stats.disabled, ended: stats.ended });
  } finally {
    sink.close();
  }
  stats.bytes = sink.size();
}
