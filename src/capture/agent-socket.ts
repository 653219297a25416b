/**
 * The collector's end of the agent socket: a TCP listener that waits for ONE in-VM agent, checks the token of
 * its hello, then hands out its frames.
 *
 *     const listener = await listenForAgent({ token });
 *     // ... elixirscope_agent:start(#{collector => {"127.0.0.1", listener.port}, token => Token, plan => Plan})
 *     const session = await listener.session;
 *     for await (const frame of session.frames()) {
 *       if (frame.type === "events") store(frame.events, frame.raw);
 *     }
 *     const end = await session.closed; // { reason: "stopped", ... }
 *
 * The accepted agent is sent `accepted` (its `start/1` returns only then). A connection whose first frame is
 * not a hello with the right token (or that sends nothing for `helloTimeoutMs`) is sent `{refused, Why}`,
 * closed and reported through `onRejected` and `listener.rejected`; the listener goes on waiting. Once an
 * agent is accepted the listener stops accepting.
 *
 * Backpressure: frames wait in a queue until the consumer takes them. When more than `maxQueuedFrames` wait,
 * the socket is paused, TCP fills up, and the agent, which never blocks, drops batches and reports them
 * (`collector_busy`). Node's memory stays bounded whatever the consumer does.
 */
import { createServer, type Server, type Socket } from "node:net";
import { timingSafeEqual } from "node:crypto";
import { encode } from "../etf/encode.js";
import { decode } from "../etf/decode.js";
import { atom, binary, type Term, tuple } from "../etf/terms.js";
import {
  type AgentFrame,
  type AgentHello,
  AgentProtocolError,
  decodeFrame,
  readHello,
} from "./agent-frames.js";
import { PacketReader, packet } from "./packet-reader.js";
import { type AgentPlan, planToTerm } from "./plan-term.js";

export interface ListenOptions {
  /** The secret the agent's hello must carry. */
  token: string | Uint8Array;
  /** Interface to listen on (default 127.0.0.1: the agent runs on this machine). */
  host?: string;
  /** Port (default: any free one). */
  port?: number;
  /** How long a connection may take to send its hello (default 10 s). */
  helloTimeoutMs?: number;
  /** Called for each connection refused, with the reason. */
  onRejected?: (reason: string) => void;
  /** Frames kept waiting for the consumer before the socket is paused (default 64). */
  maxQueuedFrames?: number;
}

export interface AgentListener {
  port: number;
  host: string;
  /** The accepted agent. Rejects if the listener is closed first. */
  session: Promise<AgentSession>;
  /** Reasons for refused connections, oldest first. */
  readonly rejected: string[];
  /** Stops listening; a session not yet accepted is rejected. */
  close(): void;
}

/** How a session's connection ended. */
export type SessionEnd =
  /** The agent sent its `stopped` frame (`reason`: stop, collector_stop, killed, max_events, ...). */
  | { reason: "stopped"; agentReason: Term; stats: Term }
  /** The connection closed without a `stopped` frame: the node went down or the agent was killed. */
  | { reason: "agent_gone" }
  | { reason: "socket_error"; error: Error }
  /** We closed it (`close()`). */
  | { reason: "closed" };

export interface AgentSession {
  readonly info: AgentHello;
  /** The hello frame as received (ETF), which a spool keeps so that a recording can be rebuilt from it. */
  readonly helloFrame: Buffer;
  /** The frames after the hello, in order. One consumer at a time. */
  frames(): AsyncIterableIterator<AgentFrame>;
  /** Sends `{plan, Plan}`: the agent replaces its tracing and answers `plan_applied` or `plan_rejected`. */
  sendPlan(plan: AgentPlan | Term): void;
  /** Asks the agent to stop; resolves when the connection has ended. Keep reading frames meanwhile. */
  stop(): Promise<SessionEnd>;
  /** Sends `kill`: the agent stops and also sweeps the node for any tracing marked as ElixirScope's. */
  kill(): Promise<SessionEnd>;
  /** Closes the socket at once, without asking: the agent sees the collector gone and cleans up. */
  close(): void;
  readonly closed: Promise<SessionEnd>;
}

function tokenBytes(token: string | Uint8Array): Buffer {
  return Buffer.from(typeof token === "string" ? binary(token) : token);
}

function sameToken(a: Uint8Array, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Listens for one agent connection. */
export async function listenForAgent(options: ListenOptions): Promise<AgentListener> {
  const host = options.host ?? "127.0.0.1";
  const expected = tokenBytes(options.token);
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
  const rejected: string[] = [];
  const server: Server = createServer();
  let settle: { resolve(s: AgentSession): void; reject(e: Error): void } | undefined;
  const session = new Promise<AgentSession>((resolve, reject) => (settle = { resolve, reject }));
  session.catch(() => {});
  let accepted = false;

  const refuse = (socket: Socket, reason: string) => {
    rejected.push(reason);
    options.onRejected?.(reason);
    // The agent's start/1 says why; the socket is gone within a second whatever the peer does.
    socket.end(packet(encode(tuple(atom("refused"), binary(reason)))));
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  server.on("connection", (socket) => {
    if (accepted) return void socket.destroy();
    socket.setNoDelay(true);
    const reader = new PacketReader();
    const timer = setTimeout(() => refuse(socket, `no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);
    const onData = (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        clearTimeout(timer);
        return refuse(socket, (err as Error).message);
      }
      if (frames.length === 0) return;
      clearTimeout(timer);
      socket.off("data", onData);
      let hello: ReturnType<typeof readHello>;
      try {
        hello = readHello(decode(frames[0]!), (token) => sameToken(token, expected));
      } catch (err) {
        return refuse(socket, `the first frame is not a term: ${(err as Error).message}`);
      }
      if (typeof hello === "string") return refuse(socket, hello);
      if (accepted) return void socket.destroy();
      accepted = true;
      server.close();
      socket.write(packet(encode(atom("accepted"))));
      settle!.resolve(
        new Session(socket, reader, hello, frames[0]!, frames.slice(1), options.maxQueuedFrames ?? 64),
      );
    };
    socket.on("data", onData);
    socket.on("error", () => clearTimeout(timer));
    socket.on("close", () => clearTimeout(timer));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    host,
    session,
    rejected,
    close() {
      server.close();
      if (!accepted) settle!.reject(new Error("the listener was closed before an agent connected"));
    },
  };
}

class Session implements AgentSession {
  private readonly queue: AgentFrame[] = [];
  private waiter: (() => void) | undefined;
  private ended: SessionEnd | undefined;
  private stoppedFrame: { reason: Term; stats: Term } | undefined;
  private failure: Error | undefined;
  private paused = false;
  private iterating = false;
  private closedByUs = false;
  readonly closed: Promise<SessionEnd>;
  private resolveClosed!: (end: SessionEnd) => void;

  constructor(
    private readonly socket: Socket,
    private readonly reader: PacketReader,
    readonly info: AgentHello,
    readonly helloFrame: Buffer,
    first: Buffer[],
    private readonly maxQueued: number,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    for (const f of first) this.accept(f);
    socket.on("data", (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const f of frames) this.accept(f);
    });
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.end());
  }

  private accept(bytes: Buffer): void {
    let frame: AgentFrame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      this.fail(err as AgentProtocolError);
      return;
    }
    if (frame.type === "stopped") this.stoppedFrame = { reason: frame.reason, stats: frame.stats };
    this.queue.push(frame);
    if (this.queue.length > this.maxQueued && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.wake();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.socket.destroy();
  }

  private end(): void {
    if (this.ended) return;
    if (this.stoppedFrame) {
      this.ended = {
        reason: "stopped",
        agentReason: this.stoppedFrame.reason,
        stats: this.stoppedFrame.stats,
      };
    } else if (this.failure) {
      this.ended = { reason: "socket_error", error: this.failure };
    } else if (this.closedByUs) {
      this.ended = { reason: "closed" };
    } else {
      this.ended = { reason: "agent_gone" };
    }
    this.resolveClosed(this.ended);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *frames(): AsyncIterableIterator<AgentFrame> {
    if (this.iterating) throw new Error("the session's frames already have a consumer");
    this.iterating = true;
    try {
      for (;;) {
        const frame = this.queue.shift();
        if (frame !== undefined) {
          if (this.paused && this.queue.length <= this.maxQueued / 2) {
            this.paused = false;
            this.socket.resume();
          }
          yield frame;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.iterating = false;
    }
  }

  private send(term: Term): void {
    if (this.ended || this.socket.destroyed) throw new Error("the agent session has ended");
    this.socket.write(packet(encode(term)));
  }

  sendPlan(plan: AgentPlan | Term): void {
    const term = isAgentPlan(plan) ? planToTerm(plan) : plan;
    this.send(tuple(atom("plan"), term));
  }

  stop(): Promise<SessionEnd> {
    if (this.writable()) this.send(atom("stop"));
    return this.closed;
  }

  kill(): Promise<SessionEnd> {
    if (this.writable()) this.send(atom("kill"));
    return this.closed;
  }

  private writable(): boolean {
    return !this.ended && !this.socket.destroyed && this.socket.writable;
  }

  close(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }
}

function isAgentPlan(plan: AgentPlan | Term): plan is AgentPlan {
  return typeof plan === "object" && plan !== null && Object.getPrototypeOf(plan) === Object.prototype;
}
