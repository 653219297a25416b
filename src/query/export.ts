/**
 * Exports a recording for other tools, reading it page by page so that memory stays flat:
 * - `perfetto`: Chrome trace-event JSON, which Perfetto's UI and chrome://tracing open. Each process is a
 *   thread (named by its registered name or pid), timed calls are slices, other events instants, and each
 *   received message a flow arrow from its send to its receive.
 * - `jsonl`: one JSON object per event, as `history` gives them, with the pids (and registered names) of its
 *   processes beside their ids: `"proc": 218, "procPid": "<0.173.0>", "procName": "SampleApp.Door"`.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import type { EventRow, Recording } from "./api.js";

const PAGE = 10_000;

async function* allEvents(rec: Recording): AsyncGenerator<EventRow> {
  let after = -1;
  for (;;) {
    const page = await rec.events({ after, limit: PAGE });
    for (const e of page.items) yield e;
    if (page.next === null) return;
    after = page.next;
  }
}

/** Lines gathered before they are written: one write (and one wait for the stream) per this many bytes. */
const WRITE_BYTES = 1 << 16;

function writer(path: string | undefined): { write: (s: string) => Promise<void>; end: () => Promise<void> } {
  const stream: WriteStream | NodeJS.WriteStream = path ? createWriteStream(path) : process.stdout;
  let pending: string[] = [];
  let size = 0;
  const flush = () =>
    new Promise<void>((resolve) => {
      const text = pending.join("");
      pending = [];
      size = 0;
      if (stream.write(text)) resolve();
      else stream.once("drain", () => resolve());
    });
  return {
    write: (s) => {
      pending.push(s);
      size += s.length;
      return size >= WRITE_BYTES ? flush() : Promise.resolve();
    },
    end: async () => {
      if (size > 0) await flush();
      await new Promise<void>((resolve) => (path ? (stream as WriteStream).end(resolve) : resolve()));
    },
  };
}

/** Writes `rec` to `path` (standard output without one); returns the number of events written. */
export async function exportRecording(
  rec: Recording,
  format: "perfetto" | "jsonl",
  path?: string,
): Promise<number> {
  const w = writer(path);
  let n = 0;
  if (format === "jsonl") {
    const procs = await rec.processes();
    // Each process's pid and name as JSON once, put after its id in every line that names it.
    const names = (key: "proc" | "other") =>
      procs.map(
        (p) =>
          `,"${key}Pid":${JSON.stringify(p.pid)}${p.name ? `,"${key}Name":${JSON.stringify(p.name)}` : ""}`,
      );
    const named = { proc: names("proc"), other: names("other") };
    for await (const e of allEvents(rec)) {
      let line = "{";
      for (const [k, v] of Object.entries(e)) {
        if (v === undefined) continue;
        line += `${line.length > 1 ? "," : ""}${JSON.stringify(k)}:${JSON.stringify(v)}`;
        if ((k === "proc" || k === "other") && typeof v === "number") line += named[k][v] ?? "";
      }
      await w.write(line + "}\n");
      n++;
    }
    await w.end();
    return n;
  }
  const us = (ns: number) => ns / 1000;
  let first = true;
  const put = async (o: unknown) => {
    await w.write((first ? "" : ",\n") + JSON.stringify(o));
    first = false;
  };
  await w.write('{"displayTimeUnit":"ns","traceEvents":[\n');
  const info = rec.info();
  await put({ ph: "M", pid: 1, name: "process_name", args: { name: info.node } });
  for (const p of await rec.processes()) {
    if (p.events === 0) continue;
    await put({
      ph: "M",
      pid: 1,
      tid: p.id,
      name: "thread_name",
      args: { name: p.name ? `${p.name} ${p.pid}` : p.pid },
    });
  }
  const open = new Map<number, EventRow>();
  for await (const e of allEvents(rec)) {
    n++;
    const base = { pid: 1, tid: e.proc, ts: us(e.ns) };
    if (e.kind === "call" && e.link !== null) {
      open.set(e.seq, e);
      continue;
    }
    if ((e.kind === "return" || e.kind === "exception") && e.link !== null && open.has(e.link)) {
      const c = open.get(e.link)!;
      open.delete(e.link);
      await put({
        ...base,
        ph: "X",
        name: c.mfa,
        ts: us(c.ns),
        dur: us(e.ns - c.ns),
        args: { seq: c.seq, result: e.text },
      });
      continue;
    }
    const name = e.mfa ? `${e.kind} ${e.mfa}` : e.kind;
    await put({ ...base, ph: "i", s: "t", name, args: { seq: e.seq, term: e.text } });
    if (e.kind === "send" && e.link !== null)
      await put({ ...base, ph: "s", id: e.seq, name: "message", cat: "message" });
    if (e.kind === "receive" && e.link !== null)
      await put({ ...base, ph: "f", bp: "e", id: e.link, name: "message", cat: "message" });
  }
  for (const c of open.values())
    await put({ pid: 1, tid: c.proc, ts: us(c.ns), ph: "B", name: c.mfa, args: { seq: c.seq } });
  await w.write("\n]}\n");
  await w.end();
  return n;
}
