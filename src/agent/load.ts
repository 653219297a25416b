/**
 * Puts our BEAM modules onto a node over distribution: reads the compiled `.beam` from the package's
 * `beam/ebin` and calls `code:load_binary/3` on the node through RPC. Nothing is written to the node's disk.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { atom, charlist, isAtom, Tuple } from "../etf/terms.js";
import { formatTerm } from "../etf/index.js";
import { DistError } from "../dist/errors.js";
import type { LocalNode } from "../dist/node.js";
import { rpc } from "../dist/rpc.js";

/** The folder holding our compiled BEAM modules (`beam/ebin` at the package root). */
export const EBIN_DIR = fileURLToPath(new URL("../../../beam/ebin/", import.meta.url));

export function readBeam(module: string): Buffer {
  const file = join(EBIN_DIR, `${module}.beam`);
  try {
    return readFileSync(file);
  } catch {
    throw new DistError(
      "PROTOCOL",
      `${file} is missing: run 'npm run build' (it needs erlc from Erlang/OTP)`,
    );
  }
}

/** Loads `module` from `beam` (default: our own build of it) onto `peer`. */
export async function loadModule(
  node: LocalNode,
  peer: string,
  module: string,
  beam = readBeam(module),
): Promise<void> {
  const result = await rpc(node, peer, "code", "load_binary", [
    atom(module),
    charlist(`elixirscope/${module}.beam`),
    beam,
  ]);
  if (result instanceof Tuple && isAtom(result.at(0), "module")) return;
  throw new DistError("PROTOCOL", `${peer} refused to load ${module}: ${formatTerm(result)}`);
}
