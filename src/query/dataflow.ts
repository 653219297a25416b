/**
 * The data view: where did this value come from? Given an event and a value (a pattern, by default the
 * event's own term), the earlier events whose term holds the value: a message sent or received, a call's
 * arguments, a return value, a state change, an exit reason. Each comes with where in its term the value is
 * (`{2}[:balance]`: the balance key of the tuple's second element).
 *
 * Terms are stored once each, so the search decodes each distinct term once, looking back from the event in
 * windows of events and stopping at the answers asked for or at a time budget; the page's `next` continues
 * further back.
 */
import { ErlMap, ImproperList, Tuple, type Term } from "../etf/terms.js";
import { formatTerm } from "../etf/format.js";
import { QueryError, type Origin, type Page, type Seq } from "./api.js";
import { EVENT_COLUMNS, toEventRow, type QueryContext } from "./context.js";
import { int, intList, rows } from "./db.js";
import { match, parsePattern, PatternError, type Pattern } from "./pattern.js";

const WINDOW = 1_000_000;
const BUDGET_MS = 2_000;

/** The first place in `t` where a sub-term matches `p`, as a path, or undefined. */
export function findIn(p: Pattern, t: Term, localNode: string, path = ""): string | undefined {
  if (match(p, t, { localNode })) return path;
  if (t instanceof Tuple) {
    for (let i = 0; i < t.size; i++) {
      const found = findIn(p, t.at(i), localNode, `${path}{${i + 1}}`);
      if (found !== undefined) return found;
    }
  } else if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      const found = findIn(p, t[i]!, localNode, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (t instanceof ImproperList) {
    const items = [...t.elements, t.tail];
    for (let i = 0; i < items.length; i++) {
      const found = findIn(p, items[i]!, localNode, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (t instanceof ErlMap) {
    for (const [k, v] of t.entries) {
      const found = findIn(p, v, localNode, `${path}[${formatTerm(k, { limit: 3 })}]`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export async function origins(
  ctx: QueryContext,
  seq: Seq,
  q: { pattern?: string; before?: Seq; limit?: number },
): Promise<Page<Origin>> {
  const [event] = await rows(ctx.con, `SELECT term FROM events WHERE seq = ${int(seq)}`);
  if (!event) throw new QueryError(`there is no event #${seq} in this recording`);
  let pattern: Pattern;
  if (q.pattern !== undefined) {
    try {
      pattern = parsePattern(q.pattern);
    } catch (err) {
      if (err instanceof PatternError) throw new QueryError(`the value to look for: ${err.message}`);
      throw err;
    }
  } else {
    const own = await ctx.terms.term((event["term"] as number | null) ?? null);
    if (own === undefined) {
      throw new QueryError(
        `event #${seq} carries no term: say what value to look for, e.g. flow #${seq} '{:ok, _}'`,
      );
    }
    pattern = { kind: "literal", value: own };
  }
  const limit = Math.max(1, q.limit ?? 20);
  const found: { seq: number; term: number; path: string }[] = [];
  /** Term id => where the value is in it (null: nowhere). */
  const seen = new Map<number, string | null>();
  const started = Date.now();
  let top = Math.min(q.before ?? seq, seq); // search events before this one
  while (top > 0 && found.length < limit && Date.now() - started < BUDGET_MS) {
    const bottom = Math.max(0, top - WINDOW);
    const ids = await rows(
      ctx.con,
      `SELECT DISTINCT term FROM events WHERE seq >= ${int(bottom)} AND seq < ${int(top)} AND term IS NOT NULL`,
    );
    const fresh = ids.map((r) => r["term"] as number).filter((id) => !seen.has(id));
    for (let i = 0; i < fresh.length; i += 5000) {
      const part = fresh.slice(i, i + 5000);
      await ctx.terms.load(part);
      for (const id of part) {
        const t = ctx.terms.get(id);
        seen.set(id, t === undefined ? null : (findIn(pattern, t, ctx.node) ?? null));
      }
    }
    const carrying = [...seen].filter(([, path]) => path !== null).map(([id]) => id);
    if (carrying.length > 0) {
      const hits = await rows(
        ctx.con,
        `SELECT seq, term FROM events WHERE seq >= ${int(bottom)} AND seq < ${int(top)} AND term IN (${intList(carrying)})
           ORDER BY seq DESC LIMIT ${int(limit - found.length)}`,
      );
      for (const h of hits) {
        const term = h["term"] as number;
        found.push({ seq: h["seq"] as number, term, path: seen.get(term)! });
      }
    }
    top = found.length >= limit ? found[found.length - 1]!.seq : bottom;
  }
  if (found.length === 0) return { items: [], next: top > 0 ? top : null };
  const events = await rows(
    ctx.con,
    `SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (${intList(found.map((f) => f.seq))}) ORDER BY seq DESC`,
  );
  const paths = new Map(found.map((f) => [f.seq, f.path]));
  return {
    items: events.map((r) => ({ ...toEventRow(ctx, r), path: paths.get(r["seq"] as number) ?? "" })),
    next: top > 0 ? top : null,
  };
}
