/**
 * Control messages: the first term of every distribution frame, a tuple whose first element says which
 * signal it carries (a send, a link, an exit, a monitor...). Builders for what we send, the tag numbers
 * for what we receive.
 */
import { type Atom, type Pid, type Reference, type Term, Tuple, tuple, atom } from "../etf/terms.js";

export const CTRL = {
  LINK: 1,
  SEND: 2,
  EXIT: 3,
  UNLINK: 4,
  NODE_LINK: 5,
  REG_SEND: 6,
  GROUP_LEADER: 7,
  EXIT2: 8,
  SEND_TT: 12,
  EXIT_TT: 13,
  REG_SEND_TT: 16,
  EXIT2_TT: 18,
  MONITOR_P: 19,
  DEMONITOR_P: 20,
  MONITOR_P_EXIT: 21,
  SEND_SENDER: 22,
  SEND_SENDER_TT: 23,
  PAYLOAD_EXIT: 24,
  PAYLOAD_EXIT_TT: 25,
  PAYLOAD_EXIT2: 26,
  PAYLOAD_EXIT2_TT: 27,
  PAYLOAD_MONITOR_P_EXIT: 28,
  SPAWN_REQUEST: 29,
  SPAWN_REQUEST_TT: 30,
  SPAWN_REPLY: 31,
  SPAWN_REPLY_TT: 32,
  ALIAS_SEND: 33,
  ALIAS_SEND_TT: 34,
  UNLINK_ID: 35,
  UNLINK_ID_ACK: 36,
} as const;

const EMPTY = atom("");

export const control = {
  sendSender: (from: Pid, to: Pid): Tuple => tuple(CTRL.SEND_SENDER, from, to),
  regSend: (from: Pid, name: Atom): Tuple => tuple(CTRL.REG_SEND, from, EMPTY, name),
  link: (from: Pid, to: Pid): Tuple => tuple(CTRL.LINK, from, to),
  unlinkId: (id: number, from: Pid, to: Pid): Tuple => tuple(CTRL.UNLINK_ID, id, from, to),
  unlinkIdAck: (id: Term, from: Pid, to: Pid): Tuple => tuple(CTRL.UNLINK_ID_ACK, id, from, to),
  /** Followed by the reason as payload (DFLAG_EXIT_PAYLOAD is mandatory for us). */
  payloadExit: (from: Pid, to: Pid): Tuple => tuple(CTRL.PAYLOAD_EXIT, from, to),
  payloadExit2: (from: Pid, to: Pid): Tuple => tuple(CTRL.PAYLOAD_EXIT2, from, to),
  monitor: (from: Pid, target: Pid | Atom, ref: Reference): Tuple => tuple(CTRL.MONITOR_P, from, target, ref),
  demonitor: (from: Pid, target: Pid | Atom, ref: Reference): Tuple =>
    tuple(CTRL.DEMONITOR_P, from, target, ref),
  payloadMonitorExit: (from: Pid | Atom, to: Pid, ref: Reference): Tuple =>
    tuple(CTRL.PAYLOAD_MONITOR_P_EXIT, from, to, ref),
  spawnReply: (reqId: Term, to: Term, result: Term): Tuple => tuple(CTRL.SPAWN_REPLY, reqId, to, 0, result),
};

/** The control tag of a received control tuple, or -1 when it has none. */
export function controlTag(c: Tuple): number {
  const tag = c.elements[0];
  return typeof tag === "number" ? tag : -1;
}
