/**
 * One live distribution channel to a peer node, after the handshake: splits the byte stream into frames,
 * decodes them, sends frames and ticks, and notices a silent peer.
 *
 * Keep-alive follows net_ticktime: we send a tick when we have written nothing for a quarter of the tick
 * time, and give the peer up when we have heard nothing from it for the whole tick time.
 */
import type { Socket } from "node:net";
import type { Term, Tuple } from "../etf/terms.js";
import { DistError } from "./errors.js";
import { type DistMessage, encodeFrame, FrameDecoder, TICK } from "./frames.js";

export interface ConnectionHandlers {
  onMessage(message: DistMessage): void;
  onClose(reason: string): void;
}

export class DistConnection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private needed = 4;
  private readonly frames: FrameDecoder;
  private lastReceived = Date.now();
  private wroteSinceTick = false;
  private readonly ticker: NodeJS.Timeout;
  private closed = false;
  private corked = false;

  constructor(
    private readonly socket: Socket,
    readonly peerName: string,
    readonly peerFlags: bigint,
    readonly peerCreation: number,
    private readonly tickTimeMs: number,
    private readonly handlers: ConnectionHandlers,
    leftover: Buffer,
  ) {
    this.frames = new FrameDecoder(peerName);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.shutdown(`connection error: ${err.message}`));
    socket.on("close", () => this.shutdown("connection closed"));
    this.ticker = setInterval(() => this.tick(), Math.max(50, tickTimeMs / 4));
    this.ticker.unref();
    if (leftover.length > 0) this.onData(leftover);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(control: Tuple, payload?: Term): void {
    if (this.closed) throw new DistError("NODE_DOWN", `the connection to ${this.peerName} is closed`);
    // Frames sent in the same turn of the event loop leave in one write.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame(control, payload));
    this.wroteSinceTick = true;
  }

  close(reason = "closed by us"): void {
    this.socket.destroy();
    this.shutdown(reason);
  }

  private tick(): void {
    if (this.closed) return;
    if (Date.now() - this.lastReceived > this.tickTimeMs) {
      this.close(`no tick from ${this.peerName} for ${this.tickTimeMs} ms`);
      return;
    }
    if (!this.wroteSinceTick) this.socket.write(TICK);
    this.wroteSinceTick = false;
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A large frame arrives in many chunks: join them once, when the whole frame is there.
    if (this.pendingBytes < this.needed) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    let offset = 0;
    this.needed = 4;
    while (buf.length - offset >= 4) {
      const len = buf.readUInt32BE(offset);
      if (buf.length - offset - 4 < len) {
        this.needed = 4 + len;
        break;
      }
      const body = buf.subarray(offset + 4, offset + 4 + len);
      offset += 4 + len;
      if (len === 0) continue; // tick
      let message: DistMessage | undefined;
      try {
        message = this.frames.decodeFrame(body);
      } catch (err) {
        this.close(err instanceof DistError ? err.message : `undecodable frame: ${(err as Error).message}`);
        return;
      }
      if (message) this.handlers.onMessage(message);
      if (this.closed) return;
    }
    // Keep a copy of only the unfinished frame, so that a large chunk is not retained by its small tail.
    const rest = buf.subarray(offset);
    this.pending = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    this.socket.destroy();
    this.handlers.onClose(reason);
  }
}
