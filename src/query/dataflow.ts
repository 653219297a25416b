/**
 * The data view: where did this value come from? Given an event and a value (a pattern, by default the
 * event's own term), the earlier events whose term holds the value: a message sent or received, a call's
 * arguments, a return value, a state change, an exit reason. Each comes with where in its term the value is
 * (`{2}[:balance]`: the balance key of the tuple's second element).
 *
 * Terms are stored once each, so the search reads each distinct term once, looking back from the event in
 * growing windows of events and stopping at the answers asked for or at a time budget; the page's `next`
 * continues further back. An integer or binary is first looked for in a term's bytes, so most terms are
 * never decoded.
 */
import { ErlMap, ImproperList, Tuple, type Term } from "../etf/terms.js";
import { decode } from "../etf/decode.js";
import { encode } from "../etf/encode.js";
import { formatTerm } from "../etf/format.js";
import { QueryError, type Origin, type Page, type Seq } from "./api.js";
import { EVENT_COLUMNS, toEventRow, type QueryContext } from "./context.js";
import { int, intList, rows } from "./db.js";
import { match, parsePattern, PatternError, type Pattern } from "./pattern.js";

/** The search looks back through windows of events, the first this small (recent origins come fast), each next one 4 times larger up to WINDOW, until it has its answers or has spent BUDGET_MS. */
const FIRST_WINDOW = 20_000;
const WINDOW = 1_000_000;
const BUDGET_MS = 2_000;

/**
 * The encoded bytes of a pattern that is a binary or an integer outside 0..255, else undefined: those are
 * encoded the same wherever they sit, so a term whose bytes lack them cannot hold them. (A small integer can
 * also sit inside a list encoded as a string of bytes.)
 */
function literalBytes(p: Pattern): Buffer | undefined {
  if (p.kind !== "literal") return undefined;
  const v = p.value;
  const plain =
    v instanceof Uint8Array || typeof v === "bigint" || (typeof v === "number" && (v < 0 || v > 255));
  return plain ? encode(v).subarray(1) : undefined;
}

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
  const needle = literalBytes(pattern);
  const found: { seq: number; term: number; path: string }[] = [];
  /** Term id => where the value is in it (null: nowhere). */
  const seen = new Map<number, string | null>();
  const started = Date.now();
  let top = Math.min(q.before ?? seq, seq); // search events before this one
  let window = FIRST_WINDOW;
  while (top > 0 && found.length < limit && Date.now() - started < BUDGET_MS) {
    const bottom = Math.max(0, top - window);
    window = Math.min(window * 4, WINDOW);
    // Each distinct term of the window once, with its bytes; those seen in a later window are skipped.
    const terms = await rows(
      ctx.con,
      `SELECT t.id, t.etf FROM terms t
         JOIN (SELECT DISTINCT term FROM events WHERE seq >= ${int(bottom)} AND seq < ${int(top)} AND term IS NOT NULL) w
           ON t.id = w.term`,
    );
    const carrying: number[] = [];
    for (const r of terms) {
      const id = r["id"] as number;
      let path = seen.get(id);
      if (path === undefined) {
        const etf = r["etf"] as Uint8Array;
        path =
          needle && Buffer.from(etf.buffer, etf.byteOffset, etf.byteLength).indexOf(needle) < 0
            ? null
            : (findIn(pattern, decode(etf), ctx.node) ?? null);
        seen.set(id, path);
      }
      if (path !== null) carrying.push(id);
    }
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
  await ctx.terms.load(found.map((f) => f.term));
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
