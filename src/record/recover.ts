/**
 * Rebuilds a recording whose collector was killed before it could finish, from the spool it left beside the
 * file (`spool.ts`): the spool holds the session's hello and every frame the collector had received, so
 * ingest runs again over all of them into a new file, which then replaces the cut-off one. The cut-off file
 * is replaced only once the new one is complete; until then nothing is lost. A file its recorder is still
 * writing is refused (its spool is in use): what cannot be done is a RecordingError, one line for the CLI.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { readHello } from "../capture/agent-frames.js";
import { decode } from "../etf/index.js";
import { openRecording } from "../query/engine.js";
import { ingestItem } from "./collect.js";
import { createRecordingSink } from "./recording-sink.js";
import { assertNotBeingRecorded, RecordingError } from "../store/open.js";
import { spoolPath } from "../store/schema.js";
import { FrameSpool, SPOOL_KEEP_BYTES, SpoolKind } from "./spool.js";

export interface Recovered {
  /** Events stored. */
  events: number;
  /** Events frames replayed. */
  batches: number;
  /** Whether the spool ended inside a frame (the collector was killed while writing it; that frame is lost). */
  truncated: boolean;
  /** Whether the agent's `stopped` frame was among those received: the session had ended. */
  sessionEnded: boolean;
}

/** Rebuilds the recording at `path` from `path.spool`; throws a sentence saying what is wrong otherwise. */
export async function recoverRecording(path: string): Promise<Recovered> {
  const source = spoolPath(path);
  await assertNotBeingRecorded(
    path,
    "nothing to recover while its recorder runs (recover rebuilds a recording whose recorder was killed)",
  );
  if (!existsSync(source)) {
    throw new RecordingError(
      `nothing to recover for ${path}: there is no ${source} beside it (a recording that finished normally leaves none)`,
    );
  }
  const spool = new FrameSpool(source, true);
  const temp = `${path}.recovering`;
  try {
    const first = spool.nextWhole();
    if (first !== undefined && first !== "truncated" && first.kind === SpoolKind.Emptied) {
      throw new RecordingError(
        `${source} cannot rebuild ${path}: it grew past ${SPOOL_KEEP_BYTES / 2 ** 30} GiB and was emptied once everything in it was stored, so it holds only the end of the recording; ${path} has everything up to its last flush`,
      );
    }
    if (first === undefined || first === "truncated" || first.kind !== SpoolKind.Hello) {
      throw new RecordingError(
        `${source} does not start with the agent's hello: it is not a spool, or one written by an older ElixirScope, and cannot be replayed`,
      );
    }
    const hello = readHello(decode(first.body), () => true);
    if (typeof hello === "string") throw new RecordingError(`${source} cannot be replayed: ${hello}`);
    const second = spool.nextWhole();
    const about =
      second !== undefined && second !== "truncated" && second.kind === SpoolKind.About
        ? (JSON.parse(second.body.toString("utf8")) as Record<string, unknown>)
        : {};

    for (const p of [temp, `${temp}.wal`]) rmSync(p, { force: true });
    const sink = await createRecordingSink(temp, hello, { ...about, recoveredFrom: source });
    const result: Recovered = { events: 0, batches: 0, truncated: false, sessionEnded: false };
    const drops: Record<string, number> = {};
    const disabled: string[] = [];
    let ended: string | undefined;
    try {
      for (let item = spool.nextWhole(); item !== undefined; item = spool.nextWhole()) {
        if (item === "truncated") {
          result.truncated = true;
          break;
        }
        if (item.kind === SpoolKind.Events) result.batches++;
        if (item.kind === SpoolKind.Note) {
          const note = JSON.parse(item.body.toString("utf8")) as Record<string, unknown>;
          if (note["type"] === "drops") {
            const reason = String(note["reason"]);
            drops[reason] = (drops[reason] ?? 0) + Number(note["count"]);
          } else if (note["type"] === "pattern_disabled") disabled.push(String(note["source"]));
          else if (note["type"] === "stopped") ended = `the agent stopped (${String(note["reason"])})`;
        }
        ingestItem(sink.ingest, item);
      }
      result.sessionEnded = ended !== undefined;
      await sink.finish({
        drops,
        disabled,
        // Without the agent's `stopped` frame the recording stays cut off: it has what the collector received.
        ...(ended === undefined ? {} : { ended }),
        recovered: `rebuilt from ${source}${result.truncated ? ", whose last frame was cut short" : ""}`,
      });
    } finally {
      sink.close();
    }
    result.events = await countStored(temp);
    // The cut-off file's write-ahead log belongs to it: it must not be replayed into the new one.
    rmSync(`${path}.wal`, { force: true });
    renameSync(temp, path);
    if (existsSync(`${temp}.wal`)) renameSync(`${temp}.wal`, `${path}.wal`);
    spool.remove();
    return result;
  } catch (err) {
    for (const p of [temp, `${temp}.wal`]) rmSync(p, { force: true });
    throw err;
  } finally {
    spool.close();
  }
}

async function countStored(path: string): Promise<number> {
  const rec = await openRecording(path);
  try {
    return rec.info().events;
  } finally {
    await rec.close();
  }
}
