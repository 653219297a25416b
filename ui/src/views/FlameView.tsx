/**
 * The flame graph of the visible time window (of the selected process, or of all): call stacks merged,
 * outermost at the top, widths by time spent; clicking a frame zooms into it, the top bar zooms out.
 */
import { useMemo, useState } from "react";
import type { FlameFrame } from "../../../src/query/api.js";
import { call } from "../api.js";
import { fmtNs } from "../format.js";
import { useApp } from "../store.js";
import { useQuery } from "../use-query.js";

interface Node {
  name: string;
  total: number;
  self: number;
  calls: number;
  kids: Map<string, Node>;
}

function build(frames: FlameFrame[]): Node {
  const root: Node = { name: "all", total: 0, self: 0, calls: 0, kids: new Map() };
  for (const f of frames) {
    let n = root;
    n.total += f.selfNs;
    for (const name of f.stack) {
      let k = n.kids.get(name);
      if (!k) n.kids.set(name, (k = { name, total: 0, self: 0, calls: 0, kids: new Map() }));
      k.total += f.selfNs;
      n = k;
    }
    n.self += f.selfNs;
    n.calls += f.calls;
  }
  return root;
}

function hue(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h % 60;
}

function Frames({
  node,
  left,
  width,
  depth,
  onZoom,
}: {
  node: Node;
  left: number;
  width: number;
  depth: number;
  onZoom: (path: Node) => void;
}) {
  const out: React.ReactNode[] = [];
  let x = left;
  for (const k of [...node.kids.values()].sort((a, b) => b.total - a.total)) {
    const w = node.total > 0 ? (k.total / node.total) * width : 0;
    if (w < 0.05) continue;
    out.push(
      <div
        key={k.name}
        className="flame-frame"
        data-testid="flame-frame"
        style={{
          left: `${x}%`,
          width: `${w}%`,
          top: depth * 18,
          background: `hsl(${10 + hue(k.name)},70%,${42 + (depth % 3) * 4}%)`,
        }}
        title={`${k.name}\n${fmtNs(k.total)} total, ${fmtNs(k.self)} self, ${k.calls} calls`}
        onClick={() => onZoom(k)}
      >
        {k.name}
      </div>,
      <Frames key={k.name + "/"} node={k} left={x} width={w} depth={depth + 1} onZoom={onZoom} />,
    );
    x += w;
  }
  return <>{out}</>;
}

function maxDepth(n: Node): number {
  let d = 0;
  for (const k of n.kids.values()) d = Math.max(d, 1 + maxDepth(k));
  return d;
}

export function FlameView() {
  const sel = useApp((s) => s.selected);
  const win = useApp((s) => s.window);
  const fromNs = win ? Math.max(0, Math.floor(win.fromNs)) : undefined;
  const toNs = win ? Math.ceil(win.toNs) : undefined;
  const frames = useQuery(
    () => call("flame", { ...(sel !== null ? { proc: sel } : {}), fromNs, toNs }),
    [sel, fromNs, toNs],
    250,
  );
  const root = useMemo(() => build(frames.data ?? []), [frames.data]);
  const [zoom, setZoom] = useState<Node | null>(null);
  const shown = zoom && frames.data ? zoom : root;
  if (frames.error) return <div className="error-inline">{frames.error}</div>;
  return (
    <div className="flame" data-testid="flame">
      <div className="muted small pad">
        {sel === null ? "all processes" : "selected process"}, visible window · {fmtNs(root.total)} in calls
        {zoom ? (
          <>
            {" "}
            · <a onClick={() => setZoom(null)}>zoom out from {zoom.name}</a>
          </>
        ) : null}
      </div>
      {frames.data && frames.data.length === 0 ? (
        <div className="muted pad" data-testid="flame-empty">
          No timed call in this window. Calls get a duration when their return is recorded: OTP behaviour
          callbacks other than GenServers&apos; (the default plan takes a GenServer&apos;s states and replies
          from its state capture instead; <code>&quot;callbackReturns&quot;: true</code> times them too), and
          functions the plan names with <code>&quot;returns&quot;: true</code>.
        </div>
      ) : null}
      <div className="flame-area" style={{ height: (maxDepth(shown) + 1) * 18 }}>
        <Frames node={shown} left={0} width={100} depth={0} onZoom={setZoom} />
      </div>
    </div>
  );
}
