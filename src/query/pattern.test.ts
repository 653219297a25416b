// Tests of Elixir match patterns: what each form matches, the errors for bad text, and printing back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import { formatTerm } from "../etf/format.js";
import {
  atom,
  binary,
  charlist,
  ErlFloat,
  ErlMap,
  ImproperList,
  mapOf,
  normalizeInteger,
  Pid,
  Tuple,
  tuple,
  type Term,
} from "../etf/terms.js";
import { match, matches, parsePattern, PatternError, patternToString } from "./pattern.js";

const ok = atom("ok");
const account = (id: number, balance: number): ErlMap =>
  mapOf({ __struct__: atom("Elixir.MyApp.Account"), id, balance });

/** [pattern, terms it matches, terms it does not] */
const table: [string, Term[], Term[]][] = [
  ["_", [1, ok, [], binary("x")], []],
  ["_ignored", [1, tuple()], []],
  ["x", [1, tuple(1, 2)], []],
  [
    "{x, x}",
    [tuple(1, 1), tuple(ok, ok), tuple(binary("a"), binary("a"))],
    [tuple(1, 2), tuple(1, new ErlFloat(1))],
  ],
  ["{_a, _a}", [tuple(1, 2)], []],
  ["{x, _, x}", [tuple(1, 2, 1)], [tuple(1, 2, 3)]],
  [":ok", [ok], [atom("error"), binary("ok")]],
  [':"quoted atom"', [atom("quoted atom")], [atom("quoted")]],
  [":'single'", [atom("single")], []],
  [":foo?", [atom("foo?")], []],
  [":<>", [atom("<>")], [atom("<")]],
  [":é", [atom("é")], []],
  ["true", [atom("true")], [atom("false")]],
  ["false", [atom("false")], []],
  ["nil", [atom("nil")], [[]]],
  ["MyApp.Bank", [atom("Elixir.MyApp.Bank")], [atom("MyApp.Bank")]],
  ["Elixir.MyApp.Bank", [atom("Elixir.MyApp.Bank")], []],
  ["42", [42, 42n], [43, new ErlFloat(42)]],
  ["-7", [-7], [7]],
  ["1_000", [1000], []],
  ["0x1F", [31], []],
  ["0b101", [5], []],
  ["0o17", [15], []],
  ["?a", [97], []],
  ["?\\n", [10], []],
  ["123456789012345678901234567890", [123456789012345678901234567890n], [1]],
  ["1.5", [new ErlFloat(1.5)], [1]],
  ["1.0", [new ErlFloat(1)], [1]],
  ["-2.5e-3", [new ErlFloat(-0.0025)], []],
  ["1.0e3", [new ErlFloat(1000)], []],
  ['"abc"', [binary("abc")], [charlist("abc"), binary("abcd"), atom("abc")]],
  ['"a\\nb\\t\\"q\\"\\\\"', [binary('a\nb\t"q"\\')], []],
  ['"\\x{e9}t\\u00e9 \\u{1F600}"', [binary("été 😀")], []],
  ['"\\xFF"', [Uint8Array.of(255)], [binary("ÿ")]],
  ['"\\#{x}"', [binary("#{x}")], []],
  ['""', [binary("")], [[]]],
  ["'abc'", [charlist("abc")], [binary("abc")]],
  ['~c"abc"', [charlist("abc")], []],
  ["~c(a)", [charlist("a")], []],
  ['~s"abc"', [binary("abc")], []],
  ['<<1, 2, "a">>', [Uint8Array.of(1, 2, 97)], [Uint8Array.of(1, 2)]],
  ["<<>>", [new Uint8Array(0)], []],
  ["{}", [tuple()], [[]]],
  ["{:ok, _}", [tuple(ok, 1), tuple(ok, tuple())], [tuple(ok), tuple(ok, 1, 2), [ok, 1]]],
  ["{:transfer, from, to}", [tuple(atom("transfer"), 1, 2)], [tuple(atom("deposit"), 1, 2)]],
  ["[]", [[]], [[1], binary("")]],
  ["[1, 2]", [[1, 2]], [[1], [1, 2, 3], new ImproperList([1, 2], 3)]],
  ["[h | t]", [[1], [1, 2], new ImproperList([1], 2)], [[]]],
  ["[1, 2 | _]", [[1, 2], [1, 2, 3], new ImproperList([1, 2, 3], 4)], [[1]]],
  ["[_ | []]", [[1]], [[1, 2]]],
  ["[_, _ | [3]]", [[1, 2, 3]], [[1, 2, 4], new ImproperList([1, 2], 3)]],
  ["[_ | 3]", [new ImproperList([1], 3)], [[1, 3]]],
  [
    "[a: 1, b: _]",
    [[tuple(atom("a"), 1), tuple(atom("b"), 2)]],
    [[tuple(atom("b"), 2), tuple(atom("a"), 1)]],
  ],
  ["[1, a: 2]", [[1, tuple(atom("a"), 2)]], []],
  ['["odd key": 1]', [[tuple(atom("odd key"), 1)]], []],
  ["%{}", [new ErlMap(), mapOf({ a: 1 }), account(1, 2)], [[], tuple()]],
  ["%{id: 1}", [mapOf({ id: 1, other: 2 }), account(1, 5)], [mapOf({ id: 2 }), mapOf({ other: 1 })]],
  [
    '%{"k" => _, 1 => x, id: 1}',
    [
      new ErlMap([
        [binary("k"), 0],
        [1, 2],
        [atom("id"), 1],
      ]),
    ],
    [new ErlMap([[atom("id"), 1]])],
  ],
  ["%{{:a, 1} => v}", [new ErlMap([[tuple(atom("a"), 1), 3]])], [new ErlMap([[tuple(atom("a"), 2), 3]])]],
  ["%{a: x, b: x}", [mapOf({ a: 1, b: 1 })], [mapOf({ a: 1, b: 2 })]],
  ["%MyApp.Account{id: 1}", [account(1, 10)], [account(2, 10), mapOf({ id: 1 })]],
  ["%MyApp.Account{}", [account(1, 10)], [mapOf({ __struct__: atom("Elixir.Other"), id: 1 })]],
  ["%_{}", [account(1, 2)], [mapOf({ id: 1 }), mapOf({ __struct__: binary("x") })]],
  ["%_{balance: 2}", [account(1, 2)], [account(1, 3)]],
  ['"abc" <> _', [binary("abc"), binary("abcdef")], [binary("ab"), binary("xabc"), charlist("abc")]],
  ['"a" <> "b" <> rest', [binary("abc")], [binary("acb")]],
  ['"ab" <> "c"', [binary("abc")], [binary("abcd")]],
  ['{x, "id:" <> x}', [tuple(binary("7"), binary("id:7"))], [tuple(binary("7"), binary("id:8"))]],
  ["{:ok, _} = x", [tuple(ok, 1)], [tuple(atom("error"), 1)]],
  ["%{id: id} = %{kind: :user}", [mapOf({ id: 1, kind: atom("user") })], [mapOf({ id: 1 })]],
  [
    "{:transfer, %{from: a, to: a}, _}",
    [tuple(atom("transfer"), mapOf({ from: 1, to: 1 }), 5)],
    [tuple(atom("transfer"), mapOf({ from: 1, to: 2 }), 5)],
  ],
  ["  {:ok ,\n _ }  ", [tuple(ok, 1)], []],
];

describe("patterns", () => {
  it("match what Elixir's match?/2 matches", () => {
    for (const [text, yes, no] of table) {
      const p = parsePattern(text);
      for (const t of yes) assert.equal(matches(p, t), true, `${text} should match`);
      for (const t of no) assert.equal(matches(p, t), false, `${text} should not match`);
    }
  });

  it("return what the variables bound", () => {
    const p = parsePattern('{:transfer, from, %{amount: n}, "ref-" <> ref, [_ | rest]}');
    const vars = match(p, tuple(atom("transfer"), 1, mapOf({ amount: 50 }), binary("ref-9"), [1, 2]));
    assert.ok(vars);
    assert.deepEqual([...vars.keys()].sort(), ["from", "n", "ref", "rest"]);
    assert.equal(vars.get("from"), 1);
    assert.equal(vars.get("n"), 50);
    assert.deepEqual(Buffer.from(vars.get("ref") as Uint8Array).toString(), "9");
    assert.deepEqual(vars.get("rest"), [2]);
    assert.equal(match(p, tuple(atom("transfer"), 1)), undefined);
    const mod = match(parsePattern("%mod{}"), account(1, 1));
    assert.equal(mod?.get("mod"), atom("Elixir.MyApp.Account"));
  });

  it("pids: #PID<0.Y.Z> is the main node's when localNode is given", () => {
    const main = new Pid(atom("app@h"), 12, 0, 1);
    const other = new Pid(atom("b@h"), 12, 0, 1);
    for (const text of ["#PID<0.12.0>", "<0.12.0>", "pid(0, 12, 0)"]) {
      const p = parsePattern(`{:msg, ${text}}`);
      assert.equal(matches(p, tuple(atom("msg"), main), { localNode: "app@h" }), true, text);
      assert.equal(matches(p, tuple(atom("msg"), other), { localNode: "app@h" }), false, text);
      assert.equal(matches(p, tuple(atom("msg"), other)), true, text);
      assert.equal(matches(p, tuple(atom("msg"), new Pid(atom("app@h"), 13, 0, 1))), false, text);
    }
    assert.equal(matches(parsePattern("#PID<b@h.12.0>"), other, { localNode: "app@h" }), true);
  });

  it("a large map is matched by the keys the pattern names", () => {
    const big = new ErlMap(Array.from({ length: 10_000 }, (_, i): [Term, Term] => [i, binary(`v${i}`)]));
    assert.equal(matches(parsePattern('%{9999 => "v9999", 0 => _}'), big), true);
    assert.equal(matches(parsePattern("%{10000 => _}"), big), false);
  });
});

describe("parsePattern errors", () => {
  const cases: [string, string][] = [
    ["{:a, _", 'expected "," or "}" at column 7 in pattern {:a, _'],
    ["{:a _}", 'expected "," or "}", found "_" at column 5 in pattern {:a _}'],
    ["[1, 2", 'expected ",", "|" or "]" at column 6 in pattern [1, 2'],
    ["[1 | t, 2]", 'expected "]" after the tail of a list, found "," at column 7 in pattern [1 | t, 2]'],
    ["[a: 1, 2]", "expected a keyword key such as name: (keyword entries come last in a list), found \"2\" at column 8 in pattern [a: 1, 2]"],
    ["%{a: 1, :b => 2}", 'expected a keyword key such as name: (keyword entries come last in a map), found ":" at column 9 in pattern %{a: 1, :b => 2}'],
    ["%{x => 1}", "a map key in a pattern must be a literal (no variables, _ or pids) at column 3 in pattern %{x => 1}"],
    ["%{:a 1}", 'expected "=>", found "1" at column 6 in pattern %{:a 1}'],
    ["%{a: 1", 'expected "," or "}" at column 7 in pattern %{a: 1'],
    ["%Foo", 'expected "{" after the struct name at column 5 in pattern %Foo'],
    ["%1{}", 'expected "{" or a struct name such as MyApp.Account, found "1" at column 2 in pattern %1{}'],
    ["", "expected a pattern, such as {:ok, _} at column 1 in pattern "],
    ["{:ok} extra", 'expected the end of the pattern, found "extra" at column 7 in pattern {:ok} extra'],
    [":", 'expected an atom name after ":", such as :ok or :"two words" at column 2 in pattern :'],
    [": ok", 'expected an atom name after ":", such as :ok or :"two words", found " " at column 2 in pattern : ok'],
    ['"abc', 'expected a closing " for the text started at column 1 in pattern "abc'],
    ['"a#{b}"', 'interpolation #{...} is not allowed in a pattern at column 3 in pattern "a#{b}"'],
    ["^x", "the pin operator ^ is not supported: a pattern cannot refer to outside values at column 1 in pattern ^x"],
    ["x <> _", 'the left side of "<>" must be a string, such as "abc" <> rest at column 1 in pattern x <> _'],
    ['"a" <> {x}', 'the right side of "<>" must be a variable, _ or a string at column 8 in pattern "a" <> {x}'],
    ["<0.12>", "'<0.12>' is not a pid: expected <X.Y.Z> with three integers, e.g. <0.123.0>, #PID<0.123.0> or pid(0,123,0) at column 1 in pattern <0.12>"],
    ["{#PID<0.1.2}", 'expected ">" to close the pid at column 13 in pattern {#PID<0.1.2}'],
    ["#Ref<0.1>", 'expected #PID<X.Y.Z>, found "#" at column 1 in pattern #Ref<0.1>'],
    ["<<256>>", "a byte in <<...>> must be an integer from 0 to 255 at column 3 in pattern <<256>>"],
    ["<<x::binary>>", 'expected a byte (0..255) or a string, found "x" at column 3 in pattern <<x::binary>>'],
    ['<<"a"::binary>>', 'typed binary segments (::) are not supported; write "prefix" <> rest at column 6 in pattern <<"a"::binary>>'],
    ["Foo.bar()", "Foo.... is a function call, not a pattern at column 1 in pattern Foo.bar()"],
    ["- x", 'expected a number after -, found " " at column 2 in pattern - x'],
    ["~r/x/", 'expected a ~c"..." charlist or ~s"..." string, found "~" at column 1 in pattern ~r/x/'],
    ["{1, ;}", 'expected a pattern, found ";" at column 5 in pattern {1, ;}'],
    ["ok?", "ok? is not a variable name at column 1 in pattern ok?"],
    ["{:a, x} when x > 1", "guards (when ...) are not supported at column 9 in pattern {:a, x} when x > 1"],
  ]; // prettier-ignore

  it("name the column and what was expected", () => {
    for (const [text, message] of cases) {
      assert.throws(
        () => parsePattern(text),
        (e: unknown) => {
          assert.ok(e instanceof PatternError, text);
          assert.equal(e.message, message);
          assert.equal(e.pattern, text);
          return true;
        },
      );
    }
  });

  it("count columns in characters", () => {
    assert.throws(() => parsePattern('{"é", :a'), /at column 9 in/);
  });
});

describe("patternToString", () => {
  it("prints patterns in Elixir syntax", () => {
    const cases: [string, string][] = [
      ["{:ok,_}", "{:ok, _}"],
      ["[h|t]", "[h | t]"],
      ["[a: 1]", "[{:a, 1}]"],
      ["%{1 => x, a: 1}", "%{1 => x, a: 1}"],
      ['%{:"a b" => 1}', '%{:"a b" => 1}'],
      ["%MyApp.Account{id: _id}", "%MyApp.Account{id: _id}"],
      ["%_{}", "%_{}"],
      ['"ab" <> rest', '"ab" <> rest'],
      ["<0.1.2>", "#PID<0.1.2>"],
      ["x = {_}", "x = {_}"],
      ["1.0e3", "1.0e3"],
      ["0x10", "16"],
      ['"\\xFF"', "<<255>>"],
    ];
    for (const [text, printed] of cases) assert.equal(patternToString(parsePattern(text)), printed, text);
  });

  it("prints what parses back to a pattern matching the same terms", () => {
    for (const [text, yes, no] of table) {
      const again = parsePattern(patternToString(parsePattern(text)));
      for (const t of yes) assert.equal(matches(again, t), true, `${text} printed should match`);
      for (const t of no) assert.equal(matches(again, t), false, `${text} printed should not match`);
    }
  });
});

describe("patterns from printed terms", () => {
  const atomArb = fc
    .oneof(
      fc.constantFrom("ok", "nil", "true", "Elixir.MyApp.Bank", "Foo", "<>", "\\\\", "...", "a b", "é", "x?"),
      fc.string({ maxLength: 8, unit: "binary-ascii" }),
      fc.string({ maxLength: 8, unit: "binary" }),
    )
    .map(atom);
  // Leaves that can be map keys (pattern keys are literals: no pids) and improper tails (not lists).
  const scalarArb: fc.Arbitrary<Term> = fc.oneof(
    atomArb,
    fc.integer({ min: -1000, max: 1000 }),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(normalizeInteger),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => new ErlFloat(v)),
    fc.string({ maxLength: 10, unit: "binary" }).map(binary),
    fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)),
  );
  const leafArb: fc.Arbitrary<Term> = fc.oneof(
    scalarArb,
    fc.string({ minLength: 1, maxLength: 6, unit: "binary-ascii" }).map(charlist),
    fc.tuple(fc.nat(), fc.nat()).map(([id, serial]) => new Pid(atom("a@h"), id, serial, 1)),
  );
  const { term } = fc.letrec<{ term: Term }>((tie) => ({
    term: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leafArb,
      fc.array(tie("term"), { maxLength: 4 }).map((items) => new Tuple(items)),
      fc.array(tie("term"), { maxLength: 4 }),
      fc.array(
        fc.tuple(atomArb, tie("term")).map(([k, v]) => tuple(k, v)),
        { minLength: 1, maxLength: 3 },
      ),
      fc
        .tuple(fc.array(tie("term"), { minLength: 1, maxLength: 3 }), scalarArb)
        .map(([items, tail]) => new ImproperList(items, tail)),
      fc
        .uniqueArray(
          fc.tuple(
            fc.oneof(
              scalarArb,
              fc.array(scalarArb, { maxLength: 2 }).map((i) => new Tuple(i)),
            ),
            tie("term"),
          ),
          {
            maxLength: 4,
            selector: ([k]) => formatTerm(k),
          },
        )
        .map((entries) => new ErlMap(entries)),
    ),
  }));

  it("every term printed in Elixir syntax reads back as a pattern that matches it", () => {
    fc.assert(
      fc.property(term, (t) => {
        const text = formatTerm(t, { printableLimit: Infinity });
        assert.equal(matches(parsePattern(text), t), true, text);
      }),
      { numRuns: 500 },
    );
  });

  it("and not a term with one more element", () => {
    fc.assert(
      fc.property(fc.array(term, { maxLength: 4 }), term, (items, extra) => {
        const p = parsePattern(formatTerm(new Tuple(items), { printableLimit: Infinity }));
        assert.equal(matches(p, new Tuple([...items, extra])), false);
      }),
      { numRuns: 200 },
    );
  });
});
