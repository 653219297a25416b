/**
 * Errors of the distribution layer. Each carries a `code` that the CLI maps to one clear line and an exit
 * status, and a message that says what went wrong and what to do about it.
 */

export type DistErrorCode =
  | "EPMD_UNREACHABLE"
  | "NODE_UNKNOWN"
  | "CONNECTION_REFUSED"
  | "CONNECTION_CLOSED"
  | "HANDSHAKE_FAILED"
  | "BAD_COOKIE"
  | "NOT_ALLOWED"
  | "PROTOCOL"
  | "TIMEOUT"
  | "RPC_RAISED"
  | "NODE_DOWN"
  | "BAD_NAME"
  | "NO_COOKIE";

export class DistError extends Error {
  constructor(
    readonly code: DistErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DistError";
  }
}
