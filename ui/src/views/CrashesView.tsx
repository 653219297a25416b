/**
 * Crashes: every process that exited abnormally, with its reason, the process that replaced it, and the
 * causal chain back to the message or call that caused it; each step puts the cursor on its event.
 */
import { useEffect, useRef } from "react";
import { call } from "../api.js";
import { useApp } from "../store.js";
import { TermText } from "../term/TermView.js";
import { useQuery } from "../use-query.js";
import { ProcLink, SeqLink } from "./ProcLink.js";

export function CrashesView() {
  const revision = useApp((s) => s.revision);
  const crashes = useQuery(() => call("crashes"), [revision]);
  const cursor = useApp((s) => s.cursor);
  const selected = useApp((s) => s.selected);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.querySelector(".crash.selected")?.scrollIntoView({ block: "nearest" });
  }, [selected, crashes.data]);
  if (crashes.error) return <div className="error-inline">{crashes.error}</div>;
  if (!crashes.data) return <div className="muted pad">loading…</div>;
  if (crashes.data.length === 0)
    return <div className="muted pad">No process crashed in this recording.</div>;
  return (
    <div className="crashes" data-testid="crashes" ref={box}>
      {crashes.data.map((c) => (
        <div key={c.seq} className={`crash ${c.proc === selected ? "selected" : ""}`} data-testid="crash">
          <div className="crash-head">
            <span className="crash-x">✕</span> <ProcLink id={c.proc} /> crashed at{" "}
            <SeqLink seq={c.seq} proc={c.proc} />
            {c.restartedAs !== null ? (
              <>
                {" "}
                · restarted as <ProcLink id={c.restartedAs} />
              </>
            ) : null}
          </div>
          <div className="mono reason" data-testid="crash-reason">
            <TermText text={c.reason} max={600} />
          </div>
          <ol className="chain">
            {c.chain.map((step, i) => (
              <li
                key={i}
                className={`chain-step ${cursor === step.seq ? "at-cursor" : ""}`}
                data-testid="chain-step"
                data-seq={step.seq}
              >
                <span className="relation">{step.relation}</span> <ProcLink id={step.proc} />{" "}
                <SeqLink seq={step.seq} proc={step.proc}>
                  <span className="kind">{step.kind}</span> #{step.seq}
                </SeqLink>{" "}
                <span className="mono">
                  <TermText text={step.text} max={300} />
                </span>
              </li>
            ))}
          </ol>
        </div>
      ))}
    </div>
  );
}
