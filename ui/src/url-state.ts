/**
 * The view's state as it lives in the URL's hash, so that a moment can be shared: the cursor (an event
 * seq), the selected process, the open view, the visible time window, the processes of the sequence
 * diagram, the collapsed supervisor groups, the track filter and the value the data flow view follows.
 * `#c=812&p=14&v=sequence&w=1200-98000&sp=3,14&g=5`.
 */

export const VIEWS = ["crashes", "sequence", "calls", "flame", "flow", "processes", "events"] as const;
export type ViewName = (typeof VIEWS)[number];

export interface UrlState {
  cursor: number | null;
  selected: number | null;
  view: ViewName;
  window: { fromNs: number; toNs: number } | null;
  seqProcs: number[];
  collapsed: string[];
  /** The timeline's track filter (pid, name, module). */
  filter: string;
  /** The value (an Elixir value or pattern) the data flow view looks for; "" for the cursor event's own term. */
  flowValue: string;
}

function int(text: string | null): number | null {
  if (text === null || text === "") return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

export function parseHash(hash: string): UrlState {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const view = q.get("v") as ViewName | null;
  // FROM-TO in ns; FROM can be negative (a little room is allowed left of the first event).
  const m = /^(-?\d+)-(-?\d+)$/.exec(q.get("w") ?? "");
  const w = m ? [Number(m[1]), Number(m[2])] : [];
  const list = (key: string) => (q.get(key) ?? "").split(",").filter((s) => s !== "");
  return {
    cursor: int(q.get("c")),
    selected: int(q.get("p")),
    view: view !== null && VIEWS.includes(view) ? view : "crashes",
    window:
      w.length === 2 && w.every(Number.isFinite) && w[1]! > w[0]! ? { fromNs: w[0]!, toNs: w[1]! } : null,
    seqProcs: list("sp").map(Number).filter(Number.isFinite),
    collapsed: list("g"),
    filter: q.get("f") ?? "",
    flowValue: q.get("fv") ?? "",
  };
}

export function formatHash(s: UrlState): string {
  const q = new URLSearchParams();
  if (s.cursor !== null) q.set("c", String(s.cursor));
  if (s.selected !== null) q.set("p", String(s.selected));
  q.set("v", s.view);
  if (s.window) q.set("w", `${Math.round(s.window.fromNs)}-${Math.round(s.window.toNs)}`);
  if (s.seqProcs.length > 0) q.set("sp", s.seqProcs.join(","));
  if (s.collapsed.length > 0) q.set("g", s.collapsed.join(","));
  if (s.filter !== "") q.set("f", s.filter);
  if (s.flowValue !== "") q.set("fv", s.flowValue);
  return "#" + q.toString().replace(/%2C/g, ",");
}
