/**
 * A first-in first-out file of frames, beside the recording: the collector puts every frame from the agent
 * here as it arrives, so that reading the agent's socket never waits for ingest, and ingest takes them out
 * as fast as it can. A burst faster than ingest waits on disk (in the page cache, usually) instead of filling
 * the agent's socket and being dropped; the file is removed once everything is ingested.
 *
 *     u8 kind | u32 length | body        kind: SpoolKind
 *
 * It starts with the session's hello and how the recording was started, and keeps every frame from the
 * first (taking a frame out does not shorten the file), so that when the collector is killed before it
 * could finish, the whole recording can be rebuilt from the spool (`recover.ts`); up to SPOOL_KEEP_BYTES,
 * past which it is emptied whenever everything in it is stored.
 */
import { closeSync, ftruncateSync, openSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import { spoolPath } from "../store/schema.js";

export enum SpoolKind {
  /** The agent's `{events, Seq, [...]}` frame, as received. */
  Events = 1,
  /** A note for the recording (JSON). */
  Note = 2,
  /** The plan the agent now records with (ETF), from a `plan_applied` frame. */
  Plan = 3,
  /** The session's hello frame, as received (ETF): the first item. */
  Hello = 4,
  /** How the recording was started (JSON): the second item. */
  About = 5,
  /**
   * The first item of a spool that was emptied once everything in it was stored, because it had grown past
   * its limit (JSON: the bytes dropped): what follows cannot rebuild a recording by itself.
   */
  Emptied = 6,
}

/** A spool is kept whole up to this size, so that a recording can be rebuilt from it; past it, it is emptied whenever ingest has caught up. */
export const SPOOL_KEEP_BYTES = 1 << 30;

/** Bytes in the spool beside `recording` when it can rebuild the recording (it starts with the hello), else 0. */
export function recoverableBytes(recording: string): number {
  const path = spoolPath(recording);
  try {
    const fd = openSync(path, "r");
    try {
      const first = Buffer.alloc(1);
      return readSync(fd, first, 0, 1, 0) === 1 && first[0] === SpoolKind.Hello ? statSync(path).size : 0;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

export interface SpoolItem {
  kind: SpoolKind;
  body: Buffer;
}

export class FrameSpool {
  private readonly fd: number;
  private writePos = 0;
  private readPos = 0;
  private readonly head = Buffer.alloc(5);
  private closed = false;

  /** A new, empty spool at `path`; or, with `existing`, the one there, to be read from its start. */
  constructor(
    readonly path: string,
    existing = false,
  ) {
    this.fd = openSync(path, existing ? "r" : "w+");
    if (existing) this.writePos = statSync(path).size;
  }

  get pending(): boolean {
    return this.readPos < this.writePos;
  }

  /** Bytes waiting to be taken out. */
  get backlog(): number {
    return this.writePos - this.readPos;
  }

  push(kind: SpoolKind, body: Uint8Array): void {
    const head = Buffer.alloc(5);
    head.writeUInt8(kind, 0);
    head.writeUInt32BE(body.length, 1);
    this.write(head);
    this.write(body);
  }

  private write(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.writePos + off);
    this.writePos += buf.length;
  }

  private read(into: Buffer): void {
    let off = 0;
    while (off < into.length) {
      const n = readSync(this.fd, into, off, into.length - off, this.readPos + off);
      if (n === 0) throw new Error(`the spool ${this.path} ends early`);
      off += n;
    }
    this.readPos += into.length;
  }

  /** The oldest frame, or undefined when none waits. */
  next(): SpoolItem | undefined {
    if (!this.pending) return undefined;
    this.read(this.head);
    const kind = this.head.readUInt8(0) as SpoolKind;
    const body = Buffer.alloc(this.head.readUInt32BE(1));
    this.read(body);
    return { kind, body };
  }

  /**
   * The next whole item of a spool read after the fact, or undefined at its end, or "truncated" when the
   * file ends inside an item (the collector was killed while writing it).
   */
  nextWhole(): SpoolItem | "truncated" | undefined {
    if (!this.pending) return undefined;
    if (this.backlog < 5) return "truncated";
    const at = this.readPos;
    this.read(this.head);
    if (this.backlog < this.head.readUInt32BE(1)) {
      this.readPos = at;
      return "truncated";
    }
    this.readPos = at;
    return this.next();
  }

  /**
   * Empties the file when everything in it has been taken out and it holds more than `limit` bytes: a long
   * recording's spool does not grow without end, at the price of no longer being able to rebuild it.
   */
  emptyIfPast(limit: number): boolean {
    if (this.pending || this.writePos <= limit) return false;
    ftruncateSync(this.fd, 0);
    const dropped = this.writePos;
    this.writePos = this.readPos = 0;
    this.push(SpoolKind.Emptied, Buffer.from(JSON.stringify({ dropped }), "utf8"));
    this.readPos = this.writePos;
    return true;
  }

  /** Closes the file (again: nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** Closes and removes the file. */
  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}
