/**
 * Remote calls: run `Module.function(args)` on another node and get its result, through the node's `rex`
 * server (the one `rpc:call/5` uses), with our group leader collecting anything the call prints.
 *
 * Each node has one RPC client process. Per peer it monitors `rex` once; each call is a gen_server call
 * with a fresh reference as its tag, so a call costs one frame each way. A reply, `rex` or the peer going
 * down, and our timeout are the only three outcomes.
 */
import { formatTerm } from "../etf/index.js";
import { atom, isAtom, type Atom, type Term, Tuple, tuple, Reference } from "../etf/terms.js";
import { DistError } from "./errors.js";
import type { LocalNode } from "./node.js";
import type { LocalProcess } from "./process.js";

const GEN_CALL = atom("$gen_call");
const CALL = atom("call");
const DOWN = atom("DOWN");
const BADRPC = atom("badrpc");

export class RpcError extends DistError {
  constructor(
    message: string,
    /** The `{badrpc, Reason}` reason as the node gave it. */
    readonly reason: Term,
  ) {
    super("RPC_RAISED", message);
  }
}

function mfaText(module: Atom | string, fun: Atom | string, arity: number): string {
  const m = String(module);
  return `${m.startsWith("Elixir.") ? m.slice(7) : ":" + m}.${String(fun)}/${arity}`;
}

/** Explains a `{badrpc, Reason}` in one sentence. */
function describeBadRpc(what: string, peer: string, reason: Term): string {
  if (reason instanceof Tuple && reason.size === 2 && isAtom(reason.at(0), "EXIT")) {
    const exit = reason.at(1);
    if (exit instanceof Tuple && exit.size === 2 && Array.isArray(exit.at(1))) {
      const [cause, stack] = exit.elements;
      const top =
        Array.isArray(stack) && stack.length > 0 ? ` in ${formatTerm(stack[0]!, { limit: 200 })}` : "";
      return `${what} on ${peer} raised ${formatTerm(cause!, { limit: 400 })}${top}`;
    }
    return `${what} on ${peer} exited with ${formatTerm(exit!, { limit: 400 })}`;
  }
  if (isAtom(reason, "nodedown")) return `${what}: ${peer} went down during the call`;
  return `${what} on ${peer} failed: ${formatTerm(reason, { limit: 400 })}`;
}

function refKey(ref: Reference): string {
  return ref.ids.join(".");
}

interface PendingCall {
  peer: string;
  what: string;
  resolve(reply: Term): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** The per-node process that sends calls to `rex` servers and matches their replies. */
class RpcClient {
  private readonly process: LocalProcess;
  private readonly pending = new Map<string, PendingCall>();
  /** Our monitor on each peer's rex, by the monitor reference's key, and back. */
  private readonly monitors = new Map<string, string>();
  private readonly monitorOf = new Map<string, Reference>();

  constructor(private readonly node: LocalNode) {
    this.process = node.spawnHandler((m) => this.onMessage(m));
  }

  call(
    peer: string,
    module: Atom | string,
    fun: Atom | string,
    args: Term[],
    timeoutMs: number,
  ): Promise<Term> {
    if (!this.monitorOf.has(peer)) {
      const ref = this.process.monitor({ name: "rex", node: peer });
      this.monitorOf.set(peer, ref);
      this.monitors.set(refKey(ref), peer);
    }
    const tag = this.node.makeRef();
    const what = mfaText(module, fun, args.length);
    return new Promise<Term>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(refKey(tag));
        reject(new DistError("TIMEOUT", `${what} on ${peer} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(refKey(tag), { peer, what, resolve, reject, timer });
      const request = tuple(CALL, atom(String(module)), atom(String(fun)), args, this.node.groupLeader.pid);
      this.process.send({ name: "rex", node: peer }, tuple(GEN_CALL, tuple(this.process.pid, tag), request));
    });
  }

  private onMessage(m: Term): void {
    if (!(m instanceof Tuple)) return;
    if (m.size === 2 && m.at(0) instanceof Reference) {
      const key = refKey(m.at(0) as Reference);
      const call = this.pending.get(key);
      if (!call) return; // a late reply to a call that timed out
      this.pending.delete(key);
      clearTimeout(call.timer);
      const reply = m.at(1);
      if (reply instanceof Tuple && reply.size === 2 && reply.at(0) === BADRPC) {
        call.reject(new RpcError(describeBadRpc(call.what, call.peer, reply.at(1)), reply.at(1)));
      } else {
        call.resolve(reply);
      }
    } else if (m.size === 5 && m.at(0) === DOWN && m.at(1) instanceof Reference) {
      const peer = this.monitors.get(refKey(m.at(1) as Reference));
      if (peer === undefined) return;
      this.monitors.delete(refKey(m.at(1) as Reference));
      this.monitorOf.delete(peer);
      const reason = m.at(4);
      for (const [key, call] of this.pending) {
        if (call.peer !== peer) continue;
        this.pending.delete(key);
        clearTimeout(call.timer);
        call.reject(
          isAtom(reason, "noconnection")
            ? new DistError("NODE_DOWN", `${peer} went down during ${call.what}`)
            : new DistError("NODE_DOWN", `the rpc server on ${peer} is not running (${formatTerm(reason)})`),
        );
      }
    }
  }
}

const clients = new WeakMap<LocalNode, RpcClient>();

/**
 * Calls `module:fun(...args)` on `peer` and returns its result. Raises RpcError when the call raised or
 * exited on the node, DistError TIMEOUT after `timeoutMs`, and NODE_DOWN when the node went away.
 */
export async function rpc(
  node: LocalNode,
  peer: string,
  module: Atom | string,
  fun: Atom | string,
  args: Term[],
  timeoutMs = 15_000,
): Promise<Term> {
  const conn = await node.connect(peer);
  let client = clients.get(node);
  if (!client) {
    client = new RpcClient(node);
    clients.set(node, client);
  }
  return client.call(conn.peerName, module, fun, args, timeoutMs);
}
