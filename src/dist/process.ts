/**
 * A process of our own node: a pid other nodes can send to, a mailbox with selective receive and timeouts,
 * links and monitors. Our processes always trap exits: a link's exit signal arrives as the message
 * `{:EXIT, from, reason}` and a monitor's as `{:DOWN, ref, :process, who, reason}`. Only `exit(pid, :kill)`
 * terminates one.
 */
import { type Atom, type Pid, type Reference, type Term } from "../etf/terms.js";
import { DistError } from "./errors.js";

/** Where a message can go: a pid, a name registered on our node, or a name registered on another node. */
export type Destination = Pid | Atom | { name: string | Atom; node: string | Atom };

/** What a process needs from its node; implemented by `LocalNode`. */
export interface ProcessHost {
  route(from: Pid, to: Destination, message: Term): void;
  link(from: LocalProcess, to: Pid): void;
  unlink(from: LocalProcess, to: Pid): void;
  monitor(from: LocalProcess, target: Pid | { name: string | Atom; node: string | Atom }): Reference;
  demonitor(from: LocalProcess, ref: Reference): void;
  register(process: LocalProcess, name: string): void;
  terminate(process: LocalProcess, reason: Term): void;
}

interface Waiter {
  match: (message: Term) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export type Matcher<T> = (message: Term) => T | undefined;

export class LocalProcess {
  private readonly mailbox: Term[] = [];
  private waiter: Waiter | undefined;
  private alive = true;
  registeredName: string | undefined;

  constructor(
    readonly pid: Pid,
    private readonly host: ProcessHost,
    /** A system process handles each message at once instead of queueing it. */
    private readonly handler?: (message: Term) => void,
  ) {}

  get isAlive(): boolean {
    return this.alive;
  }

  /** Messages waiting, oldest first. */
  get queued(): readonly Term[] {
    return this.mailbox;
  }

  send(to: Destination, message: Term): void {
    this.host.route(this.pid, to, message);
  }

  /**
   * Waits for the first message, oldest first, for which `match` returns something other than undefined,
   * removes it from the mailbox and returns what `match` returned. Messages that do not match stay queued.
   * Rejects with a TIMEOUT DistError after `timeoutMs` (default: wait forever).
   */
  receive<T>(match: Matcher<T>, timeoutMs?: number): Promise<T> {
    if (!this.alive) return Promise.reject(new DistError("NODE_DOWN", `process ${this.pid} has exited`));
    if (this.waiter) throw new Error(`process ${this.pid} is already in a receive`);
    for (let i = 0; i < this.mailbox.length; i++) {
      const result = match(this.mailbox[i]!);
      if (result !== undefined) {
        this.mailbox.splice(i, 1);
        return Promise.resolve(result);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { match, resolve: resolve as (v: unknown) => void, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new DistError("TIMEOUT", `no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiter = waiter;
    });
  }

  link(pid: Pid): void {
    this.host.link(this, pid);
  }
  unlink(pid: Pid): void {
    this.host.unlink(this, pid);
  }
  monitor(target: Pid | { name: string | Atom; node: string | Atom }): Reference {
    return this.host.monitor(this, target);
  }
  demonitor(ref: Reference): void {
    this.host.demonitor(this, ref);
  }
  register(name: string): void {
    this.host.register(this, name);
  }
  exit(reason: Term): void {
    this.host.terminate(this, reason);
  }

  /** Called by the node: puts a message in the mailbox or hands it to a waiting receive. */
  deliver(message: Term): void {
    if (!this.alive) return;
    if (this.handler) {
      this.handler(message);
      return;
    }
    const w = this.waiter;
    if (w) {
      const result = w.match(message);
      if (result !== undefined) {
        this.waiter = undefined;
        if (w.timer) clearTimeout(w.timer);
        w.resolve(result);
        return;
      }
    }
    this.mailbox.push(message);
  }

  /** Called by the node when the process ends. */
  markDead(reason: string): void {
    this.alive = false;
    this.mailbox.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(new DistError("NODE_DOWN", `process ${this.pid} exited (${reason}) while waiting in receive`));
    }
  }
}
