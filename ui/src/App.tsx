/**
 * The Execution Cinema's layout: toolbar on top, the timeline with its track filter, the tabbed views
 * below it (crashes, sequence diagram, calls, flame graph, process tree, events) and the process
 * inspector on the right. Loads the recording's info and processes, follows live recordings, and binds
 * the keyboard (←/→ step, shift for the selected process, space plays, +/- zoom, 0 fits).
 */
import { useEffect } from "react";
import type { ProcessInfo } from "../../src/query/api.js";
import { call, followLive } from "./api.js";
import { setPlaybackScope, setPlaying, step } from "./navigate.js";
import { getState, setState, useApp } from "./store.js";
import { TimelineCanvas } from "./timeline/TimelineCanvas.js";
import { Toolbar } from "./Toolbar.js";
import { VIEWS, type ViewName } from "./url-state.js";
import { CallsView } from "./views/CallsView.js";
import { CrashesView } from "./views/CrashesView.js";
import { EventsView } from "./views/EventsView.js";
import { FlameView } from "./views/FlameView.js";
import { FlowView } from "./views/FlowView.js";
import { Inspector } from "./views/Inspector.js";
import { ProcessTreeView } from "./views/ProcessTreeView.js";
import { SequenceView } from "./views/SequenceView.js";

const TITLES: Record<ViewName, string> = {
  crashes: "Crashes",
  sequence: "Sequence",
  calls: "Call tree",
  flame: "Flame graph",
  flow: "Data flow",
  processes: "Process tree",
  events: "Events",
};

async function load(): Promise<void> {
  const [info, processes] = await Promise.all([call("info"), call("processes")]);
  const first = info.events > 0 ? await call("event", 0) : null;
  setState({
    info,
    processes,
    byId: new Map(processes.map((p: ProcessInfo) => [p.id, p])),
    startNs: Math.min(0, first?.ns ?? 0),
  });
  const c = getState().cursor;
  if (c !== null) {
    const e = await call("event", c);
    setState({ cursorNs: e.ns });
  }
}

/** Zooms the timeline around the cursor (or the middle): `factor` < 1 zooms in. */
function zoomBy(factor: number): void {
  const s = getState();
  const duration = s.info?.durationNs ?? 0;
  const w = s.window ?? { fromNs: s.startNs, toNs: duration };
  const at =
    s.cursor !== null && s.cursorNs >= w.fromNs && s.cursorNs <= w.toNs
      ? s.cursorNs
      : (w.fromNs + w.toNs) / 2;
  const span = Math.max(1000, Math.min((w.toNs - w.fromNs) * factor, duration * 1.1));
  const fromNs = at - ((at - w.fromNs) / (w.toNs - w.fromNs)) * span;
  setState({ window: { fromNs, toNs: fromNs + span } });
}

function useKeys(): void {
  useEffect(() => {
    function onKey(e: KeyboardEvent): void {
      const t = e.target as HTMLElement;
      if (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA") return;
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        void step(e.key === "ArrowRight" ? 1 : -1, e.shiftKey && getState().selected !== null);
      } else if (e.key === "+" || e.key === "=" || e.key === "-") {
        zoomBy(e.key === "-" ? 1.5 : 1 / 1.5);
      } else if (e.key === "0") {
        setState({ window: null });
      } else if (e.key === " ") {
        e.preventDefault();
        setPlaybackScope(e.shiftKey);
        setPlaying(!getState().playing);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

export function App() {
  const error = useApp((s) => s.error);
  const info = useApp((s) => s.info);
  const view = useApp((s) => s.view);
  const filter = useApp((s) => s.filter);
  useKeys();
  useEffect(() => {
    load().catch((err: unknown) => setState({ error: err instanceof Error ? err.message : String(err) }));
    return followLive(
      () =>
        void load()
          .then(() => setState({ revision: getState().revision + 1 }))
          .catch(() => {}),
    );
  }, []);

  if (error)
    return (
      <main className="fatal" data-testid="fatal">
        <h1>Cannot show this recording</h1>
        <pre data-testid="error-message">{error}</pre>
      </main>
    );
  if (!info) return <main className="loading">Opening the recording…</main>;
  return (
    <div className="app">
      <Toolbar />
      <div className="body">
        <div className="main">
          <div className="track-filter">
            <input
              placeholder="filter tracks: pid, name, module"
              value={filter}
              onChange={(e) => setState({ filter: e.target.value })}
            />
            <span className="muted small">
              wheel or +/-: zoom · drag: pan · shift+wheel: scroll tracks · click: cursor · ←/→: step
            </span>
          </div>
          <TimelineCanvas filter={filter} />
          <nav className="tabs">
            {VIEWS.map((v) => (
              <button
                key={v}
                data-testid={`tab-${v}`}
                className={v === view ? "active" : ""}
                onClick={() => setState({ view: v })}
              >
                {TITLES[v]}
              </button>
            ))}
          </nav>
          <div className="panel" data-testid={`view-${view}`}>
            {view === "crashes" ? <CrashesView /> : null}
            {view === "sequence" ? <SequenceView /> : null}
            {view === "calls" ? <CallsView /> : null}
            {view === "flame" ? <FlameView /> : null}
            {view === "flow" ? <FlowView /> : null}
            {view === "processes" ? <ProcessTreeView /> : null}
            {view === "events" ? <EventsView /> : null}
          </div>
        </div>
        <Inspector />
      </div>
    </div>
  );
}
