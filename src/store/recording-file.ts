/**
 * The recording file, version 0: an append-only log of what the agent sent, written as it arrives, so that
 * a recording cut off at any moment opens with everything up to the last complete record.
 *
 *     "ESREC\0" | u16 version | u32 n | n bytes of JSON metadata (who wrote it, when)
 *     then records:  u8 kind | u32 length | body
 *       kind 1 HELLO   the agent's hello frame (ETF), once, first
 *       kind 2 EVENTS  u64 sequence number of the batch's first event | the batch frame (ETF) as received
 *       kind 3 NOTE    JSON: drops, disabled patterns, the node going down, the agent stopping
 *       kind 4 END     JSON: the summary written when recording ends
 *
 * Event batches stay in the agent's own encoding, so writing costs one copy and no decoding; readers decode
 * what they need. The store issue replaces this log with an indexed, queryable format.
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync, fstatSync } from "node:fs";

export const MAGIC = Buffer.from("ESREC\0", "latin1");
export const FORMAT_VERSION = 0;

export enum RecordKind {
  Hello = 1,
  Events = 2,
  Note = 3,
  End = 4,
}

export class RecordingError extends Error {}

export class RecordingWriter {
  private fd: number;
  private bytes = 0;

  constructor(
    readonly path: string,
    metadata: Record<string, unknown>,
  ) {
    this.fd = openSync(path, "w");
    const json = Buffer.from(JSON.stringify(metadata), "utf8");
    const head = Buffer.alloc(MAGIC.length + 6);
    MAGIC.copy(head, 0);
    head.writeUInt16BE(FORMAT_VERSION, MAGIC.length);
    head.writeUInt32BE(json.length, MAGIC.length + 2);
    this.write(head);
    this.write(json);
  }

  get size(): number {
    return this.bytes;
  }

  private write(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.bytes += buf.length;
  }

  private record(kind: RecordKind, body: Uint8Array, prefix?: Buffer): void {
    const head = Buffer.alloc(5);
    head.writeUInt8(kind, 0);
    head.writeUInt32BE(body.length + (prefix?.length ?? 0), 1);
    // One write per record keeps a record whole or absent as far as the OS is concerned.
    this.write(prefix ? Buffer.concat([head, prefix, body]) : Buffer.concat([head, body]));
  }

  hello(frame: Uint8Array): void {
    this.record(RecordKind.Hello, frame);
  }

  events(firstSeq: bigint, frame: Uint8Array): void {
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(firstSeq, 0);
    this.record(RecordKind.Events, frame, seq);
  }

  note(note: Record<string, unknown>): void {
    this.record(RecordKind.Note, Buffer.from(JSON.stringify(note), "utf8"));
  }

  end(summary: Record<string, unknown>): void {
    this.record(RecordKind.End, Buffer.from(JSON.stringify(summary), "utf8"));
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export type RecordingEntry =
  | { kind: RecordKind.Hello; frame: Buffer }
  | { kind: RecordKind.Events; firstSeq: bigint; frame: Buffer }
  | { kind: RecordKind.Note; note: Record<string, unknown> }
  | { kind: RecordKind.End; summary: Record<string, unknown> };

export interface OpenedRecording {
  metadata: Record<string, unknown>;
  entries: RecordingEntry[];
  /** True when the file ends inside a record: it was cut off while being written. */
  truncated: boolean;
}

/** Reads a whole version-0 recording (they are small; the indexed format streams). */
export function readRecording(path: string): OpenedRecording {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new RecordingError(
      `cannot open recording ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) off += readSync(fd, buf, off, size - off, off);
    if (size < MAGIC.length + 6 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new RecordingError(
        `${path} is not an ElixirScope recording (it does not start with the ESREC header)`,
      );
    }
    const version = buf.readUInt16BE(MAGIC.length);
    if (version !== FORMAT_VERSION) {
      throw new RecordingError(
        `${path} is a recording of format version ${version}; this ElixirScope reads version ${FORMAT_VERSION}`,
      );
    }
    const metaLen = buf.readUInt32BE(MAGIC.length + 2);
    let pos = MAGIC.length + 6;
    if (pos + metaLen > size) throw new RecordingError(`${path} is corrupt: its metadata is cut off`);
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(buf.toString("utf8", pos, pos + metaLen)) as Record<string, unknown>;
    } catch {
      throw new RecordingError(`${path} is corrupt: its metadata is not valid JSON`);
    }
    pos += metaLen;
    const entries: RecordingEntry[] = [];
    let truncated = false;
    while (pos < size) {
      if (pos + 5 > size) {
        truncated = true;
        break;
      }
      const kind = buf[pos]!;
      const len = buf.readUInt32BE(pos + 1);
      if (pos + 5 + len > size) {
        truncated = true;
        break;
      }
      const body = buf.subarray(pos + 5, pos + 5 + len);
      pos += 5 + len;
      switch (kind) {
        case RecordKind.Hello:
          entries.push({ kind, frame: body });
          break;
        case RecordKind.Events:
          entries.push({ kind, firstSeq: body.readBigUInt64BE(0), frame: body.subarray(8) });
          break;
        case RecordKind.Note:
        case RecordKind.End: {
          let json: Record<string, unknown>;
          try {
            json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
          } catch {
            throw new RecordingError(`${path} is corrupt: record at byte ${pos - 5 - len} is not valid JSON`);
          }
          entries.push(kind === RecordKind.Note ? { kind, note: json } : { kind, summary: json });
          break;
        }
        default:
          throw new RecordingError(
            `${path} is corrupt: unknown record kind ${kind} at byte ${pos - 5 - len}`,
          );
      }
    }
    return { metadata, entries, truncated };
  } finally {
    closeSync(fd);
  }
}
