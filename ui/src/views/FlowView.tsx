/**
 * Data flow: where did the value at the cursor come from? The event at the cursor and a value to look for
 * (by default its own term; any Elixir value or pattern, such as `10` or `{:transfer, _, _, _}`), and the
 * earlier events that carried it, newest first, each with where in its term the value sits; clicking one
 * moves the cursor there and looks back from there for the same value (it is in the URL), so the trail can
 * be followed back step by step.
 */
import { useEffect, useState } from "react";
import { call } from "../api.js";
import { fmtNs } from "../format.js";
import { setState, useApp } from "../store.js";
import { TermText } from "../term/TermView.js";
import { useQuery } from "../use-query.js";
import { Partner, ProcLink, SeqLink } from "./ProcLink.js";

export function FlowView() {
  const cursor = useApp((s) => s.cursor);
  const revision = useApp((s) => s.revision);
  const value = useApp((s) => s.flowValue);
  const [typed, setTyped] = useState(value);
  useEffect(() => setTyped(value), [value]);
  const event = useQuery(() => (cursor === null ? null : call("event", cursor)), [cursor, revision]);
  const origins = useQuery(
    () =>
      cursor === null
        ? null
        : call("origins", cursor, { limit: 100, ...(value === "" ? {} : { pattern: value }) }),
    [cursor, value, revision],
  );
  if (cursor === null)
    return <div className="muted pad">Put the cursor on an event to see where its values came from.</div>;
  return (
    <div className="flow" data-testid="flow">
      <form
        className="flow-ask"
        onSubmit={(e) => {
          e.preventDefault();
          setState({ flowValue: typed.trim() });
        }}
      >
        <span>
          Where did{" "}
          <input
            data-testid="flow-value"
            placeholder={
              event.data?.text
                ? "its term, or a value or pattern: 10, {:transfer, _, _, _}"
                : "a value or pattern"
            }
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />{" "}
          in <SeqLink seq={cursor}>#{cursor}</SeqLink> come from?
        </span>{" "}
        <button type="submit">Look back</button>
      </form>
      {event.data ? (
        <div className="mono muted small flow-event">
          {event.data.kind} <TermText text={event.data.text ?? ""} max={300} />
        </div>
      ) : null}
      {origins.error ? <div className="error-inline">{origins.error}</div> : null}
      {origins.loading && !origins.data ? <div className="muted pad">looking back…</div> : null}
      {origins.data && origins.data.items.length === 0 ? (
        <div className="muted pad">No earlier event carried {value === "" ? "this term" : value}.</div>
      ) : null}
      {origins.data ? (
        <ol className="flow-list">
          {origins.data.items.map((o) => (
            <li key={o.seq} className="flow-step" data-testid="flow-step" data-seq={o.seq}>
              <span className="num muted">{fmtNs(o.ns)}</span> <ProcLink id={o.proc} />{" "}
              <SeqLink seq={o.seq} proc={o.proc}>
                <span className="kind">{o.kind}</span> #{o.seq}
              </SeqLink>{" "}
              {o.mfa ? <span className="mono">{o.mfa} </span> : null}
              {o.other !== null ? (
                <>
                  <Partner event={o} />{" "}
                </>
              ) : null}
              {o.path ? (
                <span className="flow-path" title="where the value is in this event's term">
                  at {o.path}
                </span>
              ) : null}{" "}
              <span className="mono">
                <TermText text={o.text ?? ""} max={300} />
              </span>
            </li>
          ))}
        </ol>
      ) : null}
      {origins.data?.next != null ? (
        <div className="muted small pad">
          Showing the newest {origins.data.items.length}; earlier ones are further back.
        </div>
      ) : null}
    </div>
  );
}
