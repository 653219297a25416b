/**
 * Capability flags exchanged in the distribution handshake, and the set a hidden ElixirScope node offers.
 * Values are from the distribution protocol specification; flags above bit 31 need BigInt.
 */

export const DFLAG = {
  PUBLISHED: 0x1n,
  ATOM_CACHE: 0x2n,
  EXTENDED_REFERENCES: 0x4n,
  DIST_MONITOR: 0x8n,
  FUN_TAGS: 0x10n,
  DIST_MONITOR_NAME: 0x20n,
  HIDDEN_ATOM_CACHE: 0x40n,
  NEW_FUN_TAGS: 0x80n,
  EXTENDED_PIDS_PORTS: 0x100n,
  EXPORT_PTR_TAG: 0x200n,
  BIT_BINARIES: 0x400n,
  NEW_FLOATS: 0x800n,
  UNICODE_IO: 0x1000n,
  DIST_HDR_ATOM_CACHE: 0x2000n,
  SMALL_ATOM_TAGS: 0x4000n,
  UTF8_ATOMS: 0x10000n,
  MAP_TAG: 0x20000n,
  BIG_CREATION: 0x40000n,
  SEND_SENDER: 0x80000n,
  BIG_SEQTRACE_LABELS: 0x100000n,
  EXIT_PAYLOAD: 0x400000n,
  FRAGMENTS: 0x800000n,
  HANDSHAKE_23: 0x1000000n,
  UNLINK_ID: 0x2000000n,
  SPAWN: 1n << 32n,
  NAME_ME: 1n << 33n,
  V4_NC: 1n << 34n,
  ALIAS: 1n << 35n,
  MANDATORY_25_DIGEST: 1n << 36n,
} as const;

/** What OTP 25 and later refuse to connect without. */
export const MANDATORY_FLAGS =
  DFLAG.EXTENDED_REFERENCES |
  DFLAG.FUN_TAGS |
  DFLAG.NEW_FUN_TAGS |
  DFLAG.EXTENDED_PIDS_PORTS |
  DFLAG.EXPORT_PTR_TAG |
  DFLAG.BIT_BINARIES |
  DFLAG.NEW_FLOATS |
  DFLAG.UTF8_ATOMS |
  DFLAG.MAP_TAG |
  DFLAG.BIG_CREATION |
  DFLAG.HANDSHAKE_23;

/** Everything we implement. Not PUBLISHED: we are a hidden node and never join the peer's global name space. */
export const OUR_FLAGS =
  MANDATORY_FLAGS |
  DFLAG.DIST_MONITOR |
  DFLAG.DIST_MONITOR_NAME |
  DFLAG.UNICODE_IO |
  DFLAG.DIST_HDR_ATOM_CACHE |
  DFLAG.SMALL_ATOM_TAGS |
  DFLAG.SEND_SENDER |
  DFLAG.BIG_SEQTRACE_LABELS |
  DFLAG.EXIT_PAYLOAD |
  DFLAG.FRAGMENTS |
  DFLAG.UNLINK_ID |
  DFLAG.V4_NC |
  DFLAG.ALIAS |
  DFLAG.MANDATORY_25_DIGEST;

/** Names of the mandatory flags a peer lacks, for the error message when we refuse it. */
export function missingMandatory(peerFlags: bigint): string[] {
  return Object.entries(DFLAG)
    .filter(([, bit]) => (MANDATORY_FLAGS & bit) !== 0n && (peerFlags & bit) === 0n)
    .map(([name]) => `DFLAG_${name}`);
}
