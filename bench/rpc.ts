/**
 * RPC round trips per second: ElixirScope's client calling `erlang:node()` on a node through `rex`, one call
 * at a time, against the baseline of one Erlang node doing the same `rpc:call/4` to the same node, timed
 * inside the VM in the same run.
 */
import { atom, tuple, Tuple } from "../src/etf/terms.js";
import { LocalNode } from "../src/dist/node.js";
import { rpc } from "../src/dist/rpc.js";
import { startNode } from "../test/support/nodes.js";
import type { BenchResult } from "./result.js";

const CALLS = 3000;

/** An Erlang process on the caller node that times N rpc:call/4 round trips to Target on request. */
const TIMER_SERVER =
  "register(rpc_bench, spawn(fun L() -> receive {run, From, Target, N} -> " +
  "rpc:call(Target, erlang, node, []), " +
  "{Us, _} = timer:tc(fun() -> lists:foreach(fun(_) -> rpc:call(Target, erlang, node, []) end, lists:seq(1, N)) end), " +
  "From ! {took, Us}, L() end end)).";

export async function run(): Promise<BenchResult[]> {
  const target = await startNode();
  const erlCaller = await startNode({ cookie: target.cookie, eval: TIMER_SERVER });
  const node = await LocalNode.start({ cookie: target.cookie });
  try {
    for (let i = 0; i < 300; i++) await rpc(node, target.name, "erlang", "node", []); // warm up
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await rpc(node, target.name, "erlang", "node", []);
    const ours = CALLS / (Number(process.hrtime.bigint() - started) / 1e9);

    const me = node.spawn();
    me.send(
      { name: "rpc_bench", node: erlCaller.name },
      tuple(atom("run"), me.pid, atom(target.name), CALLS),
    );
    const took = (await me.receive((m) => m, 120_000)) as Tuple;
    const us = Number(took.at(1));
    const baseline = CALLS / (us / 1e6);
    return [
      {
        name: "rpc round trips (erlang:node/0 via rex)",
        value: ours,
        unit: "calls/s",
        baseline,
        ratio: ours / baseline,
        note: "baseline: rpc:call/4 from an Erlang node to the same node",
      },
    ];
  } finally {
    await node.stop();
    await erlCaller.stop();
    await target.stop();
  }
}
