/**
 * The process inspector: for the selected process at the cursor, what it is (pid, name, behaviour, alive
 * or dead and why), its state with the changes against its previous state and the message that caused
 * them, its mailbox, links and monitors, its current call stack, and the event under the cursor (with its
 * other process: `link <0.12.0> with SampleApp.Bank.Teller`).
 */
import { useState } from "react";
import { call } from "../api.js";
import { fmtNs } from "../format.js";
import { useApp } from "../store.js";
import { TermText, TermView } from "../term/TermView.js";
import { useQuery } from "../use-query.js";
import { Partner, ProcLink, SeqLink } from "./ProcLink.js";
import type { MailboxView, MonitorView } from "../../../src/query/api.js";

function Section({ title, children, testid }: { title: string; children: React.ReactNode; testid?: string }) {
  return (
    <section className="insp-section" data-testid={testid}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function Err({ e }: { e: string | null }) {
  return e ? <div className="error-inline">{e}</div> : null;
}

/** An event's term: its folded text, and on request the whole term, expandable. */
function EventTerm({ seq, text }: { seq: number; text: string }) {
  const [full, setFull] = useState(false);
  const term = useQuery(() => (full ? call("term", { seq, slot: "main" }) : null), [full, seq]);
  if (full && term.data)
    return (
      <div className="term-box mono" data-testid="event-term">
        <TermView term={term.data.term} />
      </div>
    );
  return (
    <div className="mono">
      <TermText text={text} max={300} />{" "}
      <a className="small" data-testid="expand-term" onClick={() => setFull(true)}>
        {term.loading && full ? "…" : "expand"}
      </a>
      <Err e={term.error} />
    </div>
  );
}

/** Monitors at the cursor, each with the other process, where it began and how it will end. */
function MonitorList({
  label,
  list,
  other,
}: {
  label: string;
  list: MonitorView[] | undefined;
  other: (m: MonitorView) => number | null;
}) {
  if (!list || list.length === 0) return null;
  return (
    <div className="kv" data-testid={`monitors-${label.replace(/ /g, "-")}`}>
      {list.map((m, i) => (
        <div key={m.seq ?? `start-${i}`} className="small">
          {label}{" "}
          {other(m) !== null ? <ProcLink id={other(m)} /> : <span className="mono">{m.targetText}</span>}
          {other(m) !== null && m.targetText !== null && !m.targetText.startsWith("#PID") ? (
            <span className="muted mono"> as {m.targetText}</span>
          ) : null}{" "}
          <span className="muted">
            since {m.seq !== null ? <SeqLink seq={m.seq} /> : "the start"}
            {m.endSeq !== null ? (
              <>
                , until <SeqLink seq={m.endSeq} /> ({endText(m)})
              </>
            ) : null}
          </span>
        </div>
      ))}
    </div>
  );
}

function endText(m: MonitorView): string {
  if (m.ended === "demonitor") return "demonitor";
  if (m.ended === "watcher_exit") return "watcher exit";
  return m.reason !== null ? `:DOWN ${m.reason}` : ":DOWN";
}

/** What the mailbox list is based on: a GenServer's handled messages, or only what came since a plain process last acted. */
function mailboxBasis(m: MailboxView): string {
  if (m.exitSeq !== null)
    return `had exited at #${m.exitSeq}${m.exitReason ? ` (${m.exitReason})` : ""}: no mailbox`;
  if (m.basis === "states") return "received and not yet handled";
  return m.since === null
    ? "received so far; which it has taken is not known (not a GenServer with recorded states)"
    : `received since its last action #${m.since}; which it has taken is not known`;
}

export function Inspector() {
  const sel = useApp((s) => s.selected);
  const proc = useApp((s) => (s.selected === null ? undefined : s.byId.get(s.selected)));
  const cursor = useApp((s) => s.cursor);
  // With no cursor yet, the selected process is shown as it was at its last event, and says so.
  const at = cursor ?? proc?.lastSeq ?? 0;
  const revision = useApp((s) => s.revision);
  const state = useQuery(() => (sel === null ? null : call("stateAt", sel, at)), [sel, at, revision]);
  const mailbox = useQuery(() => (sel === null ? null : call("mailbox", sel, at)), [sel, at, revision]);
  const links = useQuery(() => (sel === null ? null : call("linksAt", sel, at)), [sel, at, revision]);
  const monitors = useQuery(() => (sel === null ? null : call("monitorsAt", sel, at)), [sel, at, revision]);
  const stack = useQuery(() => (sel === null ? null : call("stackAt", sel, at)), [sel, at, revision]);
  const ev = useQuery(() => (cursor === null ? null : call("event", cursor)), [cursor]);

  const event = ev.data;
  return (
    <aside className="inspector" data-testid="inspector">
      <Section title="Event at cursor" testid="cursor-event">
        {event ? (
          <div className="kv">
            <div>
              <SeqLink seq={event.seq} /> <span className="kind">{event.kind}</span>{" "}
              <ProcLink id={event.proc} /> <Partner event={event} />{" "}
              <span className="muted">{fmtNs(event.ns)}</span>
            </div>
            {event.mfa ? <div className="mono">{event.mfa}</div> : null}
            {event.caller ? <div className="mono muted">called from {event.caller}</div> : null}
            {event.text !== null ? <EventTerm key={event.seq} seq={event.seq} text={event.text} /> : null}
          </div>
        ) : (
          <div className="muted">No cursor yet: click the timeline or press → to step.</div>
        )}
      </Section>
      {proc === undefined ? (
        <div className="muted pad">Select a process (timeline, process tree, search) to inspect it.</div>
      ) : (
        <>
          <Section title="Process" testid="inspector-process">
            <div className="proc-head">
              <span className="proc-name">{proc.name ?? proc.pid}</span>{" "}
              <span className="muted">{proc.pid}</span> <span className="badge">{proc.behaviour}</span>
            </div>
            <div className="kv">
              {proc.initialCall ? <div className="mono">initial call {proc.initialCall}</div> : null}
              <div>
                {proc.exitSeq !== null && proc.exitSeq <= at ? (
                  <span className={proc.crashed ? "crashed" : "muted"}>
                    dead at <SeqLink seq={proc.exitSeq} />: <TermText text={proc.exitReason} max={240} />
                  </span>
                ) : proc.spawnSeq !== null && proc.spawnSeq > at ? (
                  <span className="muted">not started yet</span>
                ) : cursor === null ? (
                  <span className="alive">alive (no exit recorded)</span>
                ) : (
                  <span className="alive">alive at cursor</span>
                )}
              </div>
              {cursor === null ? (
                <div className="muted small" data-testid="inspector-no-cursor">
                  No cursor yet: shown at its last event, <SeqLink seq={at} />.
                </div>
              ) : null}
              {proc.supervisor !== null ? (
                <div>
                  supervisor <ProcLink id={proc.supervisor} />
                </div>
              ) : null}
              {proc.parent !== null ? (
                <div>
                  spawned by <ProcLink id={proc.parent} />
                </div>
              ) : null}
              {proc.restartOf !== null ? (
                <div>
                  restart of <ProcLink id={proc.restartOf} />
                </div>
              ) : null}
            </div>
          </Section>
          <Section
            title={cursor === null ? "State at its last event" : "State at cursor"}
            testid="inspector-state"
          >
            <Err e={state.error} />
            {state.data ? (
              <>
                <div className="muted small">
                  from <SeqLink seq={state.data.seq} /> at {fmtNs(state.data.ns)}
                  {state.data.trigger ? (
                    <>
                      {" "}
                      after{" "}
                      {state.data.trigger.seq !== null ? (
                        <SeqLink seq={state.data.trigger.seq}>
                          <TermText text={state.data.trigger.text} max={120} />
                        </SeqLink>
                      ) : (
                        <TermText text={state.data.trigger.text} max={120} />
                      )}
                    </>
                  ) : null}
                </div>
                <div className="term-box mono" data-testid="state-term">
                  <TermView key={`${sel}:${state.data.seq}`} term={state.data.state} />
                </div>
                {state.data.diff.length > 0 ? (
                  <table className="diff" data-testid="state-diff">
                    <tbody>
                      {state.data.diff.map((c, i) => (
                        <tr key={i} className={`diff-${c.kind}`}>
                          <td className="mono">{c.path || "(whole)"}</td>
                          <td className="mono before">{c.before ?? ""}</td>
                          <td>→</td>
                          <td className="mono after">{c.after ?? ""}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <div className="muted small">no change against the previous state</div>
                )}
                {state.data.reply !== null ? (
                  <div className="small">
                    reply <span className="mono">{state.data.reply}</span>
                  </div>
                ) : null}
              </>
            ) : state.loading ? null : (
              <div className="muted">no state recorded at this point</div>
            )}
          </Section>
          <Section title={`Mailbox (${mailbox.data?.messages.length ?? 0})`} testid="inspector-mailbox">
            <Err e={mailbox.error} />
            {mailbox.data ? <div className="muted small">{mailboxBasis(mailbox.data)}</div> : null}
            {(mailbox.data?.messages ?? []).map((m, i) => (
              <div key={i} className="mono small">
                {m.sendSeq !== null ? <SeqLink seq={m.sendSeq} /> : null} from <ProcLink id={m.from} />:{" "}
                <TermText text={m.text} max={160} />
              </div>
            ))}
          </Section>
          <Section title="Links" testid="inspector-links">
            <Err e={links.error} />
            <div className="chips">
              {(links.data ?? []).map((id) => (
                <ProcLink key={id} id={id} />
              ))}
              {links.data?.length === 0 ? <span className="muted">none</span> : null}
            </div>
          </Section>
          <Section title="Monitors" testid="inspector-monitors">
            <Err e={monitors.error} />
            <MonitorList label="watches" list={monitors.data?.holds} other={(m) => m.target} />
            <MonitorList label="watched by" list={monitors.data?.on} other={(m) => m.watcher} />
            {monitors.data && monitors.data.holds.length + monitors.data.on.length === 0 ? (
              <span className="muted">none</span>
            ) : null}
          </Section>
          <Section title="Call stack" testid="inspector-stack">
            <Err e={stack.error} />
            {(stack.data ?? []).map((f, i) => (
              <div key={f.callSeq} className="mono small" style={{ paddingLeft: i * 8 }}>
                <SeqLink seq={f.callSeq}>{f.mfa}</SeqLink>{" "}
                {f.args ? <TermText text={f.args} max={120} /> : null}
              </div>
            ))}
            {stack.data?.length === 0 ? <span className="muted">no call in progress</span> : null}
          </Section>
        </>
      )}
    </aside>
  );
}
