/**
 * ETF decode throughput on trace-event-shaped terms, against JSON.parse of the same events as a baseline
 * measured in the same run.
 *
 * `erl` is asked once for 1,000 real `term_to_binary` encodings in five shapes that tracing produces (call
 * with arguments, return_from, receive of a gen_server call, send, spawn with a map argument), with pids of
 * a named node, references, atoms, small integers, charlists and short binaries. Without `erl`, the same
 * shapes are built with our encoder. They are repeated into 1,000,000 records in one buffer, and every
 * record is decoded with `decode`. The baseline is the same events as JSON text (tuples as arrays, atoms and
 * pids as strings), one record per event in one buffer, each turned into a string and parsed.
 *
 * Run directly: `node dist/bench/etf-decode.js`, or through `npm run bench -- etf`.
 */
import { readFile, rm, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { decode, encode } from "../src/etf/index.js";
import {
  atom,
  Atom,
  BitBinary,
  binary,
  charlist,
  ErlFloat,
  ErlMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Reference,
  Tuple,
  tuple,
  type Term,
} from "../src/etf/terms.js";
import { runErl } from "../test/support/erl.js";
import type { BenchResult } from "./result.js";

const EVENTS = 1_000_000;
const DISTINCT = 1000;

/** Writes DISTINCT encodings to FILE as 4-byte-length-prefixed records. */
const ERL_GENERATOR = `
Node = 'app@tracehost',
P = fun(Id) -> binary_to_term(<<131,88,119,(byte_size(atom_to_binary(Node))), (atom_to_binary(Node))/binary,
                                 Id:32, 0:32, 1700000000:32>>) end,
R = fun(I) -> binary_to_term(<<131,90,0,3,119,(byte_size(atom_to_binary(Node))), (atom_to_binary(Node))/binary,
                                1700000000:32, I:32, 3412:32, 77:32>>) end,
Ts = fun(I) -> {1700, 123456 + I rem 1000, (I * 7919) rem 1000000} end,
Mods = [gen_server, 'Elixir.MyApp.Worker', ets, 'Elixir.Phoenix.Endpoint', lists],
Funs = [handle_call, lookup, insert, call, map, init, handle_info],
Shape = fun(I) ->
  Pid = P(100 + I rem 300),
  Mod = lists:nth(1 + I rem length(Mods), Mods),
  Fun = lists:nth(1 + I rem length(Funs), Funs),
  case I rem 5 of
    0 -> {trace_ts, Pid, call, {Mod, Fun, [I rem 200, <<"user:", (integer_to_binary(I))/binary>>]}, Ts(I)};
    1 -> {trace_ts, Pid, return_from, {Mod, Fun, 2}, {ok, <<"value-", (integer_to_binary(I))/binary>>}, Ts(I)};
    2 -> {trace_ts, Pid, 'receive', {'$gen_call', {P(500 + I rem 50), R(I)}, {get, I rem 100}}, Ts(I)};
    3 -> {trace_ts, Pid, send, {event, I rem 256, "payload"}, P(900 + I rem 7), Ts(I)};
    4 -> {trace_ts, Pid, spawn, P(2000 + I), {Mod, init, [#{id => I rem 1000, name => <<"worker">>}]}, Ts(I)}
  end
end,
Bin = << <<(byte_size(B)):32, B/binary>> || I <- lists:seq(0, ${DISTINCT - 1}), B <- [term_to_binary(Shape(I))] >>,
ok = file:write_file(os:getenv("ETF_BENCH_FILE"), Bin),
halt().
`;

async function erlangEncodings(): Promise<Buffer[] | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "etf-bench-"));
  try {
    const file = join(dir, "events.bin");
    await runErl(["-noshell", "-eval", ERL_GENERATOR], { env: { ETF_BENCH_FILE: file } });
    const data = await readFile(file);
    const out: Buffer[] = [];
    for (let p = 0; p < data.length;) {
      const n = data.readUInt32BE(p);
      out.push(data.subarray(p + 4, p + 4 + n));
      p += 4 + n;
    }
    return out;
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same shapes, built here, for machines without `erl`. */
function ourEncodings(): Buffer[] {
  const node = atom("app@tracehost");
  const pid = (id: number): Pid => new Pid(node, id, 0, 1700000000);
  const ts = (i: number): Tuple => tuple(1700, 123456 + (i % 1000), (i * 7919) % 1000000);
  const mods = ["gen_server", "Elixir.MyApp.Worker", "ets", "Elixir.Phoenix.Endpoint", "lists"].map(atom);
  const funs = ["handle_call", "lookup", "insert", "call", "map", "init", "handle_info"].map(atom);
  const out: Buffer[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const p = pid(100 + (i % 300));
    const mod = mods[i % mods.length]!;
    const fun = funs[i % funs.length]!;
    let t: Term;
    switch (i % 5) {
      case 0:
        t = tuple(atom("trace_ts"), p, atom("call"), tuple(mod, fun, [i % 200, binary(`user:${i}`)]), ts(i));
        break;
      case 1:
        t = tuple(
          atom("trace_ts"),
          p,
          atom("return_from"),
          tuple(mod, fun, 2),
          tuple(atom("ok"), binary(`value-${i}`)),
          ts(i),
        );
        break;
      case 2: {
        const ref = new Reference(node, 1700000000, [i, 3412, 77]);
        const msg = tuple(atom("$gen_call"), tuple(pid(500 + (i % 50)), ref), tuple(atom("get"), i % 100));
        t = tuple(atom("trace_ts"), p, atom("receive"), msg, ts(i));
        break;
      }
      case 3:
        t = tuple(
          atom("trace_ts"),
          p,
          atom("send"),
          tuple(atom("event"), i % 256, charlist("payload")),
          pid(900 + (i % 7)),
          ts(i),
        );
        break;
      default: {
        const args = new ErlMap([
          [atom("id"), i % 1000],
          [atom("name"), binary("worker")],
        ]);
        t = tuple(atom("trace_ts"), p, atom("spawn"), pid(2000 + i), tuple(mod, atom("init"), [args]), ts(i));
      }
    }
    out.push(encode(t));
  }
  return out;
}

/** The JSON a JSON-based tracer would send for the same event. */
function toJson(t: Term): unknown {
  if (typeof t === "number") return t;
  if (typeof t === "bigint") return t.toString();
  if (t instanceof Atom) return t.name;
  if (t instanceof Tuple) return t.elements.map(toJson);
  if (Array.isArray(t)) return t.map(toJson);
  if (t instanceof Uint8Array) return Buffer.from(t).toString("utf8");
  if (t instanceof Pid) return `<${t.node.name}.${t.id}.${t.serial}>`;
  if (t instanceof Reference) return `#Ref<${t.node.name}.${t.ids.join(".")}>`;
  if (t instanceof ErlMap)
    return Object.fromEntries(t.entries.map(([k, v]) => [String(toJson(k)), toJson(v)]));
  if (t instanceof ErlFloat) return t.value;
  if (t instanceof ImproperList || t instanceof BitBinary || t instanceof Port) return String(t);
  if (t instanceof ExportFun || t instanceof LocalFun) return "fun";
  return null;
}

/** Records repeated to EVENTS, packed into one buffer, with their start offsets (and the end at [EVENTS]). */
function pack(records: Buffer[]): { data: Buffer; offsets: Uint32Array } {
  let total = 0;
  for (let i = 0; i < EVENTS; i++) total += records[i % records.length]!.length;
  const data = Buffer.allocUnsafe(total);
  const offsets = new Uint32Array(EVENTS + 1);
  let p = 0;
  for (let i = 0; i < EVENTS; i++) {
    offsets[i] = p;
    p += records[i % records.length]!.copy(data, p);
  }
  offsets[EVENTS] = p;
  return { data, offsets };
}

function timeIt(fn: () => number): { seconds: number; check: number } {
  const started = process.hrtime.bigint();
  const check = fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, check };
}

function decodeAll(data: Buffer, offsets: Uint32Array): number {
  let check = 0;
  for (let i = 0; i < EVENTS; i++) {
    const t = decode(data.subarray(offsets[i]!, offsets[i + 1]!)) as Tuple;
    check += t.elements.length;
  }
  return check;
}

function parseAll(data: Buffer, offsets: Uint32Array): number {
  let check = 0;
  for (let i = 0; i < EVENTS; i++) {
    const t = JSON.parse(data.toString("utf8", offsets[i]!, offsets[i + 1]!)) as unknown[];
    check += t.length;
  }
  return check;
}

export async function run(): Promise<BenchResult[]> {
  const fromErl = await erlangEncodings();
  const records = fromErl ?? ourEncodings();
  const source = fromErl ? "encodings from erl" : "erl not found: encodings from our encoder";
  const json = records.map((r) => Buffer.from(JSON.stringify(toJson(decode(r))), "utf8"));
  const etf = pack(records);
  const text = pack(json);

  // Three rounds of the full million each, alternating ETF and JSON; the best round of each counts (the first
  // one warms the JIT up).
  let best = Infinity;
  let bestJson = Infinity;
  for (let round = 0; round < 3; round++) {
    const a = timeIt(() => decodeAll(etf.data, etf.offsets));
    const b = timeIt(() => parseAll(text.data, text.offsets));
    if (a.check !== b.check)
      throw new Error(`ETF and JSON decoded different shapes (${a.check} vs ${b.check})`);
    best = Math.min(best, a.seconds);
    bestJson = Math.min(bestJson, b.seconds);
  }
  const eventsPerSec = EVENTS / best;
  const jsonEventsPerSec = EVENTS / bestJson;
  const mbPerSec = etf.data.length / 1e6 / best;
  const jsonMbPerSec = text.data.length / 1e6 / bestJson;
  const avgEtf = (etf.data.length / EVENTS).toFixed(1);
  const avgJson = (text.data.length / EVENTS).toFixed(1);
  return [
    {
      name: "decode trace events (ETF decode vs JSON.parse)",
      value: eventsPerSec,
      unit: "events/s",
      baseline: jsonEventsPerSec,
      ratio: eventsPerSec / jsonEventsPerSec,
      note: `${EVENTS.toLocaleString("en-US")} events, ${avgEtf} B ETF / ${avgJson} B JSON each, ${source}`,
    },
    {
      name: "decode throughput (ETF bytes vs JSON bytes)",
      value: mbPerSec,
      unit: "MB/s",
      baseline: jsonMbPerSec,
      ratio: mbPerSec / jsonMbPerSec,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await run()) {
    const base =
      r.baseline === undefined
        ? ""
        : `  (JSON.parse baseline ${r.baseline.toFixed(0)}, ratio ${r.ratio!.toFixed(2)}x)`;
    console.log(
      `${r.name}: ${r.value.toFixed(r.value >= 100 ? 0 : 1)} ${r.unit}${base}${r.note ? `  [${r.note}]` : ""}`,
    );
  }
}
