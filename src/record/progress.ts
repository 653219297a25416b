/** The live progress line and the closing summary of a recording, for a terminal. */
import { type CollectStats, totalDrops } from "./collect.js";

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function progressLine(s: CollectStats): string {
  const secs = Math.max(0.001, (Date.now() - s.startedAt) / 1000);
  return `recording: ${s.events.toLocaleString("en-US")} events (${Math.round(s.events / secs).toLocaleString("en-US")}/s), drops ${totalDrops(s)}, ${mb(s.bytes)}`;
}

/**
 * The first lines: what the file holds, as `query FILE info` says it (events stored, time from the start to
 * the last event), and how that differs from what the agent sent: ingest folds a monitor BIF's call and
 * return into one `monitor` event and leaves out the one-request monitors of `GenServer.call`.
 */
function recordedLines(file: string, s: CollectStats): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  if (!s.stored)
    return [
      `Received ${n(s.events)} events in ${((s.endedAt - s.startedAt) / 1000).toFixed(1)} s; ${file} (${mb(s.bytes)}) could not be read back to count what it holds.`,
    ];
  const { events, durationNs } = s.stored;
  const first = `Recorded ${n(events)} events in ${(durationNs / 1e9).toFixed(3)} s into ${file} (${mb(s.bytes)}).`;
  if (s.events <= events) return [first];
  return [
    first,
    `  The agent sent ${n(s.events)} trace events: ${n(s.events - events)} are folded into others or left out (a monitor call and its return make one monitor event; GenServer.call's one-request monitors are not kept).`,
  ];
}

export function summaryText(file: string, s: CollectStats): string {
  const drops = Object.entries(s.drops);
  const lines = [
    ...recordedLines(file, s),
    drops.length === 0
      ? "  No event was dropped."
      : `  Dropped ${totalDrops(s).toLocaleString("en-US")} events: ${drops.map(([r, n]) => `${n.toLocaleString("en-US")} (${r})`).join(", ")}.`,
    ...(s.disabled.length > 0 ? [`  Turned off to protect the node: ${s.disabled.join(", ")}.`] : []),
    ...s.skipped.slice(0, 10).map((what) => `  Not recorded: ${what}.`),
    ...(s.skipped.length > 10
      ? [`  ... and ${s.skipped.length - 10} more not recorded (see query FILE info).`]
      : []),
    ...s.conflicts.map((what) => `  Tracing conflict: ${what}.`),
    `  Ended: ${s.ended}.`,
  ];
  return lines.join("\n");
}

/** Rewrites one status line on a terminal; prints nothing elsewhere. */
export function terminalProgress(stream: NodeJS.WriteStream): (s: CollectStats) => void {
  if (!stream.isTTY) return () => {};
  return (s) => stream.write(`\r\x1b[K${progressLine(s)}`);
}
