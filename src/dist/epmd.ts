/**
 * EPMD, the Erlang Port Mapper Daemon: finds the distribution port of a node by name, lists a host's nodes,
 * and registers our own name so that Erlang code can connect to us. One TCP exchange per question; a
 * registration lives as long as its connection stays open.
 */
import { connect, type Socket } from "node:net";
import { DistError } from "./errors.js";
import { StreamReader, packet2 } from "./stream-reader.js";

const PORT_PLEASE2_REQ = 122;
const PORT2_RESP = 119;
const ALIVE2_REQ = 120;
const ALIVE2_RESP = 121;
const ALIVE2_X_RESP = 118;
const NAMES_REQ = 110;

export const HIDDEN_NODE_TYPE = 72;
export const NORMAL_NODE_TYPE = 77;

export interface NodeAddress {
  port: number;
  nodeType: number;
  protocol: number;
  highestVersion: number;
  lowestVersion: number;
}

export function epmdPort(): number {
  const fromEnv = Number(process.env["ERL_EPMD_PORT"]);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 4369;
}

function openEpmd(host: string, timeoutMs: number): Promise<Socket> {
  const port = epmdPort();
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new DistError("EPMD_UNREACHABLE", `EPMD on ${host}:${port} did not answer within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new DistError(
          "EPMD_UNREACHABLE",
          `cannot reach EPMD on ${host}:${port} (${err.code ?? err.message}): is a node running there? ` +
            `Start one with 'erl -sname NAME' or start the daemon with 'epmd -daemon'`,
        ),
      );
    });
  });
}

/** Asks EPMD on `host` for the port of node `name` (the part before `@`). */
export async function lookupNode(name: string, host: string, timeoutMs = 5000): Promise<NodeAddress> {
  const socket = await openEpmd(host, timeoutMs);
  try {
    const reader = new StreamReader(socket, `EPMD on ${host}`);
    socket.write(packet2(Buffer.concat([Buffer.from([PORT_PLEASE2_REQ]), Buffer.from(name, "utf8")])));
    const [tag, result] = await reader.readExact(2);
    if (tag !== PORT2_RESP)
      throw new DistError("PROTOCOL", `EPMD on ${host} answered with unknown tag ${tag}`);
    if (result !== 0) {
      const known = await listNodes(host, timeoutMs).catch(() => []);
      const hint =
        known.length > 0 ? `; nodes there: ${known.map((n) => n.name).join(", ")}` : "; no nodes there";
      throw new DistError(
        "NODE_UNKNOWN",
        `no node named '${name}' is registered with EPMD on ${host}${hint}`,
      );
    }
    const body = await reader.readExact(8);
    return {
      port: body.readUInt16BE(0),
      nodeType: body[2]!,
      protocol: body[3]!,
      highestVersion: body.readUInt16BE(4),
      lowestVersion: body.readUInt16BE(6),
    };
  } finally {
    socket.destroy();
  }
}

/** Lists the nodes registered with EPMD on `host`. */
export async function listNodes(host: string, timeoutMs = 5000): Promise<{ name: string; port: number }[]> {
  const socket = await openEpmd(host, timeoutMs);
  try {
    const reader = new StreamReader(socket, `EPMD on ${host}`);
    socket.write(packet2(Buffer.from([NAMES_REQ])));
    const all = await reader.readToEnd();
    const text = all.subarray(4).toString("utf8");
    return [...text.matchAll(/^name (\S+) at port (\d+)$/gm)].map((m) => ({
      name: m[1]!,
      port: Number(m[2]),
    }));
  } finally {
    socket.destroy();
  }
}

export interface Registration {
  creation: number;
  /** Unregisters by closing the EPMD connection. */
  close(): void;
}

/**
 * Registers `name` as a hidden node listening on `port`. EPMD answers with our creation number, which goes
 * into every pid, port and reference we create.
 */
export async function registerNode(name: string, port: number, timeoutMs = 5000): Promise<Registration> {
  const socket = await openEpmd("127.0.0.1", timeoutMs);
  const reader = new StreamReader(socket, "EPMD");
  const nameBytes = Buffer.from(name, "utf8");
  const req = Buffer.alloc(13 + nameBytes.length);
  let o = req.writeUInt8(ALIVE2_REQ, 0);
  o = req.writeUInt16BE(port, o);
  o = req.writeUInt8(HIDDEN_NODE_TYPE, o);
  o = req.writeUInt8(0, o); // TCP/IPv4
  o = req.writeUInt16BE(6, o); // highest version
  o = req.writeUInt16BE(6, o); // lowest version
  o = req.writeUInt16BE(nameBytes.length, o);
  o += nameBytes.copy(req, o);
  req.writeUInt16BE(0, o); // no extra
  socket.write(packet2(req));
  try {
    const [tag, result] = await reader.readExact(2);
    if (result !== 0)
      throw new DistError("BAD_NAME", `EPMD refused to register '${name}': the name is taken`);
    let creation: number;
    if (tag === ALIVE2_X_RESP) creation = (await reader.readExact(4)).readUInt32BE(0);
    else if (tag === ALIVE2_RESP) creation = (await reader.readExact(2)).readUInt16BE(0);
    else throw new DistError("PROTOCOL", `EPMD answered the registration with unknown tag ${tag}`);
    reader.detach();
    socket.on("error", () => {});
    socket.setKeepAlive(true);
    return { creation, close: () => socket.destroy() };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/**
 * Waits until `name` is registered with EPMD on `host`: how we know a node we started is up. Gives up
 * after `timeoutMs`, or as soon as `stillStarting()` says the node's process has gone.
 */
export async function waitForNode(
  name: string,
  host: string,
  timeoutMs: number,
  stillStarting: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!stillStarting()) throw new DistError("NODE_DOWN", `node ${name} exited while starting`);
    try {
      await lookupNode(name, host, 1000);
      return;
    } catch {
      if (Date.now() > deadline)
        throw new DistError("TIMEOUT", `node ${name} did not register with EPMD within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
