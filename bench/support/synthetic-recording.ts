/**
 * Builds a recording file from the synthetic workload (`synthetic-workload.ts`) the way `record` does:
 * a `StoreWriter` with the hello's metadata, and `Ingest` fed the agent's frames one at a time, then
 * finished. Used by the store benchmark (bench/store.ts) and by the UI benchmark for its 10-million-event
 * recording:
 *
 *     const rec = await writeSyntheticRecording("/tmp/x/run.esrec", 10_000_000);
 *     // rec.facts.pair: a client and the GenServer it calls; rec.facts.crashed: the relay that crashed
 *
 * Frames are made a window of `WINDOW_FRAMES` at a time (not timed), then ingested (timed), and the timing
 * of each window ends only when the writer thread has stored everything handed to it: the time is that of
 * the whole pipeline (ingest on this thread, DuckDB's storing on the writer thread beside it), as if the
 * frames came as fast as it takes them, with no idle moments for the writer thread to catch up in. The CPU
 * time of those moments (every thread of the process) is measured too. Memory stays bounded: one window
 * of frames at a time.
 */
import { statSync } from "node:fs";
import { Ingest } from "../../src/correlate/ingest.js";
import { formatTerm } from "../../src/etf/format.js";
import { StoreWriter } from "../../src/store/writer.js";
import type { SyntheticHello } from "./synthetic-hello.js";
import { SyntheticWorkload, type WorkloadFacts, type WorkloadMix } from "./synthetic-workload.js";

export interface SyntheticRecordingOptions {
  mix?: WorkloadMix;
  seed?: number;
  /** Called with each frame before it is ingested (outside the ingest timing). */
  onFrame?: (frame: Buffer) => void;
}

export interface SyntheticRecording {
  path: string;
  events: number;
  /** The pipeline's time: `batch()` on every frame until the writer thread has stored it, plus `finish()`; making the frames is not counted. */
  ingestSeconds: number;
  /** The CPU time of those moments, every thread of the process (ingest, the writer thread, the GC's). */
  ingestCpuSeconds: number;
  /** Of which `finish()` (settling what is open, the final checkpoint). */
  finishSeconds: number;
  /** The frames' ETF bytes, as they came over the socket. */
  wireBytes: number;
  /** The finished file's size. */
  fileBytes: number;
  facts: WorkloadFacts;
}

/** The metadata `record` writes for a session with this hello. */
export function syntheticMeta(hello: SyntheticHello): Record<string, string> {
  const wallMs = Number((hello.monotonicNs + hello.timeOffsetNs) / 1_000_000n);
  return {
    node: hello.node,
    otp_release: hello.otpRelease,
    elixir_version: hello.elixirVersion,
    started_at: new Date(wallMs).toISOString(),
    base_ns: String(hello.monotonicNs),
    time_offset_ns: String(hello.timeOffsetNs),
    plan: formatTerm(hello.plan),
    applied: "%{}",
    recorder: JSON.stringify({ tool: "elixirscope", synthetic: true }),
  };
}

/** Frames made before each timed ingest: 500,000 events, about 56 MB. */
const WINDOW_FRAMES = 1000;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Writes a recording of `events` synthetic events (the `full` mix unless told otherwise) at `path`. */
export async function writeSyntheticRecording(
  path: string,
  events: number,
  options: SyntheticRecordingOptions = {},
): Promise<SyntheticRecording> {
  const workload = new SyntheticWorkload({ events, mix: options.mix ?? "full", seed: options.seed });
  const store = await StoreWriter.create(path, syntheticMeta(workload.hello));
  const ingest = new Ingest(store, workload.hello);
  let ns = 0n;
  let cpu = 0;
  let wireBytes = 0;
  const window: Buffer[] = [];
  const ingestWindow = async () => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const frame of window) ingest.batch(frame);
    // Answered once the writer thread has handled every message before it.
    await store.query("SELECT 1");
    ns += process.hrtime.bigint() - t0;
    cpu += cpuSeconds(cpu0);
    window.length = 0;
  };
  try {
    for (const frame of workload) {
      wireBytes += frame.length;
      options.onFrame?.(frame);
      window.push(frame);
      if (window.length >= WINDOW_FRAMES) await ingestWindow();
    }
    await ingestWindow();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await ingest.finish({ ended: JSON.stringify("the agent stopped (:stop)"), drops: "{}" });
    const finishNs = process.hrtime.bigint() - t0;
    cpu += cpuSeconds(cpu0);
    return {
      path,
      events: ingest.counts.events,
      ingestSeconds: Number(ns + finishNs) / 1e9,
      ingestCpuSeconds: cpu,
      finishSeconds: Number(finishNs) / 1e9,
      wireBytes,
      fileBytes: statSync(path).size,
      facts: workload.facts,
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
