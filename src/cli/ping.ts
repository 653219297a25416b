/**
 * `elixirscope ping`: the first thing to try against a node. Connects as a hidden node, asks for the OTP
 * release and Elixir version, and times round trips the way `net_adm:ping/1` does (a call to the node's
 * net_kernel), printing the median.
 */
import { atom, tuple, Tuple, termEquals, type Term } from "../etf/terms.js";
import { chardataToString } from "../dist/io-server.js";
import { DistError } from "../dist/errors.js";
import { LocalNode } from "../dist/node.js";
import { parseNodeName } from "../dist/names.js";
import { rpc, RpcError } from "../dist/rpc.js";

export interface PingOptions {
  node: string;
  cookie?: string;
  timeoutMs: number;
  rounds?: number;
}

export interface PingResult {
  node: string;
  otpRelease: string;
  ertsVersion: string;
  elixirVersion: string | undefined;
  roundTripMs: number;
}

/** Our node name follows the peer's naming style: short names for `-sname` nodes, long for `-name`. */
export function localNameFor(peerHost: string): string | undefined {
  return peerHost.includes(".") ? `elixirscope_${process.pid}@127.0.0.1` : undefined;
}

async function netKernelRoundTrip(node: LocalNode, peer: string, timeoutMs: number): Promise<number> {
  const me = node.spawn();
  try {
    const ref = node.makeRef();
    const started = process.hrtime.bigint();
    me.send(
      { name: "net_kernel", node: peer },
      tuple(atom("$gen_call"), tuple(me.pid, ref), tuple(atom("is_auth"), node.nameAtom)),
    );
    await me.receive(
      (m) => (m instanceof Tuple && m.size === 2 && termEquals(m.at(0), ref) ? true : undefined),
      timeoutMs,
    );
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    me.exit(atom("normal"));
  }
}

function text(t: Term): string {
  return chardataToString(t);
}

export async function ping(options: PingOptions): Promise<PingResult> {
  const peer = parseNodeName(options.node);
  const node = await LocalNode.start({
    name: localNameFor(peer.host),
    cookie: options.cookie,
    connectTimeoutMs: options.timeoutMs,
  });
  try {
    await node.connect(peer.full);
    const otpRelease = text(
      await rpc(node, peer.full, "erlang", "system_info", [atom("otp_release")], options.timeoutMs),
    );
    const ertsVersion = text(
      await rpc(node, peer.full, "erlang", "system_info", [atom("version")], options.timeoutMs),
    );
    let elixirVersion: string | undefined;
    try {
      const v = await rpc(node, peer.full, "Elixir.System", "version", [], options.timeoutMs);
      elixirVersion = text(v);
    } catch (err) {
      if (!(err instanceof RpcError)) throw err; // undef: no Elixir on that node
    }
    const times: number[] = [];
    for (let i = 0; i < (options.rounds ?? 9); i++)
      times.push(await netKernelRoundTrip(node, peer.full, options.timeoutMs));
    times.sort((a, b) => a - b);
    return {
      node: peer.full,
      otpRelease,
      ertsVersion,
      elixirVersion,
      roundTripMs: times[times.length >> 1]!,
    };
  } finally {
    await node.stop();
  }
}

export async function pingCommand(options: PingOptions): Promise<void> {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new DistError("BAD_NAME", `--timeout must be a positive number of milliseconds`);
  }
  const r = await ping(options);
  process.stdout.write(
    `pong from ${r.node}\n` +
      `  OTP ${r.otpRelease} (ERTS ${r.ertsVersion})\n` +
      `  Elixir ${r.elixirVersion ?? "not loaded on this node"}\n` +
      `  round trip ${r.roundTripMs.toFixed(3)} ms (median of ${options.rounds ?? 9})\n`,
  );
}
