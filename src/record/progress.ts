/** The live progress line and the closing summary of a recording, for a terminal. */
import { type CollectStats, totalDrops } from "./collect.js";

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function progressLine(s: CollectStats): string {
  const secs = Math.max(0.001, (Date.now() - s.startedAt) / 1000);
  return `recording: ${s.events.toLocaleString("en-US")} events (${Math.round(s.events / secs).toLocaleString("en-US")}/s), drops ${totalDrops(s)}, ${mb(s.bytes)}`;
}

export function summaryText(file: string, s: CollectStats): string {
  const secs = (s.endedAt - s.startedAt) / 1000;
  const drops = Object.entries(s.drops);
  const lines = [
    `Recorded ${s.events.toLocaleString("en-US")} events in ${secs.toFixed(1)} s into ${file} (${mb(s.bytes)}).`,
    drops.length === 0
      ? "  No event was dropped."
      : `  Dropped ${totalDrops(s).toLocaleString("en-US")} events: ${drops.map(([r, n]) => `${n.toLocaleString("en-US")} (${r})`).join(", ")}.`,
    ...(s.disabled.length > 0 ? [`  Turned off to protect the node: ${s.disabled.join(", ")}.`] : []),
    ...s.skipped.slice(0, 10).map((what) => `  Not recorded: ${what}.`),
    ...(s.skipped.length > 10
      ? [`  ... and ${s.skipped.length - 10} more not recorded (see query FILE info).`]
      : []),
    `  Ended: ${s.ended}.`,
  ];
  return lines.join("\n");
}

/** Rewrites one status line on a terminal; prints nothing elsewhere. */
export function terminalProgress(stream: NodeJS.WriteStream): (s: CollectStats) => void {
  if (!stream.isTTY) return () => {};
  return (s) => stream.write(`\r\x1b[K${progressLine(s)}`);
}
