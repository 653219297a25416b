/**
 * The recording store (issue 4): ingest rate, bytes on disk, query latencies on a 10-million-event file,
 * and DuckDB against SQLite, each figure with a baseline measured in the same run.
 *
 * - Ingest: the synthetic workload (bench/support/synthetic-workload.ts) as the agent's 500-event frames,
 *   through `Ingest` (scan, correlate, store), against `decode()` of the same frames. Making the frames is
 *   not timed; the time is the pipeline's (ingest on Node's main thread, DuckDB's storing on the writer
 *   thread beside it; see synthetic-recording.ts). Target: at least 1,000,000 events/s on one core, so
 *   also reported: events per CPU-second of every thread, what one core would do with all of it.
 * - Bytes per event: the finished file over its events, against the frames' ETF bytes per event; for the
 *   whole workload and for 1M-event files of only calls and returns and of only sends and receives.
 *   Target: at most 40 B/event.
 * - Queries on the big file through `openRecording`: open, first page of `history`, `stateAt`, `why` over
 *   the crash's chain (asserted at least 10 hops), `messages(A, B)`, cold and then warm medians, each against
 *   the bare SQL it needs (bench/support/store-queries.ts).
 * - The storage choice: the same events rows into DuckDB and SQLite (bench/support/storage-choice.ts).
 *
 * Files go to a temporary folder, removed at the end. `ES_STORE_BENCH_EVENTS` sets the big file's size
 * (default 10,000,000). Run: `npm run bench -- store`, or `node dist/bench/store.js`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { decode } from "../src/etf/decode.js";
import type { BenchResult } from "./result.js";
import { writeSyntheticRecording, type SyntheticRecording } from "./support/synthetic-recording.js";
import type { WorkloadMix } from "./support/synthetic-workload.js";
import { queryLatencies } from "./support/store-queries.js";
import { compareStores, readEventColumns } from "./support/storage-choice.js";

const EVENTS = Number(process.env["ES_STORE_BENCH_EVENTS"] ?? 10_000_000);
const SMALL = Math.min(1_000_000, EVENTS);
const CHOICE_ROWS = Math.min(1_000_000, EVENTS);

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const progress = (line: string) => process.stderr.write(`store: ${line}\n`);

/** Ingests `events` of `mix` into `path`, timing `decode()` of every frame too. */
async function ingest(path: string, events: number, mix: WorkloadMix) {
  let decodeNs = 0n;
  const rec = await writeSyntheticRecording(path, events, {
    mix,
    onFrame: (frame) => {
      const t0 = process.hrtime.bigint();
      decode(frame);
      decodeNs += process.hrtime.bigint() - t0;
    },
  });
  return { rec, decodeSeconds: Number(decodeNs) / 1e9 };
}

function sizeResult(name: string, rec: SyntheticRecording): BenchResult {
  const value = rec.fileBytes / rec.events;
  const baseline = rec.wireBytes / rec.events;
  return {
    name,
    value,
    unit: "B/event",
    baseline,
    ratio: value / baseline,
    note: `file ${(rec.fileBytes / 1e6).toFixed(1)} MB for ${n(rec.events)} events; baseline: the agent's ETF frames; target <= 40 (${value <= 40 ? "met" : "NOT met"})`,
  };
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "es-store-bench-"));
  const out: BenchResult[] = [];
  try {
    progress(`ingesting ${n(EVENTS)} events of the full workload...`);
    const big = await ingest(join(dir, "big.esrec"), EVENTS, "full");
    const rate = big.rec.events / big.rec.ingestSeconds;
    const decodeRate = big.rec.events / big.decodeSeconds;
    out.push({
      name: `ingest ${n(EVENTS)} events (scan + correlate on the main thread, store on the writer thread) vs decode() of the same frames`,
      value: rate,
      unit: "events/s",
      baseline: decodeRate,
      ratio: rate / decodeRate,
      note: `${big.rec.ingestSeconds.toFixed(1)} s until stored, of which finish ${big.rec.finishSeconds.toFixed(2)} s; peak RSS ${n(process.resourceUsage().maxRSS / 1024)} MB; target >= 1,000,000 with two threads (${rate >= 1e6 ? "met" : "NOT met"})`,
    });
    const perCpu = big.rec.events / big.rec.ingestCpuSeconds;
    out.push({
      name: `ingest ${n(EVENTS)} events per CPU-second (every thread: ingest, the writer thread, GC) vs decode() of the same frames`,
      value: perCpu,
      unit: "events/s",
      baseline: decodeRate,
      ratio: perCpu / decodeRate,
      note: `${big.rec.ingestCpuSeconds.toFixed(1)} CPU-s, ${(1e6 / perCpu).toFixed(2)} µs an event; the rate on one core doing all of it; target >= 1,000,000 (${perCpu >= 1e6 ? "met" : "NOT met"})`,
    });
    out.push(sizeResult(`bytes per event, whole file (${n(EVENTS)} events, all kinds)`, big.rec));

    progress("querying the big file...");
    for (const q of await queryLatencies(big.rec.path, big.rec.facts)) {
      const verdict = (v: number) =>
        q.targetMs === null ? "" : `target < ${q.targetMs} ms (${v < q.targetMs ? "met" : "NOT met"})`;
      out.push({
        name: `${q.name}, cold`,
        value: q.coldMs,
        unit: "ms",
        baseline: q.floorMs,
        ratio: q.coldMs / q.floorMs,
        note: [`baseline: the bare SQL`, verdict(q.coldMs), q.note].filter(Boolean).join("; "),
      });
      out.push({
        name: `${q.name}, warm median`,
        value: q.warmMs,
        unit: "ms",
        baseline: q.floorMs,
        ratio: q.warmMs / q.floorMs,
        note: verdict(q.warmMs) || undefined,
      });
    }

    progress(`storage choice: ${n(CHOICE_ROWS)} events rows into DuckDB and SQLite...`);
    const cols = await readEventColumns(big.rec.path, CHOICE_ROWS);
    rmSync(big.rec.path, { force: true });
    const choice = await compareStores(cols, dir);
    for (const [label, sqlite] of [
      ["SQLite", choice.sqlite],
      ["SQLite with an index on (proc, seq)", choice.sqliteIndexed],
    ] as const) {
      out.push({
        name: `events table insert rate, DuckDB vs ${label}`,
        value: choice.duckdb.rowsPerSec,
        unit: "rows/s",
        baseline: sqlite.rowsPerSec,
        ratio: choice.duckdb.rowsPerSec / sqlite.rowsPerSec,
        note: `${n(choice.duckdb.rows)} rows`,
      });
      out.push({
        name: `events table bytes per row, DuckDB vs ${label}`,
        value: choice.duckdb.bytesPerRow,
        unit: "B/row",
        baseline: sqlite.bytesPerRow,
        ratio: choice.duckdb.bytesPerRow / sqlite.bytesPerRow,
      });
    }

    for (const [mix, label] of [
      ["calls", "calls and returns only"],
      ["messages", "sends and receives only"],
    ] as const) {
      progress(`ingesting ${n(SMALL)} events of ${label}...`);
      const small = await ingest(join(dir, `${mix}.esrec`), SMALL, mix);
      const r = sizeResult(`bytes per event, ${label} (${n(SMALL)} events)`, small.rec);
      r.note += `; ingest ${n(small.rec.events / small.rec.ingestSeconds)} events/s (decode ${n(small.rec.events / small.decodeSeconds)})`;
      out.push(r);
      rmSync(small.rec.path, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await run()) {
    const base =
      r.baseline === undefined
        ? ""
        : `  baseline ${r.baseline.toPrecision(4)}  ratio ${r.ratio!.toFixed(2)}x`;
    console.log(`${r.name}: ${r.value.toPrecision(4)} ${r.unit}${base}${r.note ? `  (${r.note})` : ""}`);
  }
}
