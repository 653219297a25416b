/**
 * The collector loop: takes an agent session's frames as they come, counts events and drops for the
 * progress line, and puts them in a spool (`spool.ts`) that the recording's ingest (which numbers,
 * correlates and stores the events) empties in slices of `SLICE_MS` between socket reads, so that the
 * socket is always read at once and a burst waits on disk rather than being dropped by the agent. The file
 * is committed at least every `FLUSH_MS`. When the session ends, ingest catches up and the loop writes how
 * it ended.
 */
import { formatTerm } from "../etf/index.js";
import type { AgentSession, SessionEnd } from "../capture/agent-socket.js";
import { FLUSH_MS } from "../store/schema.js";
import type { RecordingSink } from "./recording-sink.js";
import type { Ingest } from "../correlate/ingest.js";
import { spoolPath } from "../store/schema.js";
import { storedFigures, type StoredFigures } from "../store/open.js";
import { FrameSpool, SPOOL_KEEP_BYTES, SpoolKind, type SpoolItem } from "./spool.js";
import { decode, encode } from "../etf/index.js";
import { Atom, ErlMap, isAtom, Pid, type Term, Tuple } from "../etf/terms.js";

/** Ingest runs at most this long before the socket is read again. */
const SLICE_MS = 15;
/** A burst: more than this many bytes wait and frames keep coming (the last less than BURST_QUIET_MS ago). */
const BURST_BYTES = 4 << 20;
const BURST_QUIET_MS = 50;
/** During a burst, ingest runs this long every BURST_QUIET_MS. */
const BURST_SLICE_MS = 3;

export interface CollectStats {
  events: number;
  batches: number;
  drops: Record<string, number>;
  disabled: string[];
  /**
   * What the recording lacks on purpose and why, as sentences: the `applied.skipped` items of the hello and
   * of each `plan_applied` frame (return tracing refused on a loop, patterns matching no function, processes
   * not found, states not captured), each once.
   */
  skipped: string[];
  /**
   * Other tools' tracing that the VM refused because this recording traced the processes (on OTP 25 and 26 a
   * process has one tracer), as sentences, from the agent's `tracer_conflict` frames.
   */
  conflicts: string[];
  bytes: number;
  /** What the finished file holds (the summary's figures, those of `query FILE info`); unset if unreadable. */
  stored?: StoredFigures;
  startedAt: number;
  endedAt: number;
  ended: string;
}

export type ProgressListener = (stats: CollectStats) => void;

export function totalDrops(stats: CollectStats): number {
  return Object.values(stats.drops).reduce((a, b) => a + b, 0);
}

/** `Elixir.SampleApp.Loop` as `SampleApp.Loop`, `lists` as `:lists`. */
function moduleText(t: Term | undefined): string {
  if (!(t instanceof Atom)) return formatTerm(t ?? []);
  return t.name.startsWith("Elixir.") ? t.name.slice("Elixir.".length) : `:${t.name}`;
}

function whatText(t: Term | undefined): string {
  if (t instanceof Tuple && t.size === 2 && isAtom(t.at(0), "return"))
    return `the returns of ${whatText(t.at(1))}`;
  if (t instanceof Tuple && t.size === 3 && t.at(0) instanceof Atom) {
    const [m, f, a] = t.elements;
    const fun = f instanceof Atom ? (f.name === "_" ? "*" : f.name) : formatTerm(f!);
    return `${moduleText(m)}.${fun}/${isAtom(a!, "_") ? "*" : formatTerm(a!)}`;
  }
  if (t instanceof Tuple && t.size === 2 && isAtom(t.at(0), "application"))
    return `application ${moduleText(t.at(1))}`;
  if (t instanceof Atom) return moduleText(t);
  if (t instanceof Pid) return formatTerm(t);
  return formatTerm(t ?? [], { limit: 20 });
}

/** The `skipped` items of an `applied` map (hello, `plan_applied`), as sentences: `What: Why`. */
export function skippedOf(applied: Term): string[] {
  const items = applied instanceof ErlMap ? applied.get(Atom.of("skipped")) : undefined;
  if (!Array.isArray(items)) return [];
  return items.map((item) => {
    if (!(item instanceof Tuple && item.size === 2)) return formatTerm(item, { limit: 20 });
    const why = item.at(1);
    const reason = why instanceof Uint8Array ? Buffer.from(why).toString("utf8") : formatTerm(why!);
    return `${whatText(item.at(0))}: ${reason}`;
  });
}

/** A `tracer_conflict` frame as a sentence. */
export function conflictText(caller: Term, spec: Term): string {
  return (
    `${formatTerm(caller)} called :erlang.trace/3 on ${formatTerm(spec)} with a tracer of its own, which the ` +
    "VM refused for the processes this recording traces: on OTP 25 and 26 a process has one tracer, so code " +
    "that traces (a test of tracing, say) fails under the recorder (OTP 27's trace sessions lift this limit)"
  );
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

/** Hands one spooled item to ingest (the hello and how the recording was started are the sink's already). */
export function ingestItem(ingest: Ingest, item: SpoolItem): void {
  switch (item.kind) {
    case SpoolKind.Events:
      ingest.batch(item.body);
      break;
    case SpoolKind.Note:
      ingest.note(JSON.parse(item.body.toString("utf8")) as Record<string, unknown>);
      break;
    case SpoolKind.Plan:
      ingest.planChanged(decode(item.body));
      break;
    default:
      break;
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
    skipped: [],
    conflicts: [],
    bytes: sink.size(),
    startedAt: Date.now(),
    endedAt: 0,
    ended: "",
  };
  let lastProgress = 0;
  const spool = new FrameSpool(spoolPath(sink.path));
  spool.push(SpoolKind.Hello, session.helloFrame);
  spool.push(SpoolKind.About, Buffer.from(JSON.stringify(sink.about), "utf8"));
  const take = (item: SpoolItem) => ingestItem(ingest, item);
  // While a burst comes in faster than ingest, reading the socket comes first: ingest gets a short slice
  // now and then (so that a live view still moves) and catches up once the burst is over.
  let scheduled = false;
  let lastFrameAt = 0;
  const pump = () => {
    scheduled = false;
    const burst = spool.backlog > BURST_BYTES && Date.now() - lastFrameAt < BURST_QUIET_MS;
    const until = Date.now() + (burst ? BURST_SLICE_MS : SLICE_MS);
    while (spool.pending && Date.now() < until) take(spool.next()!);
    if (spool.pending) schedule(burst);
    else spool.emptyIfPast(SPOOL_KEEP_BYTES);
  };
  const schedule = (later = false) => {
    if (!scheduled) {
      scheduled = true;
      if (later) setTimeout(pump, BURST_QUIET_MS);
      else setImmediate(pump);
    }
  };
  const note = (n: Record<string, unknown>) => {
    spool.push(SpoolKind.Note, Buffer.from(JSON.stringify(n), "utf8"));
    schedule();
  };
  const skipped = (applied: Term) => {
    for (const text of skippedOf(applied)) {
      if (stats.skipped.includes(text)) continue;
      stats.skipped.push(text);
      note({ type: "skipped", text });
    }
  };
  skipped(session.info.applied);
  const flusher = setInterval(() => ingest.flush(), FLUSH_MS);
  try {
    for await (const frame of session.frames()) {
      switch (frame.type) {
        case "events":
          spool.push(SpoolKind.Events, frame.raw);
          lastFrameAt = Date.now();
          schedule();
          stats.events += frame.count;
          stats.batches++;
          break;
        case "drops":
          stats.drops[frame.reason] = (stats.drops[frame.reason] ?? 0) + frame.count;
          note({ type: "drops", count: frame.count, reason: frame.reason });
          break;
        case "pattern_disabled": {
          const source = formatTerm(frame.source);
          stats.disabled.push(source);
          note({ type: "pattern_disabled", source, reason: frame.reason });
          break;
        }
        case "stopped":
          note({ type: "stopped", reason: formatTerm(frame.reason), stats: formatTerm(frame.stats) });
          break;
        case "plan_applied":
          spool.push(SpoolKind.Plan, encode(frame.plan));
          note({ type: frame.type, detail: formatTerm(frame.applied) });
          skipped(frame.applied);
          break;
        case "tracer_conflict": {
          const text = conflictText(frame.caller, frame.spec);
          if (!stats.conflicts.includes(text)) {
            stats.conflicts.push(text);
            note({ type: "tracer_conflict", text });
          }
          break;
        }
        case "plan_rejected":
          note({ type: frame.type, detail: formatTerm(frame.reason) });
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
    // The session is over: catch up with what waits.
    for (let item = spool.next(); item; item = spool.next()) take(item);
  } catch (err) {
    // What was received stays in the spool, from which `elixirscope recover` can rebuild the recording.
    spool.close();
    throw err;
  } finally {
    clearInterval(flusher);
  }
  ingest.flush();
  spool.remove();
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
    await sink.finish({
      ...extra,
      drops: stats.drops,
      disabled: stats.disabled,
      skipped: stats.skipped,
      conflicts: stats.conflicts,
      ended: stats.ended,
    });
  } finally {
    sink.close();
  }
  stats.bytes = sink.size();
  stats.stored = await storedFigures(sink.path).catch(() => undefined);
}
