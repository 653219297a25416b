/**
 * Reads length-prefixed packets and exact byte counts from a TCP socket with promises, for the request and
 * reply exchanges of EPMD and the distribution handshake. (The connected-node phase uses its own streaming
 * frame parser, which never awaits per frame.)
 */
import type { Socket } from "node:net";
import { DistError } from "./errors.js";

export class StreamReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: (() => void) | undefined;
  private ended: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly describe: string,
  ) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  private onData = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.wake();
  };
  private onEnd = (): void => {
    this.ended ??= new DistError("CONNECTION_CLOSED", `${this.describe} closed the connection`);
    this.wake();
  };
  private onError = (err: Error): void => {
    this.ended ??= err;
    this.wake();
  };
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Reads exactly `n` bytes, or rejects when the peer closes first. */
  async readExact(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  /** Reads a packet prefixed with a big-endian length of `lengthBytes` bytes. */
  async readPacket(lengthBytes: 2 | 4): Promise<Buffer> {
    const head = await this.readExact(lengthBytes);
    const len = lengthBytes === 2 ? head.readUInt16BE(0) : head.readUInt32BE(0);
    return this.readExact(len);
  }

  /** Reads everything until the peer closes. */
  async readToEnd(): Promise<Buffer> {
    while (!this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    return Buffer.concat(this.chunks);
  }

  /** Stops reading and hands back whatever arrived beyond what was read, for the next layer to consume. */
  detach(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
    const rest = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return rest;
  }
}

/** A 2-byte big-endian length followed by the body. */
export function packet2(body: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length, 0);
  return Buffer.concat([head, body]);
}
