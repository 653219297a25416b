// Acceptance test of the ETF codec against a real Erlang node (needs `erl` and `erlc` on the PATH).
//
// test/support/etf_gen.erl generates thousands of random terms of every type, encodes them with
// term_to_binary under a mix of options, and describes each one in a canonical text format. Here every record
// is decoded and described again from our decoded term (the descriptions must be identical), re-encoded (half
// of them compressed), and handed back to erl, which checks binary_to_term(Ours) =:= Original for every one.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { runErl, runProgram } from "../../test/support/erl.js";
import { decode } from "./decode.js";
import { encode } from "./encode.js";
import { formatTerm } from "./format.js";
import {
  Atom,
  BitBinary,
  ErlFloat,
  ErlMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Reference,
  Tuple,
  type Term,
} from "./terms.js";

const SEED = 20240617;
const COUNT = 6000;
/** Index into etf_gen's ?OPTIONS of `[{minor_version, 2}]`, whose output our encoder matches byte for byte. */
const MINOR_VERSION_2 = 4;
const OPTION_NAMES = [
  "[]",
  "[compressed]",
  "[{minor_version,0}]",
  "[{minor_version,1}]",
  "[{minor_version,2}]",
];

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (no package.json above this test)");
    dir = up;
  }
  return dir;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex").toUpperCase();
const atomHex = (a: Atom): string => hex(Buffer.from(a.name, "utf8"));

/** The canonical description of a term, exactly as etf_gen:desc/1 writes it (see etf_gen.erl). */
function describeTerm(t: Term): string {
  if (typeof t === "number" || typeof t === "bigint") return `I:${t.toString()}`;
  if (t instanceof Atom) return `A:${atomHex(t)}`;
  if (t instanceof ErlFloat) {
    const bits = Buffer.alloc(8);
    bits.writeDoubleBE(t.value);
    return `F:${hex(bits)}`;
  }
  if (t instanceof Tuple) return `T{${t.elements.map(describeTerm).join(",")}}`;
  if (Array.isArray(t)) return `L[${t.map(describeTerm).join(",")}]`;
  if (t instanceof ImproperList)
    return `IL[${t.elements.map(describeTerm).join(",")}|${describeTerm(t.tail)}]`;
  if (t instanceof BitBinary) return `BS:${t.bitLength}:${hex(t.bytes)}`;
  if (t instanceof Uint8Array) return `B:${hex(t)}`;
  if (t instanceof ErlMap) {
    const pairs = t.entries.map(([k, v]) => `${describeTerm(k)}=>${describeTerm(v)}`);
    return `M{${pairs.sort().join(",")}}`;
  }
  if (t instanceof Pid) return `P:${atomHex(t.node)}:${t.id}:${t.serial}:${t.creation}`;
  if (t instanceof Port) return `O:${atomHex(t.node)}:${t.id}:${t.creation}`;
  if (t instanceof Reference) return `R:${atomHex(t.node)}:${t.creation}:${t.ids.join(".")}`;
  if (t instanceof ExportFun) return `E:${atomHex(t.module)}:${atomHex(t.fun)}:${t.arity}`;
  if (t instanceof LocalFun) {
    const head = `Fn:${atomHex(t.module)}:${t.index}:${hex(t.uniq)}:${t.arity}:${t.oldIndex}:${t.oldUniq}`;
    return `${head}:${describeTerm(t.pid)}[${t.freeVars.map(describeTerm).join(",")}]`;
  }
  throw new Error(`not a term: ${String(t)}`);
}

interface GeneratedRecord {
  option: number;
  etf: Buffer;
  desc: string;
}

function readRecords(data: Buffer): GeneratedRecord[] {
  const records: GeneratedRecord[] = [];
  let p = 0;
  while (p < data.length) {
    const option = data[p]!;
    const size = data.readUInt32BE(p + 1);
    const etf = data.subarray(p + 5, p + 5 + size);
    p += 5 + size;
    const descSize = data.readUInt32BE(p);
    const desc = data.toString("latin1", p + 4, p + 4 + descSize);
    p += 4 + descSize;
    records.push({ option, etf, desc });
  }
  return records;
}

const show = (t: Term): string =>
  formatTerm(t, { syntax: "erlang", limit: 8, printableLimit: 60 }).slice(0, 400);

describe("round trip through a real Erlang node", { timeout: 180_000 }, () => {
  let dir = "";
  let records: GeneratedRecord[] = [];
  const decoded: Term[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "etf-roundtrip-"));
    await runProgram("erlc", ["-o", dir, join(repoRoot(), "test", "support", "etf_gen.erl")]);
    const file = join(dir, "originals.bin");
    await runErl(["-noshell", "-pa", dir, "-run", "etf_gen", "generate", String(SEED), String(COUNT), file]);
    records = readRecords(await readFile(file));
  });

  after(async () => {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it(`erl generated ${COUNT} records covering every kind of term`, () => {
    assert.equal(records.length, COUNT);
    const all = records.map((r) => r.desc).join("\n");
    for (const token of [
      "A:",
      "I:",
      "F:",
      "T{",
      "L[",
      "IL[",
      "B:",
      "BS:",
      "M{",
      "P:",
      "O:",
      "R:",
      "E:",
      "Fn:",
    ]) {
      assert.ok(all.includes(token), `no term of kind ${token} was generated`);
    }
    assert.ok(
      records.some((r) => r.etf[1] === 80),
      "no compressed record",
    );
  });

  it("every record decodes to exactly the term erl described", () => {
    const problems: string[] = [];
    for (const [i, r] of records.entries()) {
      try {
        const term = decode(r.etf);
        decoded[i] = term;
        const ours = describeTerm(term);
        if (ours !== r.desc) {
          problems.push(
            `#${i} (${OPTION_NAMES[r.option] ?? r.option}): decoded ${show(term)}\n` +
              `  ours:   ${ours.slice(0, 300)}\n  erl's:  ${r.desc.slice(0, 300)}`,
          );
        }
      } catch (e) {
        problems.push(`#${i} (${OPTION_NAMES[r.option] ?? r.option}): ${(e as Error).message}`);
      }
    }
    assert.equal(
      problems.length,
      0,
      `${problems.length} records differ:\n${problems.slice(0, 15).join("\n")}`,
    );
  });

  it("with [{minor_version, 2}] our encoding is byte for byte Erlang's", () => {
    const differ: string[] = [];
    let compared = 0;
    for (const [i, r] of records.entries()) {
      if (r.option !== MINOR_VERSION_2 || decoded[i] === undefined) continue;
      compared++;
      if (!encode(decoded[i]!).equals(r.etf)) differ.push(`#${i}: ${show(decoded[i]!)}`);
    }
    assert.ok(compared > COUNT / 10);
    assert.equal(
      differ.length,
      0,
      `${differ.length} of ${compared} encodings differ:\n${differ.slice(0, 10).join("\n")}`,
    );
  });

  it("erl finds binary_to_term of every re-encoding =:= the original (half of them compressed)", async () => {
    assert.equal(decoded.length, records.length, "decoding failed, see the previous test");
    const parts: Buffer[] = [];
    for (const [i, term] of decoded.entries()) {
      const etf = encode(term, { compressed: i % 2 === 0 });
      const size = Buffer.alloc(4);
      size.writeUInt32BE(etf.length);
      parts.push(size, etf);
    }
    const ours = join(dir, "ours.bin");
    const result = join(dir, "result.txt");
    await writeFile(ours, Buffer.concat(parts));
    await runErl([
      "-noshell",
      "-pa",
      dir,
      "-run",
      "etf_gen",
      "check",
      join(dir, "originals.bin"),
      ours,
      result,
    ]);
    const report = (await readFile(result, "utf8")).trim();
    assert.equal(report, `ok ${COUNT}`, `erl reported:\n${report.split("\n").slice(0, 15).join("\n")}`);
  });
});
