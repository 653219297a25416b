/**
 * Remote calls: run `Module.function(args)` on another node and get its result, through the node's `rex`
 * server (the one `rpc:call/5` uses), with our group leader collecting anything the call prints.
 *
 * The call is a gen_server call: we monitor `rex` on the peer and use the monitor reference as the call's
 * tag, so a reply, the peer going down, and our timeout are the only three outcomes.
 */
import { formatTerm } from "../etf/index.js";
import { atom, isAtom, type Atom, type Term, Tuple, tuple, termEquals } from "../etf/terms.js";
import { DistError } from "./errors.js";
import type { LocalNode } from "./node.js";

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
      const top = Array.isArray(stack) && stack.length > 0 ? ` in ${formatTerm(stack[0]!, { limit: 200 })}` : "";
      return `${what} on ${peer} raised ${formatTerm(cause!, { limit: 400 })}${top}`;
    }
    return `${what} on ${peer} exited with ${formatTerm(exit!, { limit: 400 })}`;
  }
  if (isAtom(reason, "nodedown")) return `${what}: ${peer} went down during the call`;
  return `${what} on ${peer} failed: ${formatTerm(reason, { limit: 400 })}`;
}

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
  const what = `${mfaText(module, fun, args.length)}`;
  const caller = node.spawn();
  try {
    const ref = caller.monitor({ name: "rex", node: conn.peerName });
    const request = tuple(CALL, atom(String(module)), atom(String(fun)), args, node.groupLeader.pid);
    caller.send({ name: "rex", node: conn.peerName }, tuple(GEN_CALL, tuple(caller.pid, ref), request));
    const outcome = await caller
      .receive((m) => {
        if (!(m instanceof Tuple)) return undefined;
        if (m.size === 2 && termEquals(m.at(0), ref)) return { reply: m.at(1) };
        if (m.size === 5 && m.at(0) === DOWN && termEquals(m.at(1), ref)) return { down: m.at(4) };
        return undefined;
      }, timeoutMs)
      .catch((err: unknown) => {
        if (err instanceof DistError && err.code === "TIMEOUT") {
          throw new DistError("TIMEOUT", `${what} on ${conn.peerName} did not answer within ${timeoutMs} ms`);
        }
        throw err;
      });
    if ("down" in outcome) {
      const reason = outcome.down!;
      if (isAtom(reason, "noconnection")) throw new DistError("NODE_DOWN", `${conn.peerName} went down during ${what}`);
      throw new DistError("NODE_DOWN", `the rpc server on ${conn.peerName} is not running (${formatTerm(reason)})`);
    }
    const reply = outcome.reply!;
    if (reply instanceof Tuple && reply.size === 2 && reply.at(0) === BADRPC) {
      throw new RpcError(describeBadRpc(what, conn.peerName, reply.at(1)), reply.at(1));
    }
    caller.demonitor(ref);
    return reply;
  } finally {
    caller.exit(atom("normal"));
  }
}
