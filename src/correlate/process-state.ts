/**
 * What ingest remembers about one process while a recording streams past: its open calls, the messages it
 * has received and not yet handled, its links, its name, and its current state. This is the working memory
 * of correlation; everything here is written out as rows the moment it is settled.
 */
import type { MessageKeys } from "./message-keys.js";
import { StateBuilder } from "./state-builder.js";

export interface OpenCall {
  seq: number;
  mfa: number;
  startNs: number;
  /** Time spent in traced calls made from this one, for self time. */
  childNs: number;
}

export interface Received {
  seq: number;
  /** The message's number in ingest's `MessageKeys`, held while it is here. */
  key: number;
}

/** At most this many received-but-unhandled messages are remembered per process. */
export const MAX_UNHANDLED = 1000;

export class ProcState {
  readonly stack: OpenCall[] = [];
  /** The last message it received (`receive` event seq), or -1. */
  lastReceive = -1;
  /** For GenServer-like processes, which handle messages in order: received and not yet handled, oldest first. */
  unhandled: Received[] = [];
  /** True once it is known to handle messages in order (it had a state event or an OTP callback). */
  inOrder = false;
  /** True once the agent's `sys` capture sends its states: callback returns are then not states. */
  sysStates = false;
  readonly links = new Set<number>();
  exitSeq = -1;
  exitReasonKey = "";
  spawnSeen = false;
  /** What kind of process it is and its callback module, when its spawn was recorded (see spawn-info.ts). */
  behaviour = "process";
  module: string | null = null;
  /** The application it belongs to, when known. */
  application: string | undefined;
  /** A gen_statem's current state name, encoded, once known from its callbacks' returns. */
  stateName: Buffer | undefined;
  /** The parent's `spawn` event, once seen. */
  spawnSeq = -1;
  readonly state = new StateBuilder();
  /** State events since its last checkpoint, and that checkpoint's seq. */
  sinceCheckpoint = 0;
  baseSeq = -1;

  constructor(private readonly keys: MessageKeys) {}

  /**
   * Marks the newest unhandled message handled and returns its `receive` seq (-1 if none): a gen_statem
   * handles the event that just came unless it postpones it, and retries postponed ones later.
   */
  handledLatest(): number {
    const r = this.unhandled.pop();
    if (r === undefined) return -1;
    this.keys.release(r.key);
    return r.seq;
  }

  /** The message this process is handling now: the cause of what it does. -1 when unknown. */
  handling(): number {
    if (this.inOrder && this.unhandled.length > 0) return this.unhandled[0]!.seq;
    return this.lastReceive;
  }

  /**
   * A message received, its `key` held for this process (released here when it is dropped).
   * `notForCallbacks`: a system message or a reply (see ingest's `takenByTheBehaviour`), never handled by a
   * callback, not kept (and no key held).
   */
  received(seq: number, key: number, notForCallbacks = false): void {
    this.lastReceive = seq;
    if (notForCallbacks) return;
    this.unhandled.push({ seq, key });
    if (this.unhandled.length > MAX_UNHANDLED) this.keys.release(this.unhandled.shift()!.key);
  }

  /**
   * Marks the message numbered `key` handled, and the ones before it too: a process that handles messages
   * in order took those out of its mailbox with a selective receive (a call's reply, a monitor's `:DOWN`).
   * Returns its `receive` seq, or -1 when it was not seen (`key` undefined: the oldest one).
   */
  handled(key?: number): number {
    const q = this.unhandled;
    let i = -1;
    if (key === undefined) i = q.length > 0 ? 0 : -1;
    else if (key >= 0) for (i = 0; i < q.length && q[i]!.key !== key; i++);
    if (i < 0 || i >= q.length) return -1;
    const seq = q[i]!.seq;
    for (let j = 0; j <= i; j++) this.keys.release(q[j]!.key);
    this.unhandled = q.slice(i + 1);
    return seq;
  }
}
