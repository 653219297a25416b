/**
 * The sends ingest is waiting on, each from its `send` event until its receive comes or it is settled as
 * never received. A send is a slot of typed arrays (no object per message): its fields, and where it waits.
 *
 * - To a known process: in the queue of its receiver and message (the message's `MessageKeys` number),
 *   oldest first; a receive takes the oldest there (`takeFor`).
 * - To a name not known when sent: in the queue of its message alone (`named`), for ingest to choose from.
 * - Neither (a destination with no name): it waits nowhere, and is only settled.
 *
 * Every send waiting is also in seq order, for settling the oldest (`oldest`).
 *
 *     const s = sends.add(seq, sender, receiver, toName, term, ns, key, undefined);
 *     sends.takeFor(receiver, key) === s;   // its receive, taken out of its queue
 *     sends.free(s);                        // done with it
 */
import { PairTable } from "./pair-table.js";

const NONE = -1;

export class PendingSends {
  /** Per slot: the send's event seq (NONE when the slot is free), and its fields. */
  seq = new Int32Array(1024).fill(NONE);
  sender = new Int32Array(1024);
  /** The process it went to, or -1 (to a name not known, until taken). */
  receiver = new Int32Array(1024);
  toName = new Int32Array(1024);
  term = new Int32Array(1024);
  ns = new Float64Array(1024);
  /** Its message's number in `MessageKeys` (held while it waits), or -1 when it waits nowhere. */
  key = new Int32Array(1024);
  /** The name it was sent to, for sends waiting by name. */
  readonly name: (string | undefined)[] = [];
  /** The next slot in its queue, oldest first (-1: last). */
  private next = new Int32Array(1024);
  /** For the first slot of a queue: its last slot. */
  private last = new Int32Array(1024);
  private readonly freeSlots: number[] = [];
  private slotsUsed = 0;
  /** Sends waiting. */
  size = 0;

  /** The first slot of each (receiver, message) queue. */
  private readonly queues = new PairTable();
  /** Sends waiting by name: slots by message number, oldest first. */
  private readonly byName = new Map<number, number[]>();

  /** A ring of the slots in seq order, with their seqs: an entry whose slot's seq differs is stale. */
  private order = new Int32Array(1024);
  private orderSeq = new Int32Array(1024);
  private orderHead = 0;
  private orderLength = 0;

  /** A new send waiting (by `receiver` when >= 0, else by `name` when given, else nowhere); its slot. */
  add(
    seq: number,
    sender: number,
    receiver: number,
    toName: number,
    term: number,
    ns: number,
    key: number,
    name: string | undefined,
  ): number {
    const s = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.newSlot();
    this.seq[s] = seq;
    this.sender[s] = sender;
    this.receiver[s] = receiver;
    this.toName[s] = toName;
    this.term[s] = term;
    this.ns[s] = ns;
    this.key[s] = key;
    this.name[s] = name;
    this.next[s] = NONE;
    this.size++;
    this.pushOrder(s, seq);
    if (key < 0) return s;
    if (receiver >= 0) {
      const first = this.queues.get(receiver, key);
      if (first < 0) {
        this.queues.set(receiver, key, s);
        this.last[s] = s;
      } else {
        this.next[this.last[first]!] = s;
        this.last[first] = s;
      }
    } else if (name !== undefined) {
      const q = this.byName.get(key);
      if (q) q.push(s);
      else this.byName.set(key, [s]);
    }
    return s;
  }

  /** The oldest send of message `key` to `receiver`, taken out of its queue (still to be freed), or -1. */
  takeFor(receiver: number, key: number): number {
    const first = this.queues.get(receiver, key);
    if (first < 0) return NONE;
    const rest = this.next[first]!;
    if (rest < 0) this.queues.delete(receiver, key);
    else {
      this.queues.set(receiver, key, rest);
      this.last[rest] = this.last[first]!;
    }
    return first;
  }

  /** The sends of message `key` waiting by name, oldest first (for `takeNamed`). */
  named(key: number): readonly number[] | undefined {
    return this.byName.get(key);
  }

  /** Takes the `i`-th send of `named(key)` out of its queue (still to be freed). */
  takeNamed(key: number, i: number): number {
    const q = this.byName.get(key)!;
    const s = q[i]!;
    q.splice(i, 1);
    if (q.length === 0) this.byName.delete(key);
    return s;
  }

  /** The oldest send waiting, or -1. */
  oldest(): number {
    const mask = this.order.length - 1;
    while (this.orderLength > 0) {
      const s = this.order[this.orderHead]!;
      if (this.seq[s] === this.orderSeq[this.orderHead]) return s;
      this.orderHead = (this.orderHead + 1) & mask;
      this.orderLength--;
    }
    return NONE;
  }

  /** Takes slot `s` out of whatever queue it waits in (when it is settled without a receive). */
  unqueue(s: number): void {
    const key = this.key[s]!;
    if (key < 0) return;
    const receiver = this.receiver[s]!;
    if (receiver >= 0) {
      let first = this.queues.get(receiver, key);
      if (first === s) {
        this.takeFor(receiver, key);
        return;
      }
      for (; first >= 0; first = this.next[first]!) {
        const n = this.next[first]!;
        if (n !== s) continue;
        this.next[first] = this.next[s]!;
        const head = this.queues.get(receiver, key);
        if (this.last[head] === s) this.last[head] = first;
        return;
      }
    } else {
      const q = this.byName.get(key);
      const i = q ? q.indexOf(s) : -1;
      if (i >= 0) this.takeNamed(key, i);
    }
  }

  /** Slot `s` is done with: its send no longer waits. */
  free(s: number): void {
    this.seq[s] = NONE;
    this.name[s] = undefined;
    this.freeSlots.push(s);
    this.size--;
  }

  private newSlot(): number {
    if (this.slotsUsed === this.seq.length) this.growSlots();
    return this.slotsUsed++;
  }

  private growSlots(): void {
    const grow = <A extends Int32Array | Float64Array>(a: A, fill?: number): A => {
      const b = new (a.constructor as new (n: number) => A)(a.length * 2);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.seq = grow(this.seq, NONE);
    this.sender = grow(this.sender);
    this.receiver = grow(this.receiver);
    this.toName = grow(this.toName);
    this.term = grow(this.term);
    this.ns = grow(this.ns);
    this.key = grow(this.key);
    this.next = grow(this.next);
    this.last = grow(this.last);
  }

  private pushOrder(s: number, seq: number): void {
    if (this.orderLength === this.order.length) this.rebuildOrder();
    const at = (this.orderHead + this.orderLength++) & (this.order.length - 1);
    this.order[at] = s;
    this.orderSeq[at] = seq;
  }

  /** The ring without its stale entries, twice as large when live ones fill half of it. */
  private rebuildOrder(): void {
    const { order, orderSeq } = this;
    const mask = order.length - 1;
    const n = 2 * this.size > order.length ? order.length * 2 : order.length;
    const newOrder = new Int32Array(n);
    const newSeq = new Int32Array(n);
    let kept = 0;
    for (let i = 0; i < this.orderLength; i++) {
      const at = (this.orderHead + i) & mask;
      const s = order[at]!;
      if (this.seq[s] !== orderSeq[at]) continue;
      newOrder[kept] = s;
      newSeq[kept++] = orderSeq[at]!;
    }
    this.order = newOrder;
    this.orderSeq = newSeq;
    this.orderHead = 0;
    this.orderLength = kept;
  }
}
