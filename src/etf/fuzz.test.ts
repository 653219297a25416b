// Property tests of the ETF codec with fast-check: arbitrary terms survive encode -> decode, and arbitrary or
// corrupted bytes make the decoder either return a term or throw an EtfError, quickly, and nothing else.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { decode, decodeBody } from "./decode.js";
import { encode, encodeBody } from "./encode.js";
import { EtfError } from "./errors.js";
import {
  atom,
  BitBinary,
  ErlFloat,
  ErlMap,
  ExportFun,
  ImproperList,
  LocalFun,
  normalizeInteger,
  Pid,
  Port,
  Reference,
  termEquals,
  Tuple,
  type Term,
} from "./terms.js";

const u32 = fc.nat({ max: 0xffffffff });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

const atomArb = fc
  .oneof(
    fc.constantFrom("ok", "error", "nil", "true", "undefined", "Elixir.MyApp.Worker", "", "a".repeat(255)),
    fc.string({ maxLength: 12, unit: "binary-ascii" }),
    fc.string({ maxLength: 12, unit: "grapheme" }),
    fc.string({ minLength: 200, maxLength: 255, unit: "binary" }).filter((s) => Array.from(s).length <= 255),
  )
  .map(atom);

const integerArb: fc.Arbitrary<Term> = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  int32,
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(normalizeInteger),
  fc.bigInt({ min: -(2n ** 4000n), max: 2n ** 4000n }).map(normalizeInteger),
);

const floatArb = fc
  .oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 5e-324, 1.5))
  .map((v) => new ErlFloat(v));

const binaryArb = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes));

/** Bitstrings as binary_to_term builds them: 1-7 bits used, the unused low bits zero. */
const bitBinaryArb = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 7 }))
  .map(([bytes, bits]) => {
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! & ((0xff << (8 - bits)) & 0xff);
    return new BitBinary(bytes, bits);
  });

const nodeArb = fc.constantFrom("nonode@nohost", "a@b", "app@host.example.com", "ñode@höst").map(atom);
const pidArb = fc
  .tuple(nodeArb, u32, u32, u32)
  .map(([node, id, serial, creation]) => new Pid(node, id, serial, creation));
const portArb = fc
  .tuple(nodeArb, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), u32)
  .map(([node, id, creation]) => new Port(node, id, creation));
const refArb = fc
  .tuple(nodeArb, u32, fc.array(u32, { minLength: 1, maxLength: 5 }))
  .map(([node, creation, ids]) => new Reference(node, creation, ids));
const exportArb = fc
  .tuple(atomArb, atomArb, fc.integer({ min: 0, max: 255 }))
  .map(([m, f, a]) => new ExportFun(m, f, a));
const charlistArb = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 30 });

const leafKinds: fc.Arbitrary<Term>[] = [
  atomArb,
  integerArb,
  floatArb,
  binaryArb,
  bitBinaryArb,
  pidArb,
  portArb,
  refArb,
  exportArb,
  charlistArb,
  fc.constant<Term>([]),
];
const leafArb: fc.Arbitrary<Term> = fc.oneof(...leafKinds);

/** Any term, nested a few levels, in the canonical shape the decoder produces. */
const termArb: fc.Arbitrary<Term> = fc.letrec<{
  term: Term;
  tuple: Tuple;
  list: Term[];
  improper: ImproperList;
  map: ErlMap;
  fun: LocalFun;
}>((tie) => ({
  term: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    tie("tuple"),
    tie("list"),
    tie("improper"),
    tie("map"),
    tie("fun"),
  ),
  tuple: fc.array(tie("term"), { maxLength: 6 }).map((elements) => new Tuple(elements)),
  list: fc.array(tie("term"), { maxLength: 6 }),
  // A tail that is itself a list would be joined into one list by the decoder, as by binary_to_term.
  improper: fc
    .tuple(
      fc.array(tie("term"), { minLength: 1, maxLength: 4 }),
      fc.oneof(atomArb, integerArb, binaryArb, tie("tuple"), tie("map")),
    )
    .map(([elements, tail]) => new ImproperList(elements, tail)),
  map: fc
    .uniqueArray(fc.tuple(tie("term"), tie("term")), {
      maxLength: 6,
      comparator: (a, b) => termEquals(a[0], b[0]),
    })
    .map((entries) => new ErlMap(entries)),
  fun: fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      u32,
      atomArb,
      int32,
      int32,
      pidArb,
      fc.array(tie("term"), { maxLength: 3 }),
    )
    .map(([arity, uniq, index, module, oldIndex, oldUniq, pid, free]) => {
      return new LocalFun(arity, uniq, index, module, oldIndex, oldUniq, pid, free);
    }),
})).term;

/** Decodes and reports what happened; anything but a term or an EtfError fails the test. */
function decodeOutcome(bytes: Uint8Array, body: boolean): "term" | "error" {
  const started = performance.now();
  try {
    if (body) decodeBody(bytes, 0);
    else decode(bytes);
    return "term";
  } catch (e) {
    if (!(e instanceof EtfError)) throw new Error(`decoder threw ${String(e)} for [${[...bytes].join(",")}]`);
    assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside the input`);
    return "error";
  } finally {
    const took = performance.now() - started;
    assert.ok(took < 500, `decoding ${bytes.length} bytes took ${took.toFixed(0)} ms`);
  }
}

describe("arbitrary terms", () => {
  it("encode -> decode gives a term =:= the original, and the same bytes again", () => {
    fc.assert(
      fc.property(termArb, (term) => {
        const bytes = encode(term);
        const back = decode(bytes);
        assert.ok(termEquals(back, term));
        assert.deepEqual(encode(back), bytes);
      }),
      { numRuns: 1500 },
    );
  });

  it("compressed encode -> decode, and encodeBody -> decodeBody", () => {
    fc.assert(
      fc.property(termArb, fc.integer({ min: 1, max: 9 }), (term, level) => {
        assert.ok(termEquals(decode(encode(term, { compressed: level })), term));
        const body = encodeBody(term);
        const { term: back, end } = decodeBody(body, 0);
        assert.ok(termEquals(back, term));
        assert.equal(end, body.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe("hostile bytes", () => {
  it("random bytes, with or without a version byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, versioned) => {
        decodeOutcome(versioned ? Buffer.concat([Buffer.from([131]), bytes]) : bytes, !versioned);
      }),
      { numRuns: 20000 },
    );
  });

  it("random bytes after each tag, so that every decoding path sees garbage", () => {
    const tags = [70, 77, 80, 82, 88, 89, 90, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109];
    const more = [110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121];
    fc.assert(
      fc.property(fc.constantFrom(...tags, ...more), fc.uint8Array({ maxLength: 48 }), (tag, rest) => {
        decodeOutcome(Buffer.concat([Buffer.from([131, tag]), rest]), false);
      }),
      { numRuns: 20000 },
    );
  });

  it("mutations of valid encodings: byte changes, cuts, insertions and deletions", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("big" as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(
        termArb,
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (term, zip, muts) => {
          let bytes = [...encode(term, { compressed: zip })];
          for (const m of muts) {
            const at = m.at % (bytes.length + 1);
            if (m.kind === "set") bytes[at] = m.value;
            else if (m.kind === "cut") bytes = bytes.slice(0, at);
            else if (m.kind === "insert") bytes.splice(at, 0, m.value);
            else if (m.kind === "delete") bytes.splice(at, 1);
            else bytes.splice(at, 4, 0x7f, 0xff, 0xff, 0xff); // a huge length where a length may be
          }
          decodeOutcome(Uint8Array.from(bytes), false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a mutated encoding decodes or fails the same way every time (the atom cache changes nothing)", () => {
    fc.assert(
      fc.property(termArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (term, at, value) => {
        const bytes = Buffer.from(encode(term));
        bytes[1 + (at % (bytes.length - 1))] = value;
        let first: Term | EtfError;
        try {
          first = decode(bytes);
        } catch (e) {
          first = e as EtfError;
        }
        try {
          const again = decode(bytes);
          assert.ok(!(first instanceof EtfError) && termEquals(again, first));
        } catch (e) {
          assert.ok(first instanceof EtfError && (e as EtfError).message === first.message);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
