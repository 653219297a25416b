/**
 * A term in Elixir syntax, from the server's `TermJson` tree: small terms print on one line, large ones
 * break into indented lines, and deep or long containers start folded (`%{…12}`) and open on click. A
 * container the agent cut (too large to record) shows its first items, then what is missing (`…20 keys,
 * cut`).
 */
import { useState } from "react";
import type { TermJson } from "../../../src/server/wire.js";

const INLINE_CHARS = 64;
const SHOWN_ITEMS = 50;

/** Printed length, stopping early once over `limit`. */
function width(t: TermJson, limit = INLINE_CHARS + 1): number {
  if (t.t === "leaf") return t.v.length;
  let n = 2;
  const kids: TermJson[] =
    t.t === "map"
      ? t.entries.flatMap((e) => [e.k, e.v])
      : t.t === "list" && t.tail
        ? [...t.items, t.tail]
        : t.items;
  for (const k of kids) {
    n += width(k, limit - n) + 2;
    if (n > limit) return n;
  }
  return t.cut ? n + t.cut.length + 3 : n;
}

function size(t: TermJson): number {
  return t.t === "leaf" ? 0 : t.t === "map" ? t.entries.length : t.items.length;
}

function brackets(t: Exclude<TermJson, { t: "leaf" }>): [string, string] {
  if (t.t === "tuple") return ["{", "}"];
  if (t.t === "list") return ["[", "]"];
  return [t.struct ? `%${t.struct}{` : "%{", "}"];
}

function leafClass(v: string): string {
  if (v.startsWith('"') || v.startsWith("~c")) return "t-str";
  if (v.startsWith(":") || v === "nil" || v === "true" || v === "false") return "t-atom";
  if (/^-?\d/.test(v)) return "t-num";
  if (v.startsWith("#")) return "t-pid";
  if (/^[A-Z]/.test(v)) return "t-alias";
  return "";
}

export function TermView({
  term,
  depth = 0,
  foldDepth = 3,
}: {
  term: TermJson;
  depth?: number;
  foldDepth?: number;
}) {
  const [open, setOpen] = useState(depth < foldDepth || size(term) <= 2);
  const [all, setAll] = useState(false);
  if (term.t === "leaf") return <span className={leafClass(term.v)}>{term.v}</span>;
  const [l, r] = brackets(term);
  const n = size(term);
  const cut = term.cut ? <span className="t-cut">…{term.cut}</span> : null;
  if (n === 0 && !(term.t === "list" && term.tail))
    return (
      <span>
        {l}
        {cut}
        {r}
      </span>
    );
  if (!open)
    return (
      <span className="t-fold" title="expand" onClick={() => setOpen(true)}>
        {l}…{n}
        {term.cut ? `, ${term.cut}` : ""}
        {r}
      </span>
    );
  const inline = width(term) <= INLINE_CHARS;
  const parts: React.ReactNode[] = [];
  const shown = all ? n : Math.min(n, SHOWN_ITEMS);
  for (let i = 0; i < shown; i++) {
    if (term.t === "map") {
      const e = term.entries[i]!;
      parts.push(
        <span key={i}>
          {e.kw ? (
            <span className="t-key">{e.kw} </span>
          ) : (
            <>
              <TermView term={e.k} depth={depth + 1} foldDepth={foldDepth} />
              {" => "}
            </>
          )}
          <TermView term={e.v} depth={depth + 1} foldDepth={foldDepth} />
        </span>,
      );
    } else if (term.t === "list" && term.kw)
      parts.push(
        <span key={i}>
          <span className="t-key">{term.kw[i]} </span>
          <TermView term={term.items[i]!} depth={depth + 1} foldDepth={foldDepth} />
        </span>,
      );
    else parts.push(<TermView key={i} term={term.items[i]!} depth={depth + 1} foldDepth={foldDepth} />);
  }
  if (term.t === "list" && term.tail)
    parts.push(
      <span key="tail">
        {"| "}
        <TermView term={term.tail} depth={depth + 1} foldDepth={foldDepth} />
      </span>,
    );
  if (shown < n)
    parts.push(
      <span key="more" className="t-fold" onClick={() => setAll(true)}>
        …{n - shown} more
      </span>,
    );
  if (cut) parts.push(<span key="cut">{cut}</span>);
  const fold =
    depth > 0 ? (
      <span className="t-fold-btn" title="fold" onClick={() => setOpen(false)}>
        {l}
      </span>
    ) : (
      <span>{l}</span>
    );
  if (inline)
    return (
      <span className="t-inline">
        {fold}
        {parts.map((p, i) => (
          <span key={i}>
            {i > 0 ? ", " : ""}
            {p}
          </span>
        ))}
        {r}
      </span>
    );
  return (
    <span className="t-block">
      {fold}
      {parts.map((p, i) => (
        <div key={i} className="t-item">
          {p}
          {i < parts.length - 1 ? "," : ""}
        </div>
      ))}
      {r}
    </span>
  );
}

/** Already-printed Elixir text (an event's folded term): one line, clipped, the whole on hover. */
export function TermText({ text, max = 200 }: { text: string | null; max?: number }) {
  if (text === null) return null;
  return (
    <span className="t-text" title={text.length > max ? text : undefined}>
      {text.length > max ? text.slice(0, max) + "…" : text}
    </span>
  );
}
