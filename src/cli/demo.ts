/**
 * `elixirscope demo`: starts the sample Elixir application (examples/sample_app) as a node, connects to it
 * as a hidden node, loads a probe module over distribution, runs the sample workload remotely and prints
 * what happened. Everything it starts, it stops.
 */
import { atom, ErlMap, isAtom, type Term } from "../etf/terms.js";
import { formatTerm } from "../etf/index.js";
import { loadModule } from "../agent/load.js";
import { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";
import { startSampleApp } from "../demo/sample-app.js";

function field(map: Term, key: string): string {
  return map instanceof ErlMap ? formatTerm(map.get(atom(key)) ?? atom("nil")) : "?";
}

export async function demoCommand(
  out: (line: string) => void = (l) => process.stdout.write(l + "\n"),
): Promise<void> {
  out("Starting the sample application (examples/sample_app) as a distributed Elixir node...");
  const app = await startSampleApp();
  const node = await LocalNode.start({ cookie: app.cookie });
  try {
    const started = process.hrtime.bigint();
    await node.connect(app.node);
    out(
      `Connected to ${app.node} as hidden node ${node.name} in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`,
    );
    await loadModule(node, app.node, "elixirscope_probe");
    const info = await rpc(node, app.node, "elixirscope_probe", "info", []);
    out(
      `  OTP ${field(info, "otp_release")}, Elixir ${field(info, "elixir_version")}, ${field(info, "process_count")} processes`,
    );
    out("Running SampleApp.Workload.run() on the node...");
    const counts = await rpc(node, app.node, "Elixir.SampleApp.Workload", "run", [[]], 60_000);
    if (counts instanceof ErlMap) {
      for (const [k, v] of counts.entries) out(`  ${isAtom(k) ? k.name : formatTerm(k)}: ${formatTerm(v)}`);
    }
    out("Done. Recording this workload arrives with `elixirscope record` (see README).");
  } finally {
    await node.stop();
    await app.stop();
  }
}
