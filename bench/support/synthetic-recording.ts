/**
 * Builds a recording file from the synthetic workload (`synthetic-workload.ts`) the way `record` does:
 * a `StoreWriter` with the hello's metadata, and `Ingest` fed the agent's frames one at a time, then
 * finished. Used by the store benchmark (bench/store.ts) and by the UI benchmark for its 10-million-event
 * recording:
 *
 *     const rec = await writeSyntheticRecording("/tmp/x/run.esrec", 10_000_000);
 *     // rec.facts.pair: a client and the GenServer it calls; rec.facts.crashed: the relay that crashed
 *
 * Memory stays bounded: frames are made, ingested and dropped one by one.
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
  /** Ingest's own time: `batch()` on every frame plus `finish()`, without making the frames. */
  ingestSeconds: number;
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
  let wireBytes = 0;
  try {
    for (const frame of workload) {
      wireBytes += frame.length;
      options.onFrame?.(frame);
      const t0 = process.hrtime.bigint();
      ingest.batch(frame);
      ns += process.hrtime.bigint() - t0;
    }
    const t0 = process.hrtime.bigint();
    await ingest.finish({ ended: JSON.stringify("the agent stopped (:stop)"), drops: "{}" });
    const finishNs = process.hrtime.bigint() - t0;
    return {
      path,
      events: ingest.counts.events,
      ingestSeconds: Number(ns + finishNs) / 1e9,
      finishSeconds: Number(finishNs) / 1e9,
      wireBytes,
      fileBytes: statSync(path).size,
      facts: workload.facts,
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
