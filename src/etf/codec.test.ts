// Unit tests of the ETF codec, tag by tag. Every expected byte array was printed by a real OTP 25 node with
// `io:format("~w", [term_to_binary(T, Opts)])` (mostly `[{minor_version, 2}]`, which writes atoms as UTF-8 like
// our encoder), or, for tags OTP no longer writes, built by hand and checked with `binary_to_term`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { decode, decodeBody, DEFAULT_MAX_DEPTH } from "./decode.js";
import { encode, encodeBodies, encodeBody, TermEncoder } from "./encode.js";
import { EtfError } from "./errors.js";
import { formatFloat, formatTerm } from "./format.js";
import {
  atom,
  BitBinary,
  binary,
  charlist,
  ErlFloat,
  ErlMap,
  ExportFun,
  ImproperList,
  LocalFun,
  mapOf,
  Pid,
  Port,
  Reference,
  termEquals,
  tuple,
  Tuple,
  type Term,
} from "./terms.js";

const b = (...xs: number[]): Buffer => Buffer.from(xs);
const AB = atom("a@b");
const NONODE = atom("nonode@nohost");

function assertTermEquals(actual: Term, expected: Term): void {
  assert.ok(termEquals(actual, expected), `decoded ${String(actual)} (${typeof actual}) is not =:= expected`);
}

function assertEtfError(fn: () => unknown, pattern?: RegExp): EtfError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof EtfError, `expected an EtfError, got ${String(e)}`);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail("expected an EtfError, but decoding succeeded");
}

/** Cases where Erlang's bytes decode to `term` and our encoder writes exactly those bytes back. */
const twoWay: [string, Term, Buffer][] = [
  ["SMALL_INTEGER_EXT 0", 0, b(131, 97, 0)],
  ["SMALL_INTEGER_EXT 255", 255, b(131, 97, 255)],
  ["INTEGER_EXT 256", 256, b(131, 98, 0, 0, 1, 0)],
  ["INTEGER_EXT -1", -1, b(131, 98, 255, 255, 255, 255)],
  ["INTEGER_EXT max", 2147483647, b(131, 98, 127, 255, 255, 255)],
  ["INTEGER_EXT min", -2147483648, b(131, 98, 128, 0, 0, 0)],
  ["SMALL_BIG_EXT 2^31", 2147483648, b(131, 110, 4, 0, 0, 0, 0, 128)],
  ["SMALL_BIG_EXT -2^31-1", -2147483649, b(131, 110, 4, 1, 1, 0, 0, 128)],
  ["SMALL_BIG_EXT 2^53 (a bigint)", 2n ** 53n, b(131, 110, 7, 0, 0, 0, 0, 0, 0, 0, 32)],
  ["SMALL_BIG_EXT 2^64", 2n ** 64n, b(131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)],
  ["SMALL_BIG_EXT -2^64", -(2n ** 64n), b(131, 110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1)],
  ["NEW_FLOAT_EXT 1.5", new ErlFloat(1.5), b(131, 70, 63, 248, 0, 0, 0, 0, 0, 0)],
  ["NEW_FLOAT_EXT -0.0", new ErlFloat(-0), b(131, 70, 128, 0, 0, 0, 0, 0, 0, 0)],
  ["NEW_FLOAT_EXT 5.0e-324", new ErlFloat(5e-324), b(131, 70, 0, 0, 0, 0, 0, 0, 0, 1)],
  [
    "NEW_FLOAT_EXT max",
    new ErlFloat(1.7976931348623157e308),
    b(131, 70, 127, 239, 255, 255, 255, 255, 255, 255),
  ],
  ["SMALL_ATOM_UTF8_EXT ok", atom("ok"), b(131, 119, 2, 111, 107)],
  ["SMALL_ATOM_UTF8_EXT café", atom("café"), b(131, 119, 5, 99, 97, 102, 195, 169)],
  ["SMALL_ATOM_UTF8_EXT emoji", atom("\u{1F600}x"), b(131, 119, 5, 240, 159, 152, 128, 120)],
  ["SMALL_TUPLE_EXT {}", tuple(), b(131, 104, 0)],
  ["SMALL_TUPLE_EXT {ok, 1}", tuple(atom("ok"), 1), b(131, 104, 2, 119, 2, 111, 107, 97, 1)],
  ["NIL_EXT", [], b(131, 106)],
  ['STRING_EXT "abc"', charlist("abc"), b(131, 107, 0, 3, 97, 98, 99)],
  ["LIST_EXT [1,2,300]", [1, 2, 300], b(131, 108, 0, 0, 0, 3, 97, 1, 97, 2, 98, 0, 0, 1, 44, 106)],
  [
    "LIST_EXT [104,233,8364]",
    [104, 233, 8364],
    b(131, 108, 0, 0, 0, 3, 97, 104, 97, 233, 98, 0, 0, 32, 172, 106),
  ],
  ['LIST_EXT [[1],"a"]', [[1], [97]], b(131, 108, 0, 0, 0, 2, 107, 0, 1, 1, 107, 0, 1, 97, 106)],
  ["LIST_EXT improper [1|2]", new ImproperList([1], 2), b(131, 108, 0, 0, 0, 1, 97, 1, 97, 2)],
  ["BINARY_EXT", b(1, 2, 3), b(131, 109, 0, 0, 0, 3, 1, 2, 3)],
  ["BINARY_EXT empty", b(), b(131, 109, 0, 0, 0, 0)],
  ["BIT_BINARY_EXT <<5:3>>", new BitBinary(b(160), 3), b(131, 77, 0, 0, 0, 1, 3, 160)],
  ["BIT_BINARY_EXT <<1,2:4>>", new BitBinary(b(1, 32), 4), b(131, 77, 0, 0, 0, 2, 4, 1, 32)],
  [
    "MAP_EXT",
    new ErlMap([
      [atom("a"), 1],
      [binary("k"), [2]],
    ]),
    b(131, 116, 0, 0, 0, 2, 119, 1, 97, 97, 1, 109, 0, 0, 0, 1, 107, 107, 0, 1, 2),
  ],
  ["MAP_EXT empty", new ErlMap(), b(131, 116, 0, 0, 0, 0)],
  ["NEW_PID_EXT", new Pid(AB, 17, 2, 5), b(131, 88, 119, 3, 97, 64, 98, 0, 0, 0, 17, 0, 0, 0, 2, 0, 0, 0, 5)],
  ["NEW_PORT_EXT", new Port(AB, 42n, 5), b(131, 89, 119, 3, 97, 64, 98, 0, 0, 0, 42, 0, 0, 0, 5)],
  [
    "V4_PORT_EXT",
    new Port(AB, 0x1_0000_0002n, 5),
    b(131, 120, 119, 3, 97, 64, 98, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 5),
  ],
  [
    "NEWER_REFERENCE_EXT",
    new Reference(AB, 5, [1, 2, 3]),
    b(131, 90, 0, 3, 119, 3, 97, 64, 98, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3),
  ],
  [
    "EXPORT_EXT fun lists:map/2",
    new ExportFun(atom("lists"), atom("map"), 2),
    b(131, 113, 119, 5, 108, 105, 115, 116, 115, 119, 3, 109, 97, 112, 97, 2),
  ],
  [
    "NEW_FUN_EXT closure with a free variable",
    new LocalFun(
      1,
      b(50, 166, 253, 140, 82, 255, 146, 204, 130, 124, 175, 244, 155, 89, 221, 69),
      0,
      atom("cases"),
      0,
      26556396,
      new Pid(NONODE, 9, 0, 0),
      [atom("abc")],
    ),
    b(
      ...[
        131, 112, 0, 0, 0, 76, 1, 50, 166, 253, 140, 82, 255, 146, 204, 130, 124, 175, 244, 155, 89, 221, 69,
      ],
      ...[0, 0, 0, 0, 0, 0, 0, 1, 119, 5, 99, 97, 115, 101, 115, 97, 0, 98, 1, 149, 55, 236, 88, 119, 13],
      ...[110, 111, 110, 111, 100, 101, 64, 110, 111, 104, 111, 115, 116, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0],
      ...[119, 3, 97, 98, 99],
    ),
  ],
];

describe("two-way cases (decode Erlang's bytes, encode back to the same bytes)", () => {
  for (const [name, term, bytes] of twoWay) {
    it(name, () => {
      assertTermEquals(decode(bytes), term);
      assert.deepEqual([...encode(term)], [...bytes]);
    });
  }
});

describe("decoding tags our encoder does not write", () => {
  it("ATOM_EXT (Latin-1), as OTP 25 writes by default", () => {
    assert.equal(decode(b(131, 100, 0, 2, 111, 107)), atom("ok"));
    assert.equal(decode(b(131, 100, 0, 4, 99, 97, 102, 233)), atom("café"));
  });

  it("SMALL_ATOM_EXT (Latin-1) and ATOM_UTF8_EXT", () => {
    assert.equal(decode(b(131, 115, 3, 97, 98, 233)), atom("abé"));
    assert.equal(decode(b(131, 118, 0, 2, 195, 169)), atom("é"));
  });

  it("ATOM_UTF8_EXT for an atom of 255 two-byte characters, both ways", () => {
    const name = "ü".repeat(255);
    const bytes = Buffer.concat([b(131, 118, 1, 254), Buffer.from(name, "utf8")]);
    assert.equal(decode(bytes), atom(name));
    assert.deepEqual(encode(atom(name)), bytes);
  });

  it("FLOAT_EXT (minor_version 0)", () => {
    const onePointFive = Buffer.concat([
      b(131, 99),
      Buffer.from("1.50000000000000000000e+00"),
      Buffer.alloc(5),
    ]);
    assertTermEquals(decode(onePointFive), new ErlFloat(1.5));
    const small = b(
      ...[
        131, 99, 45, 50, 46, 50, 52, 57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 56, 53, 48, 52,
      ],
      ...[101, 45, 49, 48, 0, 0, 0, 0],
    );
    assertTermEquals(decode(small), new ErlFloat(-2.25e-10));
  });

  it("PID_EXT, PORT_EXT, REFERENCE_EXT and NEW_REFERENCE_EXT keep their one-byte creation", () => {
    const node = [100, 0, 3, 97, 64, 98];
    assertTermEquals(decode(b(131, 103, ...node, 0, 0, 0, 1, 0, 0, 0, 2, 3)), new Pid(AB, 1, 2, 3));
    assertTermEquals(decode(b(131, 102, ...node, 0, 0, 0, 1, 3)), new Port(AB, 1n, 3));
    assertTermEquals(decode(b(131, 101, ...node, 0, 0, 0, 5, 1)), new Reference(AB, 1, [5]));
    assertTermEquals(
      decode(b(131, 114, 0, 2, ...node, 2, 0, 0, 0, 5, 0, 0, 0, 6)),
      new Reference(AB, 2, [5, 6]),
    );
    // And re-encode in the current forms (binary_to_term finds PID_EXT creation 3 =:= NEW_PID_EXT creation 3).
    assert.deepEqual(encode(new Pid(AB, 1, 2, 3))[1], 88);
  });

  it("LARGE_TUPLE_EXT with 300 elements", () => {
    const elements = Array.from({ length: 300 }, (_, i) => i % 200);
    const bytes = Buffer.concat([b(131, 105, 0, 0, 1, 44), Buffer.from(elements.flatMap((x) => [97, x]))]);
    const t = decode(bytes);
    assert.ok(t instanceof Tuple && t.size === 300 && t.at(299) === 99);
    assert.deepEqual(encode(new Tuple(elements)), bytes);
  });

  it("LARGE_BIG_EXT for 2^2040 and a small SMALL_BIG_EXT as a plain number", () => {
    const bytes = Buffer.concat([b(131, 111, 0, 0, 1, 0, 0), Buffer.alloc(255), b(1)]);
    assert.equal(decode(bytes), 2n ** 2040n);
    assert.deepEqual(encode(2n ** 2040n), bytes);
    assert.equal(decode(b(131, 110, 2, 0, 1, 0)), 1); // binary_to_term also gives the small integer 1
    assert.equal(decode(b(131, 110, 0, 0)), 0);
    assert.equal(decode(b(131, 110, 1, 1, 0)), 0); // "negative zero" is 0
    assert.equal(decode(b(131, 111, 0, 0, 0, 1, 0, 5)), 5);
  });

  it("a bignum of thousands of bits both ways", () => {
    const n = -(3n ** 5000n);
    assert.equal(decode(encode(n)), n);
  });

  it("BIT_BINARY_EXT with 8 bits is a binary, and unused bits are cleared, as binary_to_term does", () => {
    assert.deepEqual(decode(b(131, 77, 0, 0, 0, 1, 8, 1)), b(1));
    assert.deepEqual(decode(b(131, 77, 0, 0, 0, 0, 0)), b());
    assertTermEquals(decode(b(131, 77, 0, 0, 0, 1, 3, 255)), new BitBinary(b(224), 3));
    assert.deepEqual([...encode(new BitBinary(b(255), 3))], [131, 77, 0, 0, 0, 1, 3, 224]);
  });

  it("lists joined along their tails, and LIST_EXT of 0 elements with a non-nil tail", () => {
    assert.deepEqual(decode(b(131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106)), [1, 2]);
    assert.deepEqual(decode(b(131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 1, 2)), [1, 1, 2]);
    assert.equal(decode(b(131, 108, 0, 0, 0, 0, 97, 1)), 1);
    assert.deepEqual(decode(b(131, 107, 0, 0)), []);
  });

  it("a 1,000,000-long chain of one-element LIST_EXT tails decodes without recursion", () => {
    const n = 1_000_000;
    const bytes = Buffer.alloc(1 + 7 * n + 1);
    bytes[0] = 131;
    for (let i = 0; i < n; i++) bytes.set([108, 0, 0, 0, 1, 97, i % 256], 1 + 7 * i);
    bytes[7 * n + 1] = 106;
    const list = decode(bytes) as number[];
    assert.equal(list.length, n);
    assert.equal(list[n - 1], (n - 1) % 256);
  });

  it("a 1,000,000-element list, both ways", () => {
    const list = Array.from({ length: 1_000_000 }, (_, i) => i);
    const back = decode(encode(list)) as number[];
    assert.equal(back.length, list.length);
    assert.equal(back[999_999], 999_999);
  });
});

describe("compressed terms", () => {
  const erlangCompressed = b(
    ...[131, 80, 0, 0, 1, 50, 120, 156, 203, 97, 96, 96, 72, 41, 103, 76, 28, 69, 68, 162, 44, 0, 46, 63, 85],
    255,
  );
  const hundredAs = Array.from({ length: 100 }, () => atom("a"));

  it("decodes term_to_binary(lists:duplicate(100, a), [compressed])", () => {
    assertTermEquals(decode(erlangCompressed), hundredAs);
  });

  it("compresses like term_to_binary(T, [compressed]), only when that is smaller", () => {
    // Same zlib, same level: byte for byte what the node wrote.
    assert.deepEqual(encode(hundredAs, { compressed: true }), erlangCompressed);
    assert.deepEqual([...encode(atom("a"), { compressed: true })], [131, 119, 1, 97]);
    assert.deepEqual(encode(hundredAs, { compressed: 0 }), encode(hundredAs));
    assert.ok(encode(hundredAs, { compressed: 9 }).length < encode(hundredAs).length);
  });

  it("rejects a wrong declared size, a size over maxInflatedBytes, bad zlib data and trailing bytes", () => {
    const wrong = Buffer.from(erlangCompressed);
    wrong[5] = 49; // declares 305 instead of 306: the data inflates to more
    assertEtfError(() => decode(wrong), /inflates to more than the declared 305 bytes/);
    const more = Buffer.from(erlangCompressed);
    more[5] = 51; // declares 307
    assertEtfError(() => decode(more), /inflates to 306 bytes, not the declared 307/);
    assertEtfError(() => decode(erlangCompressed, { maxInflatedBytes: 100 }), /over maxInflatedBytes/);
    assertEtfError(() => decode(b(131, 80, 0, 0, 0, 5, 1, 2, 3)), /bad zlib data/);
    assertEtfError(
      () => decode(Buffer.concat([erlangCompressed, b(0)])),
      /1 bytes after the end of the zlib data/,
    );
    assertEtfError(() => decode(b(131, 80, 255, 255, 255, 255, 120, 156)), /over maxInflatedBytes/);
  });
});

describe("distribution bodies", () => {
  it("decodeBody reads one term at an offset and returns where it ended", () => {
    const bytes = b(9, 9, 104, 2, 97, 1, 97, 2, 106, 7);
    const first = decodeBody(bytes, 2);
    assertTermEquals(first.term, tuple(1, 2));
    assert.equal(first.end, 8);
    assert.deepEqual(decodeBody(bytes, first.end), { term: [], end: 9 });
  });

  it("ATOM_CACHE_REF resolves through atomCacheRefs, and is an error without them or out of range", () => {
    const refs = [atom("reg"), atom("call")];
    assert.equal(decodeBody(b(82, 1), 0, { atomCacheRefs: refs }).term, atom("call"));
    const pid = decodeBody(b(88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3), 0, { atomCacheRefs: refs });
    assertTermEquals(pid.term, new Pid(atom("reg"), 1, 2, 3));
    assertEtfError(() => decodeBody(b(82, 0), 0), /no atomCacheRefs/);
    assertEtfError(
      () => decodeBody(b(82, 2), 0, { atomCacheRefs: refs }),
      /index 2 but the distribution header has 2/,
    );
  });

  it("a reused input buffer never brings back a stale cached atom or binary", () => {
    const frame = Buffer.from([104, 2, 119, 3, 102, 111, 111, 109, 0, 0, 0, 1, 7]);
    const first = decodeBody(frame, 0).term as Tuple;
    frame.set([98, 97, 114], 4); // foo -> bar
    frame[12] = 8;
    const second = decodeBody(frame, 0).term as Tuple;
    assert.equal(first.at(0), atom("foo"));
    assert.deepEqual(first.at(1), b(7));
    assert.equal(second.at(0), atom("bar"));
    assert.equal(decodeBody(Buffer.from([119, 3, 102, 111, 111]), 0).term, atom("foo"));
  });

  it("an offset outside the input is an EtfError too", () => {
    assertEtfError(() => decodeBody(b(97, 1), 3), /offset 3 is outside the 2 input bytes/);
    assertEtfError(() => decodeBody(b(97, 1), 2), /unexpected end of input/);
  });

  it("encodeBody, encodeBodies and TermEncoder write terms without the version byte", () => {
    assert.deepEqual([...encodeBody(tuple(atom("ok"), 1))], [104, 2, 119, 2, 111, 107, 97, 1]);
    assert.deepEqual([...encodeBodies([1, []])], [97, 1, 106]);
    const enc = new TermEncoder(16);
    enc
      .writeByte(131)
      .write(binary("x".repeat(100)))
      .write(atom("ok"));
    const frame = enc.take();
    assert.equal(frame.length, 1 + 105 + 4);
    assert.equal(enc.length, 0);
    const first = decodeBody(frame, 1);
    assert.equal(decodeBody(frame, first.end).term, atom("ok"));
  });
});

describe("encoding choices", () => {
  it("integers pick the smallest encoding, including bigints that fit and unsafe integer-valued numbers", () => {
    assert.deepEqual([...encode(5n)], [131, 97, 5]);
    assert.deepEqual([...encode(-5n)], [131, 98, 255, 255, 255, 251]);
    assert.deepEqual([...encode(1e20)], [...encode(100000000000000000000n)]);
    assert.equal(decode(encode(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.equal(decode(encode(-Number.MAX_SAFE_INTEGER)), -Number.MAX_SAFE_INTEGER);
  });

  it("a JS number that is not an integer is a float", () => {
    assertTermEquals(decode(encode(0.25)), new ErlFloat(0.25));
  });

  it("lists of bytes up to 65535 long are STRING_EXT, longer ones LIST_EXT", () => {
    assert.equal(encode(new Array<number>(65535).fill(1))[1], 107);
    assert.equal(encode(new Array<number>(65536).fill(1))[1], 108);
    assert.equal(encode([1, 256])[1], 108);
  });

  it("mapOf builds atom-keyed maps", () => {
    assertTermEquals(decode(encode(mapOf({ name: binary("x") }))), new ErlMap([[atom("name"), binary("x")]]));
  });

  it("LocalFun Size is computed, even when the buffer grows while writing it", () => {
    const fun = new LocalFun(0, new Uint8Array(16), 3, atom("m"), 3, 12345, new Pid(AB, 1, 0, 1), [
      binary("y".repeat(5000)),
    ]);
    const bytes = encodeBody(fun);
    assert.equal(bytes.readUInt32BE(1), bytes.length - 1);
    assertTermEquals(decodeBody(bytes, 0).term, fun);
  });

  it("values that are not terms throw a TypeError saying what to use", () => {
    const bad: [unknown, RegExp][] = [
      ["hello", /JS strings are not terms: use binary\("hello"\).*charlist\("hello"\).*atom\("hello"\)/],
      [null, /null is not a term/],
      [undefined, /undefined is not a term/],
      [true, /JS booleans are not terms: use atom\("true"\)/],
      [{ a: 1 }, /plain objects are not terms: use mapOf/],
      [new Map(), /JS Maps are not terms/],
      [NaN, /NaN is not a term/],
      [Infinity, /Infinity is not a term/],
      [new ErlFloat(NaN), /NaN is not a term/],
      [new Uint16Array(2), /Uint16Array is not a term/],
      [new Date(0), /a Date is not a term/],
      [tuple(1, "nested" as unknown as Term), /JS strings are not terms/],
      [atom("x".repeat(256)), /atom of 256 characters/],
      [new BitBinary(b(1), 0), /bits must be 1 to 8/],
      [new Reference(AB, 1, []), /1 to 5 ID words/],
      [new Pid(AB, -1, 0, 0), /Pid id must be an integer/],
    ];
    for (const [value, pattern] of bad)
      assert.throws(() => encode(value as Term), { name: "TypeError", message: pattern });
  });

  it("a cyclic JS structure is refused instead of overflowing the stack", () => {
    const cyclic: Term[] = [];
    cyclic.push(cyclic);
    assert.throws(() => encode(cyclic), { name: "TypeError", message: /cyclic/ });
    // The shared encoder still works afterwards.
    assert.deepEqual([...encode(1)], [131, 97, 1]);
  });
});

describe("decode errors", () => {
  const samples = twoWay.map(([, , bytes]) => bytes).filter((bytes) => bytes.length > 3);

  it("truncation at every byte position of every sample is an EtfError with an offset inside the input", () => {
    for (const bytes of samples) {
      for (let cut = 0; cut < bytes.length; cut++) {
        const e = assertEtfError(() => decode(bytes.subarray(0, cut)));
        assert.ok(
          e.offset >= 0 && e.offset <= cut,
          `offset ${e.offset} for a cut at ${cut} of ${[...bytes]}`,
        );
      }
    }
  });

  it("names the truncated tag with what it needed", () => {
    const e = assertEtfError(() => decode(b(131, 104, 2, 97, 1, 98, 0, 0)));
    assert.equal(e.message, "ETF decode error at byte 6: truncated INTEGER_EXT (need 4 bytes, 2 left)");
    assert.equal(e.offset, 6);
    assert.equal(e.problem, "truncated INTEGER_EXT (need 4 bytes, 2 left)");
  });

  it("a missing or wrong version byte, trailing bytes, and an unknown tag", () => {
    assertEtfError(() => decode(b()), /empty input/);
    assertEtfError(() => decode(b(130, 97, 1)), /expected the version byte 131, found 130/);
    assertEtfError(() => decode(b(131, 97, 1, 0)), /at byte 3: 1 bytes after the end of the term/);
    assertEtfError(() => decode(b(131, 200)), /at byte 1: unknown tag 200/);
  });

  it("FUN_EXT, LOCAL_EXT and misplaced header tags are errors naming the tag", () => {
    assertEtfError(() => decode(b(131, 117, 0, 0, 0, 0)), /FUN_EXT \(117\)/);
    assertEtfError(() => decode(b(131, 121, 1, 2, 3)), /LOCAL_EXT \(121\)/);
    assertEtfError(() => decode(b(131, 104, 1, 131, 97, 1)), /version byte 131 inside a term/);
    assertEtfError(() => decode(b(131, 104, 1, 80)), /COMPRESSED \(80\)/);
  });

  it("huge declared lengths fail at once, before allocating", () => {
    const huge = [255, 255, 255, 255];
    const cases: [Buffer, RegExp][] = [
      [b(131, 108, ...huge, 106), /LIST_EXT of 4294967295 elements cannot fit in the 1 bytes left/],
      [b(131, 105, ...huge, 97, 1), /tuple of arity 4294967295 cannot fit/],
      [b(131, 116, ...huge, 97, 1), /MAP_EXT of 4294967295 pairs cannot fit/],
      [b(131, 109, ...huge, 1, 2), /truncated BINARY_EXT \(need 4294967295 bytes, 2 left\)/],
      [b(131, 77, ...huge, 3, 1), /truncated BIT_BINARY_EXT/],
      [b(131, 111, ...huge, 0, 1), /truncated LARGE_BIG_EXT/],
      [b(131, 107, 255, 255, 97), /truncated STRING_EXT \(need 65535 bytes, 1 left\)/],
      [b(131, 118, 255, 255, 97), /truncated ATOM_UTF8_EXT/],
      [b(131, 112, ...huge, ...new Array<number>(40).fill(0)), /NEW_FUN_EXT Size 4294967295 is more than/],
    ];
    for (const [bytes, pattern] of cases) assertEtfError(() => decode(bytes), pattern);
  });

  it("nesting deeper than maxDepth is an EtfError, also when the JS stack would run out first", () => {
    const nested = (depth: number): Buffer => {
      const bytes = Buffer.alloc(1 + 2 * depth + 1);
      bytes[0] = 131;
      for (let i = 0; i < depth; i++) bytes.set([104, 1], 1 + 2 * i);
      bytes[1 + 2 * depth] = 106;
      return bytes;
    };
    assert.ok(decode(nested(DEFAULT_MAX_DEPTH)) instanceof Tuple);
    assertEtfError(() => decode(nested(DEFAULT_MAX_DEPTH + 1)), /nested more than 1000 deep/);
    assertEtfError(() => decode(nested(50), { maxDepth: 10 }), /nested more than 10 deep/);
    assertEtfError(() => decode(nested(1_000_000), { maxDepth: Infinity }), /too deeply nested/);
  });

  it("values Erlang itself rejects", () => {
    const cases: [Buffer, RegExp][] = [
      [b(131, 100, 1, 0, ...new Array<number>(256).fill(97)), /ATOM_EXT of 256 characters/],
      [Buffer.concat([b(131, 118, 2, 0), Buffer.from("é".repeat(256))]), /ATOM_UTF8_EXT of 256 characters/],
      [b(131, 118, 0, 2, 195, 40), /invalid UTF-8 in ATOM_UTF8_EXT/],
      [b(131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2), /duplicate key/],
      [b(131, 77, 0, 0, 0, 1, 0, 1), /BIT_BINARY_EXT with 0 bits/],
      [b(131, 77, 0, 0, 0, 1, 9, 1), /BIT_BINARY_EXT with 9 bits/],
      [b(131, 77, 0, 0, 0, 0, 3), /BIT_BINARY_EXT with 3 bits used of the last of its 0 bytes/],
      [b(131, 70, 127, 240, 0, 0, 0, 0, 0, 0), /NaN or an infinity/],
      [Buffer.concat([b(131, 99), Buffer.from("  1.5"), Buffer.alloc(26)]), /FLOAT_EXT text " {2}1\.5"/],
      [b(131, 90, 0, 0, 119, 1, 97, 0, 0, 0, 0), /with 0 ID words/],
      [b(131, 90, 0, 6, 119, 1, 97), /with 6 ID words/],
      [
        b(131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        /expected the node name atom of a pid, port or reference, found SMALL_INTEGER_EXT/,
      ],
      [b(131, 113, 119, 1, 109, 119, 1, 102, 98, 0, 0, 0, 1), /EXPORT_EXT arity must be a SMALL_INTEGER_EXT/],
    ];
    for (const [bytes, pattern] of cases) assertEtfError(() => decode(bytes), pattern);
  });

  it("a NEW_FUN_EXT whose Size disagrees with its fields", () => {
    const fun = Buffer.from(twoWay.find(([name]) => name.startsWith("NEW_FUN_EXT"))![2]);
    fun[5] = 75; // one less than the real 76
    assertEtfError(() => decode(Buffer.concat([fun, b(0)])), /Size says 75 bytes but its fields took 76/);
  });

  it("a large map whose compound key is nested deeper than the encoder goes still decodes", () => {
    const bytes = [131, 116, 0, 0, 0, 9];
    for (let i = 0; i < 8; i++) bytes.push(97, i, 97, 0);
    for (let i = 0; i < 3000; i++) bytes.push(104, 1);
    bytes.push(104, 0, 97, 0);
    const map = decode(Buffer.from(bytes), { maxDepth: 5000 });
    assert.ok(map instanceof ErlMap && map.size === 9);
  });

  it("a large map with a duplicate compound key", () => {
    const entries: [Term, Term][] = Array.from({ length: 20 }, (_, i) => [tuple(i), i]);
    entries.push([tuple(3), 99]);
    assertEtfError(() => decode(encode(new ErlMap(entries))), /duplicate key/);
  });
});

describe("formatTerm", () => {
  // Expected strings as printed by Elixir 1.14's IO.inspect and OTP 25's io:format("~tp") for the same terms.
  const ex = (t: Term, options = {}): string => formatTerm(t, options);
  const erl = (t: Term, options = {}): string => formatTerm(t, { syntax: "erlang", ...options });
  const pid = new Pid(atom("a@h"), 96, 0, 1);
  const ref = new Reference(atom("a@h"), 1, [150038, 617086977, 17040074]);

  it("Elixir syntax", () => {
    const cases: [Term, string][] = [
      [tuple(atom("ok"), 1), "{:ok, 1}"],
      [[1, 2], "[1, 2]"],
      [charlist("abc"), '~c"abc"'],
      [binary("text"), '"text"'],
      [binary('h\nx\x1b"#{'), '"h\\nx\\e\\"\\#{"'],
      [b(1, 2), "<<1, 2>>"],
      [b(0), "<<0>>"],
      [b(), '""'],
      [mapOf({ a: 1 }), "%{a: 1}"],
      [new ErlMap([[binary("k"), 1]]), '%{"k" => 1}'],
      [
        new ErlMap([
          [atom("a"), 1],
          [binary("b"), 2],
        ]),
        '%{:a => 1, "b" => 2}',
      ],
      [mapOf({ Foo: 2, "a b": 1, nil: 3 }), '%{Foo: 2, "a b": 1, nil: 3}'],
      [mapOf({ __struct__: atom("Elixir.URI"), host: binary("x") }), '%URI{host: "x"}'],
      [[tuple(atom("a"), 1)], "[a: 1]"],
      [[tuple(atom("a"), 1), tuple(binary("b"), 2)], '[{:a, 1}, {"b", 2}]'],
      [new ImproperList([1], 2), "[1 | 2]"],
      [tuple(), "{}"],
      [atom("nil"), "nil"],
      [atom("true"), "true"],
      [atom("Elixir.Foo.Bar"), "Foo.Bar"],
      [atom("a b"), ':"a b"'],
      [atom("foo?"), ":foo?"],
      [atom("Foo"), ":Foo"],
      [atom("foo@bar"), ":foo@bar"],
      [atom("é"), ":é"],
      [atom("@foo"), ':"@foo"'],
      [atom("foo.bar"), ':"foo.bar"'],
      [atom("5a"), ':"5a"'],
      [atom("+"), ":+"],
      [new BitBinary(b(32), 3), "<<1::size(3)>>"],
      [new BitBinary(b(97, 32), 3), "<<97, 1::size(3)>>"],
      [new ExportFun(atom("Elixir.Enum"), atom("map"), 2), "&Enum.map/2"],
      [new ExportFun(atom("lists"), atom("map"), 2), "&:lists.map/2"],
      [pid, "#PID<0.96.0>"],
      [ref, "#Reference<0.17040074.617086977.150038>"],
      [new Port(atom("a@h"), 5n, 1), "#Port<0.5>"],
      [new ErlFloat(1e21), "1.0e21"],
      [2n ** 70n, "1180591620717411303424"],
    ];
    for (const [term, expected] of cases) assert.equal(ex(term), expected);
  });

  it("Erlang syntax", () => {
    const cases: [Term, string][] = [
      [tuple(atom("ok"), 1), "{ok,1}"],
      [binary("héllo"), '<<"héllo"/utf8>>'],
      [binary("abc"), '<<"abc">>'],
      [b(1, 2), "<<1,2>>"],
      [binary("\n"), '<<"\\n">>'],
      [charlist("abc"), '"abc"'],
      [charlist("a\nb"), '"a\\nb"'],
      [[1, 2], "[1,2]"],
      [new BitBinary(b(32), 3), "<<1:3>>"],
      [new BitBinary(b(97, 32), 3), "<<97,1:3>>"],
      [new ExportFun(atom("lists"), atom("map"), 2), "fun lists:map/2"],
      [
        new ErlMap([
          [atom("a"), 1],
          [charlist("b"), 2],
        ]),
        '#{a => 1,"b" => 2}',
      ],
      [new ImproperList([1], 2), "[1|2]"],
      [tuple(), "{}"],
      [[], "[]"],
      [atom("école"), "école"],
      [atom("Abc"), "'Abc'"],
      [atom("a b"), "'a b'"],
      [atom("maybe"), "maybe"],
      [atom("receive"), "'receive'"],
      [atom("a@b"), "a@b"],
      [atom("a.b"), "'a.b'"],
      [atom(""), "''"],
      [atom("hello\nx"), "'hello\\nx'"],
      [pid, "<0.96.0>"],
      [ref, "#Ref<0.17040074.617086977.150038>"],
      [new LocalFun(1, new Uint8Array(16), 0, atom("t2"), 0, 2494918, pid, []), "#Fun<t2.0.2494918>"],
    ];
    for (const [term, expected] of cases) assert.equal(erl(term), expected);
  });

  it("floats as io_lib_format:fwrite_g prints them", () => {
    const cases: [number, string][] = [
      [1, "1.0"], [0.1, "0.1"], [1e15, "1.0e15"], [1e21, "1.0e21"], [1.2345678901234568e17, "1.2345678901234568e17"],
      [0.001, "0.001"], [0.0001, "0.0001"], [1e-5, "1.0e-5"], [1.2345e-4, "1.2345e-4"], [5e-324, "5.0e-324"],
      [-0, "-0.0"], [100, "100.0"], [1000, "1.0e3"], [1250, "1250.0"], [1.5e3, "1.5e3"], [1e6, "1.0e6"],
      [12345678.9, "12345678.9"], [1.23e7, "1.23e7"], [0.0012, "0.0012"], [0.00012, "1.2e-4"], [123456, "123456.0"],
      [-1000, "-1.0e3"], [0.3333333333333333, "0.3333333333333333"], [1.7976931348623157e308, "1.7976931348623157e308"],
      [9007199254740991, "9007199254740991.0"], [9007199254740992, "9.007199254740992e15"], [1.5e16, "1.5e16"],
      [1234567890123456, "1234567890123456.0"], [1.2e-5, "1.2e-5"], [0.000123, "1.23e-4"], [2.5, "2.5"],
    ]; // prettier-ignore
    for (const [value, expected] of cases) assert.equal(formatFloat(value), expected, String(value));
  });

  it("limit folds long collections, printableLimit long strings", () => {
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.equal(ex(ten, { limit: 3 }), "[1, 2, 3, ...]");
    assert.equal(erl(ten, { limit: 3 }), "[1,2,3|...]");
    assert.equal(ex(mapOf({ a: 1, b: 2, c: 3 }), { limit: 2 }), "%{a: 1, b: 2, ...}");
    assert.equal(ex(binary("abcdef"), { printableLimit: 3 }), '"abc" <> ...');
    assert.equal(ex(b(1, 2, 3, 4, 5), { limit: 2 }), "<<1, 2, ...>>");
    assert.equal(ex(new Tuple(ten), { limit: 2 }), "{1, 2, ...}");
  });

  it("with localNode, identifiers of other nodes show their node", () => {
    const remote = new Pid(atom("b@h"), 12, 3, 1);
    assert.equal(ex([pid, remote], { localNode: "a@h" }), "[#PID<0.96.0>, #PID<b@h.12.3>]");
    assert.equal(erl(remote, { localNode: atom("a@h") }), "<b@h.12.3>");
  });
});
