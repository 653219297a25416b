/**
 * Splits a TCP byte stream into `{packet, 4}` frames: each frame is a 4-byte big-endian length, then that many
 * bytes.
 *
 * Socket chunks are kept in a list, never concatenated as they arrive, so each byte is copied at most once
 * (only a frame that spans chunks is copied, into a buffer of exactly its size). A frame that lies inside one
 * chunk is returned as a view of that chunk, without copying.
 */
export class PacketReader {
  private chunks: Buffer[] = [];
  /** Where the unread bytes of `chunks[0]` start. */
  private offset = 0;
  private buffered = 0;

  constructor(
    /** Frames announcing more than this many bytes are refused (the stream is not ours, or is corrupt). */
    readonly maxFrameBytes = 512 * 1024 * 1024,
  ) {}

  /** Bytes received but not yet returned as frames. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk and returns the frames it completed, oldest first. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const size = this.peekLength();
      if (size > this.maxFrameBytes) {
        throw new RangeError(`a frame announces ${size} bytes, over the ${this.maxFrameBytes}-byte limit`);
      }
      if (this.buffered < 4 + size) break;
      this.skip(4);
      frames.push(this.take(size));
    }
    return frames;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) return first.readUInt32BE(this.offset);
    const head = Buffer.allocUnsafe(4);
    this.copyOut(head, 4, false);
    return head.readUInt32BE(0);
  }

  private skip(n: number): void {
    while (n > 0) {
      const first = this.chunks[0]!;
      const here = Math.min(n, first.length - this.offset);
      this.advance(here);
      n -= here;
    }
  }

  private take(size: number): Buffer {
    const first = this.chunks[0];
    if (size === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length - this.offset >= size) {
      const view = first.subarray(this.offset, this.offset + size);
      this.advance(size);
      return view;
    }
    const out = Buffer.allocUnsafe(size);
    this.copyOut(out, size, true);
    return out;
  }

  /** Copies the next `size` bytes into `out`, consuming them when `consume`. */
  private copyOut(out: Buffer, size: number, consume: boolean): void {
    let written = 0;
    let index = 0;
    let offset = this.offset;
    while (written < size) {
      const chunk = this.chunks[index]!;
      const here = Math.min(size - written, chunk.length - offset);
      chunk.copy(out, written, offset, offset + here);
      written += here;
      if (consume) {
        this.advance(here);
        offset = this.offset;
      } else {
        index++;
        offset = 0;
      }
    }
  }

  private advance(n: number): void {
    this.offset += n;
    this.buffered -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

/** A frame ready to write: the 4-byte length, then the payload. */
export function packet(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}
