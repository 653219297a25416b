/**
 * The distribution handshake, version 6 (OTP 23 and later, required from OTP 25), in both roles:
 * `initiateHandshake` when we connect to a node, `acceptHandshake` when a node connects to us.
 *
 *     initiator (A)                      acceptor (B)
 *     send_name 'N' flags creation name ──▶
 *                                    ◀── status 's' "ok"
 *                                    ◀── challenge 'N' flags ChB creation name
 *     reply 'r' ChA md5(cookie ++ ChB) ──▶
 *                                    ◀── ack 'a' md5(cookie ++ ChA)
 *
 * Every handshake message is a packet with a 2-byte length. A node that disagrees with our cookie simply
 * closes the connection after our reply, so a close at that step is reported as a cookie mismatch.
 */
import { createHash, randomInt } from "node:crypto";
import type { Socket } from "node:net";
import { DistError } from "./errors.js";
import { missingMandatory, OUR_FLAGS } from "./flags.js";
import { StreamReader, packet2 } from "./stream-reader.js";

export interface HandshakeIdentity {
  name: string;
  creation: number;
  cookie: string;
  flags?: bigint;
}

export interface HandshakeResult {
  peerName: string;
  peerFlags: bigint;
  peerCreation: number;
  /** Bytes that arrived after the handshake: the start of the connected-node stream. */
  leftover: Buffer;
}

export function digest(challenge: number, cookie: string): Buffer {
  return createHash("md5")
    .update(cookie + String(challenge >>> 0), "latin1")
    .digest();
}

function newChallenge(): number {
  return randomInt(0, 0xffffffff);
}

function nameMessage(tag: "N", flags: bigint, extra: number[], name: string): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  const buf = Buffer.alloc(1 + 8 + extra.length * 4 + 2 + nameBytes.length);
  let o = buf.write(tag, 0, "latin1");
  o = buf.writeBigUInt64BE(flags, o);
  for (const v of extra) o = buf.writeUInt32BE(v >>> 0, o);
  o = buf.writeUInt16BE(nameBytes.length, o);
  nameBytes.copy(buf, o);
  return buf;
}

function expectTag(packet: Buffer, tag: string, step: string, peer: string): void {
  if (packet.length === 0 || packet[0] !== tag.charCodeAt(0)) {
    const got = packet.length === 0 ? "an empty packet" : `tag '${String.fromCharCode(packet[0]!)}'`;
    throw new DistError("HANDSHAKE_FAILED", `${peer} sent ${got} where the ${step} ('${tag}') was expected`);
  }
}

function checkFlags(flags: bigint, peer: string): void {
  const missing = missingMandatory(flags);
  if (missing.length > 0) {
    throw new DistError(
      "HANDSHAKE_FAILED",
      `${peer} lacks capabilities OTP 25 requires (${missing.join(", ")}): ElixirScope needs Erlang/OTP 25 or newer`,
    );
  }
}

/** We are A: we opened the TCP connection to `peer` and introduce ourselves. */
export async function initiateHandshake(
  socket: Socket,
  me: HandshakeIdentity,
  peer: string,
): Promise<HandshakeResult> {
  const reader = new StreamReader(socket, peer);
  let step = "status";
  try {
    socket.write(packet2(nameMessage("N", me.flags ?? OUR_FLAGS, [me.creation], me.name)));

    const status = await reader.readPacket(2);
    expectTag(status, "s", "status", peer);
    const text = status.subarray(1).toString("latin1");
    if (text === "not_allowed") {
      throw new DistError(
        "NOT_ALLOWED",
        `${peer} does not allow connections from ${me.name} (net_kernel:allow/1)`,
      );
    }
    if (text === "alive") {
      socket.write(packet2(Buffer.from("sfalse", "latin1")));
      throw new DistError(
        "HANDSHAKE_FAILED",
        `${peer} already has a connection from a node named ${me.name}`,
      );
    }
    if (text !== "ok" && text !== "ok_simultaneous") {
      throw new DistError("HANDSHAKE_FAILED", `${peer} refused the connection with status '${text}'`);
    }

    step = "challenge";
    const challenge = await reader.readPacket(2);
    expectTag(challenge, "N", "challenge", peer);
    if (challenge.length < 19) throw new DistError("HANDSHAKE_FAILED", `${peer} sent a truncated challenge`);
    const peerFlags = challenge.readBigUInt64BE(1);
    const peerChallenge = challenge.readUInt32BE(9);
    const peerCreation = challenge.readUInt32BE(13);
    const nameLen = challenge.readUInt16BE(17);
    const peerName = challenge.subarray(19, 19 + nameLen).toString("utf8");
    checkFlags(peerFlags, peer);

    const ours = newChallenge();
    const reply = Buffer.alloc(21);
    reply.write("r", 0, "latin1");
    reply.writeUInt32BE(ours, 1);
    digest(peerChallenge, me.cookie).copy(reply, 5);
    socket.write(packet2(reply));

    step = "challenge acknowledgement";
    const ack = await reader.readPacket(2);
    expectTag(ack, "a", "challenge acknowledgement", peer);
    if (!ack.subarray(1, 17).equals(digest(ours, me.cookie))) {
      throw new DistError("BAD_COOKIE", `${peer} answered our challenge with a different cookie`);
    }
    return { peerName, peerFlags, peerCreation, leftover: reader.detach() };
  } catch (err) {
    reader.detach();
    if (err instanceof DistError && err.code === "CONNECTION_CLOSED") {
      if (step === "challenge acknowledgement") {
        throw new DistError(
          "BAD_COOKIE",
          `${peer} rejected our cookie: pass the node's cookie with --cookie or put it in ~/.erlang.cookie`,
        );
      }
      throw new DistError(
        "HANDSHAKE_FAILED",
        `${peer} closed the connection during the handshake (at the ${step})`,
      );
    }
    throw err;
  }
}

/** We are B: a node connected to our listening socket. */
export async function acceptHandshake(socket: Socket, me: HandshakeIdentity): Promise<HandshakeResult> {
  const peerAddr = `a node connecting from ${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
  const reader = new StreamReader(socket, peerAddr);
  try {
    const hello = await reader.readPacket(2);
    if (hello[0] === "n".charCodeAt(0)) {
      throw new DistError(
        "HANDSHAKE_FAILED",
        `${peerAddr} uses the old handshake (version 5); OTP 25 or newer is needed`,
      );
    }
    expectTag(hello, "N", "name", peerAddr);
    if (hello.length < 15)
      throw new DistError("HANDSHAKE_FAILED", `${peerAddr} sent a truncated name message`);
    const peerFlags = hello.readBigUInt64BE(1);
    const peerCreation = hello.readUInt32BE(9);
    const nameLen = hello.readUInt16BE(13);
    const peerName = hello.subarray(15, 15 + nameLen).toString("utf8");
    checkFlags(peerFlags, peerName);

    socket.write(packet2(Buffer.from("sok", "latin1")));
    const ours = newChallenge();
    socket.write(packet2(nameMessage("N", me.flags ?? OUR_FLAGS, [ours, me.creation], me.name)));

    const reply = await reader.readPacket(2);
    expectTag(reply, "r", "challenge reply", peerName);
    if (reply.length < 21)
      throw new DistError("HANDSHAKE_FAILED", `${peerName} sent a truncated challenge reply`);
    if (!reply.subarray(5, 21).equals(digest(ours, me.cookie))) {
      throw new DistError(
        "BAD_COOKIE",
        `${peerName} tried to connect with a different cookie; connection refused`,
      );
    }
    const ack = Buffer.alloc(17);
    ack.write("a", 0, "latin1");
    digest(reply.readUInt32BE(1), me.cookie).copy(ack, 1);
    socket.write(packet2(ack));
    return { peerName, peerFlags, peerCreation, leftover: reader.detach() };
  } catch (err) {
    reader.detach();
    throw err;
  }
}
