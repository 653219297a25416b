/**
 * The top bar: what recording this is, the playback controls (previous/next event anywhere or of the
 * selected process, play and pause, zoom to fit), the cursor's position, and the search box.
 */
import { fmtNs } from "./format.js";
import { setPlaybackScope, setPlaying, setPlayRate, step } from "./navigate.js";
import { setState, useApp } from "./store.js";
import { SearchBox } from "./views/SearchBox.js";

export function Toolbar() {
  const info = useApp((s) => s.info);
  const cursor = useApp((s) => s.cursor);
  const cursorNs = useApp((s) => s.cursorNs);
  const playing = useApp((s) => s.playing);
  const selected = useApp((s) => s.selected);
  const name = info?.path.split("/").pop() ?? "";
  return (
    <header className="toolbar">
      <div className="brand" title={info?.path}>
        <b>ElixirScope</b> <span className="muted">{name}</span>
        {info ? (
          <span className="muted small">
            {" "}
            {info.node} · {info.events.toLocaleString("en-US")} events · {info.processes} processes ·{" "}
            {fmtNs(info.durationNs)}
            {info.complete ? "" : " · cut off"}
          </span>
        ) : null}
      </div>
      <div className="controls">
        <button
          data-testid="prev-proc"
          title="previous event of the selected process (shift+←)"
          disabled={selected === null}
          onClick={() => void step(-1, true)}
        >
          ← proc
        </button>
        <button data-testid="prev" title="previous event (←)" onClick={() => void step(-1, false)}>
          ←
        </button>
        <button
          data-testid="play"
          title="play / pause (space)"
          onClick={() => {
            setPlaybackScope(false);
            setPlaying(!playing);
          }}
        >
          {playing ? "❚❚" : "▶"}
        </button>
        <select
          title="events per second while playing"
          defaultValue="8"
          onChange={(e) => setPlayRate(Number(e.target.value))}
        >
          {[2, 8, 32, 128].map((n) => (
            <option key={n} value={n}>
              {n}/s
            </option>
          ))}
        </select>
        <button data-testid="next" title="next event (→)" onClick={() => void step(1, false)}>
          →
        </button>
        <button
          data-testid="next-proc"
          title="next event of the selected process (shift+→)"
          disabled={selected === null}
          onClick={() => void step(1, true)}
        >
          proc →
        </button>
        <button title="zoom to fit the whole recording" onClick={() => setState({ window: null })}>
          fit
        </button>
        <span className="cursor-pos" data-testid="cursor-pos">
          {cursor === null ? "no cursor" : `#${cursor} · ${fmtNs(cursorNs)}`}
        </span>
      </div>
      <SearchBox />
    </header>
  );
}
