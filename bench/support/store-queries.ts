/**
 * Query latencies on a big recording, through the public API (`openRecording` and `Recording`), each
 * against a floor measured in the same run: the bare SQL the answer needs at least, through `sql()` on the
 * same connection (for `open`: DuckDB opening the file read-only and reading its `meta`). Each question is
 * asked cold (first time on a fresh open) and then warm several times; medians are reported.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { openRecording } from "../../src/query/engine.js";
import type { Recording } from "../../src/query/api.js";
import { K } from "../../src/store/schema.js";
import { atom, ErlMap } from "../../src/etf/terms.js";
import { encode } from "../../src/etf/encode.js";
import type { WorkloadFacts } from "./synthetic-workload.js";

export interface Latency {
  name: string;
  coldMs: number;
  warmMs: number;
  floorMs: number;
  /** The target, where it sets one. */
  targetMs: number | null;
  note?: string;
}

const WARM_RUNS = 7;

async function ms(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Cold: the first call; warm: the median of the next runs; floor: the median of the baseline's runs. */
async function latency(
  name: string,
  targetMs: number | null,
  ask: () => Promise<unknown>,
  floor: () => Promise<unknown>,
  note?: string,
): Promise<Latency> {
  const coldMs = await ms(ask);
  const warm: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    floors.push(await ms(floor));
    warm.push(await ms(ask));
  }
  return { name, coldMs, warmMs: median(warm), floorMs: median(floors), targetMs, note };
}

async function rawOpen(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  await con.runAndReadAll("SELECT key, value FROM meta");
  con.closeSync();
  instance.closeSync();
}

/** Asks the recording at `path` (written from a workload with `facts`) the benchmark's questions. */
export async function queryLatencies(path: string, facts: WorkloadFacts): Promise<Latency[]> {
  const out: Latency[] = [];
  out.push(
    await latency(
      "open (openRecording + close)",
      1000,
      async () => (await openRecording(path)).close(),
      () => rawOpen(path),
    ),
  );
  const rec: Recording = await openRecording(path);
  try {
    // The first question naming a process builds the process list (one aggregate over the events).
    const processList = await ms(() => rec.resolveProcess(facts.genservers[0]!));
    const listFloor: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++)
      listFloor.push(
        await ms(() => rec.sql("SELECT proc, min(seq), max(seq), count(*) FROM events GROUP BY proc")),
      );
    out.push({
      name: "process list (the first resolveProcess after open)",
      coldMs: processList,
      warmMs: await ms(() => rec.resolveProcess(facts.genservers[0]!)),
      floorMs: median(listFloor),
      targetMs: null,
      note: "no target of its own: the CLI pays it once per question, after open; warm: one call, the list is kept",
    });
    const server = (await rec.resolveProcess(facts.genservers[0]!)).id;
    const client = (await rec.resolveProcess(facts.pair[0])).id;
    const partner = (await rec.resolveProcess(facts.pair[1])).id;

    out.push(
      await latency(
        "history: first page (50 events) of a GenServer",
        50,
        () => rec.history(server),
        () => rec.sql(`SELECT * FROM events WHERE proc = ${server} ORDER BY seq LIMIT 51`),
      ),
    );

    // The state just after a state event whose balance the workload remembered.
    if (!facts.probe) throw new Error("the workload has no state probe");
    const at = facts.probe.seq;
    const state = await rec.stateAt(server, at);
    const balance = state?.state instanceof ErlMap ? state.state.get(atom("balance")) : undefined;
    if (state?.seq !== at || balance !== facts.probe.balance)
      throw new Error(
        `stateAt(${facts.genservers[0]}, ${at}): ${state?.text ?? "no state"}, expected balance ${facts.probe.balance}`,
      );
    out.push(
      await latency(
        `stateAt: a GenServer's state at event ${at.toLocaleString("en-US")}`,
        50,
        () => rec.stateAt(server, at),
        () =>
          rec.sql(`SELECT * FROM states WHERE proc = ${server} AND seq <= ${at} ORDER BY seq DESC LIMIT 1`),
        `checked: the balance the workload left there`,
      ),
    );

    if (!facts.crashed) throw new Error("the workload has no crash");
    const crashed = (await rec.resolveProcess(facts.crashed)).id;
    const exit = await rec.sql(`SELECT seq FROM events WHERE proc = ${crashed} AND kind = ${K.exit}`);
    const exitSeq = exit.rows[0]?.[0] as number | undefined;
    if (exitSeq === undefined) throw new Error(`no exit event for ${facts.crashed}`);
    // From the exit back to the client's send of the bad input: a receive and a send per relay.
    const maxHops = 2 * facts.relays;
    const chain = await rec.why(exitSeq, maxHops);
    const hops = chain.length - 1;
    const root = chain[chain.length - 1]!;
    const origin = (await rec.resolveProcess(facts.crashOrigin!)).id;
    if (hops < 10 || root.proc !== origin || root.kind !== "send" || !root.text.includes(":bad_input"))
      throw new Error(
        `why(${exitSeq}) walked ${hops} hops to ${root.kind} ${root.text} in process ${root.proc}`,
      );
    const seqs = chain.map((s) => s.seq);
    out.push(
      await latency(
        `why: the crash's causal chain (${hops} hops)`,
        100,
        () => rec.why(exitSeq, maxHops),
        async () => {
          for (const s of seqs) await rec.sql(`SELECT * FROM events WHERE seq = ${s}`);
        },
        `from ${facts.crashed}'s exit back to ${facts.crashOrigin}'s send of the bad input`,
      ),
    );

    const page = await rec.messages(client, partner);
    if (page.items.length === 0) throw new Error(`no messages between ${facts.pair.join(" and ")}`);
    out.push(
      await latency(
        "messages(A, B): first page (100) between a client and its GenServer",
        100,
        () => rec.messages(client, partner),
        () =>
          rec.sql(
            `SELECT * FROM messages WHERE (sender = ${client} AND receiver = ${partner})
               OR (sender = ${partner} AND receiver = ${client}) ORDER BY coalesce(send_seq, receive_seq) LIMIT 101`,
          ),
      ),
    );

    // The data view: where the balance at the probe came from, looking back from it.
    const value = String(facts.probe.balance);
    let carriers = 0;
    const valueHex = encode(facts.probe.balance).subarray(1).toString("hex").toUpperCase();
    out.push(
      await latency(
        `flow: the 20 latest events carrying the balance ${value} before event ${at.toLocaleString("en-US")}`,
        null,
        async () => (carriers = (await rec.origins(at, { pattern: value, limit: 20 })).items.length),
        () => rec.sql(`SELECT id FROM terms WHERE contains(hex(etf), '${valueHex}')`),
        "no target of its own; floor: DuckDB's pass over the terms for the value's bytes",
      ),
    );
    if (carriers === 0) throw new Error(`origins(${at}, ${value}): nothing found`);

    // The code view: one GenServer's call graph, and the whole recording's.
    out.push(
      await latency(
        "callGraph of a GenServer",
        null,
        () => rec.callGraph({ proc: server }),
        () =>
          rec.sql(
            `SELECT mfa, count(*) FROM events WHERE proc = ${server} AND kind = ${K.call} GROUP BY mfa`,
          ),
        "no target of its own",
      ),
    );
    out.push(
      await latency(
        "callGraph of the whole recording",
        null,
        () => rec.callGraph(),
        () => rec.sql(`SELECT mfa, count(*) FROM events WHERE kind = ${K.call} GROUP BY mfa`),
        "no target of its own",
      ),
    );
  } finally {
    await rec.close();
  }
  return out;
}
