/**
 * Node names and cookies as `erl` understands them: `name@host`, a bare `name` meaning this host's short
 * name (like `erl -sname`), and the cookie from `~/.erlang.cookie` when none is given.
 */
import { readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { DistError } from "./errors.js";

export interface NodeName {
  name: string;
  host: string;
  full: string;
}

export function shortHostname(): string {
  return hostname().split(".")[0]!;
}

export function parseNodeName(text: string): NodeName {
  const at = text.indexOf("@");
  const name = at < 0 ? text : text.slice(0, at);
  const host = at < 0 ? shortHostname() : text.slice(at + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(name) || host.length === 0 || host.includes("@")) {
    throw new DistError(
      "BAD_NAME",
      `'${text}' is not a node name: expected name@host, such as app@${shortHostname()}`,
    );
  }
  return { name, host, full: `${name}@${host}` };
}

/** The cookie to use: the given one, else `~/.erlang.cookie` as `erl` reads it. */
export function resolveCookie(given?: string): string {
  if (given !== undefined && given !== "") return given;
  const file = join(homedir(), ".erlang.cookie");
  try {
    return readFileSync(file, "latin1").trim();
  } catch {
    throw new DistError(
      "NO_COOKIE",
      `no cookie given and ${file} cannot be read: pass --cookie with the node's cookie ` +
        `(in the node: Node.get_cookie() or erlang:get_cookie())`,
    );
  }
}
