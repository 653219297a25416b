/**
 * Runs one API call against an open recording: checks the method name and the argument list, calls the
 * `Recording` method of the same name, and turns terms in the answer into `TermJson`. `sql` is refused on
 * a server others can reach.
 */
import type { Recording, StateView } from "../query/api.js";
import { termToJson } from "./term-json.js";
import { API_METHODS, type ApiName, type WireStateView } from "./wire.js";

export class BadRequest extends Error {}

const known = new Set<string>(API_METHODS);

export function isApiName(name: string): name is ApiName {
  return known.has(name);
}

function stateToWire(view: StateView): WireStateView {
  return { ...view, state: termToJson(view.state) };
}

export interface ApiPolicy {
  /** `sql` can read and write any file the server's user can (DuckDB's file functions): only on loopback. */
  allowSql: boolean;
}

export async function callApi(
  rec: Recording,
  name: string,
  args: unknown,
  policy: ApiPolicy = { allowSql: true },
): Promise<unknown> {
  if (!isApiName(name)) throw new BadRequest(`unknown API method ${JSON.stringify(name)}`);
  if (name === "sql" && !policy.allowSql)
    throw new BadRequest(
      "sql is answered only by a server listening on 127.0.0.1 (it can read files); use 'elixirscope query FILE sql ...'",
    );
  if (!Array.isArray(args)) throw new BadRequest("the request body must be a JSON array of arguments");
  const method = rec[name] as (...a: unknown[]) => unknown;
  const result = await method.apply(rec, args);
  switch (name) {
    case "stateAt":
      return result === null ? null : stateToWire(result as StateView);
    case "states": {
      const page = result as { items: StateView[]; next: number | null };
      return { items: page.items.map(stateToWire), next: page.next };
    }
    case "term": {
      const t = result as Awaited<ReturnType<Recording["term"]>>;
      return t === null ? null : { term: termToJson(t.term), text: t.text };
    }
    default:
      return result;
  }
}
