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

/** At most this many received-but-unhandled messages are remembered per process. */
export const MAX_UNHANDLED = 1000;

const NONE = new Int32Array(0);

export class ProcState {
  readonly stack: OpenCall[] = [];
  /** Whether it did anything recorded: a message to a process that never did went unobserved, not unreceived. */
  acted = false;
  /** The last message it received (`receive` event seq) or receive timeout (`timeout` event seq), or -1. */
  lastReceive = -1;
  /** Its last receive timeout not yet taken as a state's trigger (`timeout` event seq), or -1. */
  timeoutSeq = -1;
  /**
   * For GenServer-like processes, which handle messages in order: received and not yet handled, oldest first,
   * as a ring of their `receive` seqs and message keys (in ingest's `MessageKeys`, held while here).
   */
  private useq = NONE;
  private ukey = NONE;
  private uhead = 0;
  private ulen = 0;
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
  /** A gen_statem's whole state `{name, data}`, encoded, as last known: what `:keep_state_and_data` keeps. */
  statemWhole: Buffer | undefined;
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
    if (this.ulen === 0) return -1;
    const at = (this.uhead + --this.ulen) & (this.useq.length - 1);
    this.keys.release(this.ukey[at]!);
    return this.useq[at]!;
  }

  /** The message this process is handling now: the cause of what it does. -1 when unknown. */
  handling(): number {
    if (this.inOrder && this.ulen > 0) return this.useq[this.uhead]!;
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
    if (this.ulen === MAX_UNHANDLED) {
      this.keys.release(this.ukey[this.uhead]!);
      this.uhead = (this.uhead + 1) & (this.useq.length - 1);
      this.ulen--;
    }
    if (this.ulen === this.useq.length) this.grow();
    const at = (this.uhead + this.ulen++) & (this.useq.length - 1);
    this.useq[at] = seq;
    this.ukey[at] = key;
  }

  /**
   * Marks the message numbered `key` handled, and the ones before it too: a process that handles messages
   * in order took those out of its mailbox with a selective receive (a call's reply, a monitor's `:DOWN`).
   * Returns its `receive` seq, or -1 when it was not seen (`key` undefined: the oldest one).
   */
  handled(key?: number): number {
    if (this.ulen === 0 || (key !== undefined && key < 0)) return -1;
    const mask = this.useq.length - 1;
    let i = 0;
    if (key !== undefined) {
      while (i < this.ulen && this.ukey[(this.uhead + i) & mask] !== key) i++;
      if (i === this.ulen) return -1;
    }
    const seq = this.useq[(this.uhead + i) & mask]!;
    for (let j = 0; j <= i; j++) this.keys.release(this.ukey[(this.uhead + j) & mask]!);
    this.uhead = (this.uhead + i + 1) & mask;
    this.ulen -= i + 1;
    return seq;
  }

  /** Twice the room (a power of two), oldest first from 0. */
  private grow(): void {
    const n = Math.max(4, 2 * this.useq.length);
    const useq = new Int32Array(n);
    const ukey = new Int32Array(n);
    const mask = this.useq.length - 1;
    for (let i = 0; i < this.ulen; i++) {
      useq[i] = this.useq[(this.uhead + i) & mask]!;
      ukey[i] = this.ukey[(this.uhead + i) & mask]!;
    }
    this.useq = useq;
    this.ukey = ukey;
    this.uhead = 0;
  }
}
