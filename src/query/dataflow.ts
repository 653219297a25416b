/**
 * The data view: where did this value come from? Given an event and a value (a pattern, by default the
 * event's own term), the earlier events whose term holds the value: a message sent or received, a call's
 * arguments, a return value, a state change, an exit reason. Each comes with where in its term the value is
 * (`{2}[:balance]`: the balance key of the tuple's second element).
 *
 * Terms are stored once each, and most values have bytes any term holding them contains (an integer, a
 * binary, an atom's name: pattern-bytes.ts). DuckDB then finds the few terms containing those bytes in one
 * pass, only those are decoded and checked, and one pass over the events finds the latest carrying them:
 * the whole recording is searched at once. A value without such bytes (`{_, _}`), or whose bytes are in
 * too many terms, is looked for back from the event in growing windows of events, each distinct term read
 * once, stopping at the answers asked for or at a time budget. Either way the page's `next` continues
 * further back.
 */
import { ErlMap, ImproperList, Tuple, type Term } from "../etf/terms.js";
import { decode } from "../etf/decode.js";
import { formatTerm } from "../etf/format.js";
import { QueryError, type Origin, type Page, type Seq } from "./api.js";
import { EVENT_COLUMNS, toEventRow, type QueryContext } from "./context.js";
import { int, intList, rows, type Row } from "./db.js";
import { match, parsePattern, PatternError, type Pattern } from "./pattern.js";
import { requiredBytes } from "./pattern-bytes.js";

/** The search looks back through windows of events, the first this small (recent origins come fast), each next one 4 times larger up to WINDOW, until it has its answers or has spent BUDGET_MS. */
const FIRST_WINDOW = 20_000;
const WINDOW = 1_000_000;
const BUDGET_MS = 2_000;
/** At most this many of a pattern's required byte strings (pattern-bytes.ts) are looked for in DuckDB. */
const MAX_NEEDLES = 3;
/** Above this many terms holding them, the search goes window by window instead of decoding them all. */
const MAX_CANDIDATES = 20_000;

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
  const needles = requiredBytes(pattern).slice(0, MAX_NEEDLES);
  const before = Math.min(q.before ?? seq, seq); // search events before this one
  const search =
    (needles.length > 0 ? await searchAll(ctx, pattern, needles, before, limit) : undefined) ??
    (await searchWindows(ctx, pattern, needles, before, limit));
  const { found, next } = search;
  await ctx.terms.load(found.map((f) => f.term));
  if (found.length === 0) return { items: [], next };
  const events = await rows(
    ctx.con,
    `SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (${intList(found.map((f) => f.seq))}) ORDER BY seq DESC`,
  );
  const paths = new Map(found.map((f) => [f.seq, f.path]));
  return {
    items: events.map((r) => ({ ...toEventRow(ctx, r), path: paths.get(r["seq"] as number) ?? "" })),
    next,
  };
}

interface Found {
  seq: number;
  term: number;
  path: string;
}

/** Events found carrying the value, latest first, and where a search for more would go on (null: done). */
interface Search {
  found: Found[];
  next: Seq | null;
}

/** Where the value is in each of `terms` (null: nowhere), added to `seen`; the ids of those that hold it. */
function carriers(
  ctx: QueryContext,
  pattern: Pattern,
  terms: Row[],
  seen: Map<number, string | null>,
): number[] {
  const carrying: number[] = [];
  for (const r of terms) {
    const id = r["id"] as number;
    let path = seen.get(id);
    if (path === undefined) {
      path = findIn(pattern, decode(r["etf"] as Uint8Array), ctx.node) ?? null;
      seen.set(id, path);
    }
    if (path !== null) carrying.push(id);
  }
  return carrying;
}

/** A condition on `h`, a term's bytes in hex, that holds when they contain every one of `needles`. */
function containsAll(needles: Buffer[]): string {
  return needles.map((n) => `contains(h, '${n.toString("hex").toUpperCase()}')`).join(" AND ");
}

/**
 * The whole recording before `before` at once: DuckDB finds the terms whose bytes contain the needles (one
 * pass over the terms, in C++), only those are decoded and checked, then one pass over the events finds
 * the latest carrying them. Undefined when too many terms contain the needles to decode them all.
 */
async function searchAll(
  ctx: QueryContext,
  pattern: Pattern,
  needles: Buffer[],
  before: Seq,
  limit: number,
): Promise<Search | undefined> {
  const candidates = await rows(
    ctx.con,
    `SELECT id, etf FROM (SELECT id, etf, hex(etf) AS h FROM terms) WHERE ${containsAll(needles)}
       LIMIT ${MAX_CANDIDATES + 1}`,
  );
  if (candidates.length > MAX_CANDIDATES) return undefined;
  const seen = new Map<number, string | null>();
  const carrying = carriers(ctx, pattern, candidates, seen);
  if (carrying.length === 0 || before <= 0) return { found: [], next: null };
  const hits = await rows(
    ctx.con,
    `SELECT seq, term FROM events WHERE seq < ${int(before)} AND term IN (${intList(carrying)})
       ORDER BY seq DESC LIMIT ${int(limit + 1)}`,
  );
  const found = hits.slice(0, limit).map((h) => {
    const term = h["term"] as number;
    return { seq: h["seq"] as number, term, path: seen.get(term)! };
  });
  return { found, next: hits.length > limit ? found[found.length - 1]!.seq : null };
}

/**
 * Back from `before` in growing windows of events, each distinct term of a window read once (those whose
 * bytes lack the needles left in DuckDB), until `limit` events are found or BUDGET_MS is spent.
 */
async function searchWindows(
  ctx: QueryContext,
  pattern: Pattern,
  needles: Buffer[],
  before: Seq,
  limit: number,
): Promise<Search> {
  const filter = needles.length > 0 ? `WHERE ${containsAll(needles)}` : "";
  const found: Found[] = [];
  /** Term id => where the value is in it (null: nowhere). */
  const seen = new Map<number, string | null>();
  const started = Date.now();
  let top = before;
  let window = FIRST_WINDOW;
  while (top > 0 && found.length < limit && Date.now() - started < BUDGET_MS) {
    const bottom = Math.max(0, top - window);
    window = Math.min(window * 4, WINDOW);
    // Each distinct term of the window once, with its bytes; those seen in a later window are skipped.
    const terms = await rows(
      ctx.con,
      `SELECT id, etf FROM (
         SELECT t.id, t.etf, hex(t.etf) AS h FROM terms t
         JOIN (SELECT DISTINCT term FROM events WHERE seq >= ${int(bottom)} AND seq < ${int(top)} AND term IS NOT NULL) w
           ON t.id = w.term) ${filter}`,
    );
    const carrying = carriers(ctx, pattern, terms, seen);
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
  return { found, next: top > 0 ? top : null };
}
