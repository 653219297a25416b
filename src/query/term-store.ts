/**
 * The recording's terms, fetched by number and decoded on demand, with the most recent kept decoded: a
 * page of history or a state timeline asks for the same few terms again and again. A term already being
 * fetched for one question is waited for, not fetched again, by another asked at the same time (a history
 * page's terms and its states' terms).
 */
import { decode } from "../etf/decode.js";
import { formatTerm } from "../etf/format.js";
import type { Term } from "../etf/terms.js";
import { intList, rows, type SqlSource } from "./db.js";

const CACHE = 20_000;
/** Event text is folded past this many characters; `term()` gives the whole term. */
export const TEXT_LIMIT = 400;

/**
 * Ids closer than this are read in one range. Terms are stored in id order, so a range of ids is a range of
 * the table, and DuckDB reads only the row groups (122,880 rows) it overlaps: one range over ids spread
 * through the table would read all of it (170 ms cold for 32 exit reasons of a 10M-event recording, against
 * 70 ms for one range each).
 */
const NEAR = 60_000;

/** The SQL reading the terms `ids` (sorted): one range of ids per cluster of near ones. */
function lookupSql(ids: number[]): string {
  const parts: string[] = [];
  for (let start = 0; start < ids.length;) {
    let end = start + 1;
    while (end < ids.length && ids[end]! - ids[start]! < NEAR) end++;
    const part = ids.slice(start, end);
    parts.push(
      part.length === 1
        ? `SELECT id, etf FROM terms WHERE id = ${part[0]}`
        : `SELECT id, etf FROM terms WHERE id BETWEEN ${part[0]} AND ${part[part.length - 1]} AND id IN (${intList(part)})`,
    );
    start = end;
  }
  return parts.join(" UNION ALL ");
}

export class TermStore {
  private readonly cache = new Map<number, Term>();
  private readonly fetching = new Map<number, Promise<void>>();

  constructor(
    private readonly con: SqlSource,
    private readonly localNode: string,
    private readonly syntax: "elixir" | "erlang" = "elixir",
  ) {}

  /**
   * Makes sure the terms `ids` are decoded and cached, and the most recently used: terms loaded after them
   * (up to the cache's size) push older ones out first.
   */
  async load(ids: Iterable<number | null>): Promise<void> {
    const missing = new Set<number>();
    const waits = new Set<Promise<void>>();
    for (const id of ids) {
      if (id === null) continue;
      const cached = this.cache.get(id);
      if (cached !== undefined) {
        this.cache.delete(id);
        this.cache.set(id, cached);
        continue;
      }
      const pending = this.fetching.get(id);
      if (pending) waits.add(pending);
      else missing.add(id);
    }
    if (missing.size > 0) waits.add(this.fetch([...missing].sort((a, b) => a - b)));
    await Promise.all(waits);
  }

  /** Fetches and caches the terms `sorted`, which are neither cached nor being fetched. */
  private fetch(sorted: number[]): Promise<void> {
    const done = (async () => {
      for (let i = 0; i < sorted.length; i += 1000) {
        const found = await rows(this.con, lookupSql(sorted.slice(i, i + 1000)));
        for (const r of found) this.put(r["id"] as number, decode(r["etf"] as Uint8Array));
      }
    })();
    for (const id of sorted) this.fetching.set(id, done);
    const settle = () => {
      for (const id of sorted) if (this.fetching.get(id) === done) this.fetching.delete(id);
    };
    done.then(settle, settle);
    return done;
  }

  private put(id: number, t: Term): void {
    if (this.cache.size >= CACHE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, t);
  }

  /** A term already `load`ed (undefined if it is not in the recording). */
  get(id: number | null): Term | undefined {
    return id === null ? undefined : this.cache.get(id);
  }

  async term(id: number | null): Promise<Term | undefined> {
    if (id === null) return undefined;
    await this.load([id]);
    return this.cache.get(id);
  }

  /** Elixir text of `t`, folded to about `limit` characters (0: whole). */
  format(t: Term, limit = TEXT_LIMIT): string {
    const base = { localNode: this.localNode, syntax: this.syntax };
    if (limit === 0) return formatTerm(t, base);
    const text = formatTerm(t, { ...base, limit: 40, printableLimit: limit });
    return text.length > limit ? `${text.slice(0, limit)} …` : text;
  }

  /** The text of a loaded term, folded; null for no term. */
  text(id: number | null, limit = TEXT_LIMIT): string | null {
    if (id === null) return null;
    const t = this.cache.get(id);
    return t === undefined ? "<term not in the recording>" : this.format(t, limit);
  }
}
