// Tests of formatTerm's charlists, exceptions and folding (the rest of formatTerm is tested in codec.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { formatTerm, type FormatOptions } from "./format.js";
import { atom, binary, charlist, ErlMap, ImproperList, mapOf, Tuple, tuple, type Term } from "./terms.js";

const ex = (t: Term, options: FormatOptions = {}): string => formatTerm(t, options);
const erl = (t: Term, options: FormatOptions = {}): string => formatTerm(t, { syntax: "erlang", ...options });

describe("formatTerm charlists", () => {
  it('print as ~c"..." in Elixir when every character is ASCII-printable, as Elixir 1.15+ does', () => {
    const cases: [Term, string][] = [
      [charlist("abc"), '~c"abc"'],
      [charlist("a\nb\tc"), '~c"a\\nb\\tc"'],
      [charlist('say "hi"'), '~c"say \\"hi\\""'],
      [charlist("a\\b"), '~c"a\\\\b"'],
      [charlist("#{x}"), '~c"\\#{x}"'],
      [charlist("\x07\x08\x0b\x0c\x0d\x1b"), '~c"\\a\\b\\v\\f\\r\\e"'],
      [charlist(" "), '~c" "'],
      [[], "[]"],
      // Not ASCII-printable: a list, as Elixir shows it.
      [charlist("héllo"), "[104, 233, 108, 108, 111]"],
      [[97, 0], "[97, 0]"],
      [[97, 127], "[97, 127]"],
      [[97, -1], "[97, -1]"],
      [[1000, 2000], "[1000, 2000]"],
      [[97, atom("b")], "[97, :b]"],
      [new ImproperList([97], 98), "[97 | 98]"],
      // Nested charlists and keyword lists keep their forms.
      [[charlist("ab"), charlist("cd")], '[~c"ab", ~c"cd"]'],
      [[tuple(atom("name"), charlist("x"))], '[name: ~c"x"]'],
      [tuple(atom("ok"), charlist("yes")), '{:ok, ~c"yes"}'],
    ];
    for (const [term, expected] of cases) assert.equal(ex(term), expected);
  });

  it("print as strings in Erlang, Unicode included", () => {
    assert.equal(erl(charlist("abc")), '"abc"');
    assert.equal(erl(charlist("héllo")), '"héllo"');
    assert.equal(erl([97, 0]), "[97,0]");
    assert.equal(erl([tuple(atom("a"), charlist("b"))]), '[{a,"b"}]');
  });

  it("are cut at printableLimit", () => {
    assert.equal(ex(charlist("abcdef"), { printableLimit: 3 }), '~c"abc" ++ ...');
    assert.equal(erl(charlist("abcdef"), { printableLimit: 3 }), '"abc"...');
    assert.equal(ex(charlist("abc"), { printableLimit: 3 }), '~c"abc"');
  });
});

describe("formatTerm exceptions", () => {
  const exception = (name: string, fields: Record<string, Term>): ErlMap =>
    mapOf({ __exception__: atom("true"), __struct__: atom(`Elixir.${name}`), ...fields });

  it("print as IEx shows them, without __exception__", () => {
    assert.equal(
      ex(exception("ArgumentError", { message: binary("bad") })),
      '%ArgumentError{message: "bad"}',
    );
    assert.equal(
      ex(exception("KeyError", { key: atom("id"), term: mapOf({}), message: atom("nil") })),
      "%KeyError{key: :id, term: %{}, message: nil}",
    );
    assert.equal(
      ex(tuple(atom("EXIT"), exception("RuntimeError", { message: binary("x") }))),
      '{:EXIT, %RuntimeError{message: "x"}}',
    );
  });

  it("keep the field when it is not an exception's", () => {
    assert.equal(
      ex(mapOf({ __exception__: atom("false"), __struct__: atom("Elixir.Foo"), a: 1 })),
      "%Foo{__exception__: false, a: 1}",
    );
    assert.equal(ex(mapOf({ __exception__: atom("true"), a: 1 })), "%{__exception__: true, a: 1}");
  });

  it("print as the raw map in Erlang syntax", () => {
    assert.equal(
      erl(exception("ArgumentError", { message: binary("bad") })),
      "#{'__exception__' => true,'__struct__' => 'Elixir.ArgumentError',message => <<\"bad\">>}",
    );
  });
});

describe("formatTerm folding", () => {
  const nested: Term = tuple(1, [2, mapOf({ a: tuple(3, [4]) })]);

  it("maxDepth folds containers nested deeper", () => {
    const cases: [number, string, string][] = [
      [0, "{...}", "{...}"],
      [1, "{1, [...]}", "{1,[...]}"],
      [2, "{1, [2, %{...}]}", "{1,[2,#{...}]}"],
      [3, "{1, [2, %{a: {...}}]}", "{1,[2,#{a => {...}}]}"],
      [4, "{1, [2, %{a: {3, [...]}}]}", "{1,[2,#{a => {3,[...]}}]}"],
      [5, "{1, [2, %{a: {3, [4]}}]}", "{1,[2,#{a => {3,[4]}}]}"],
    ];
    for (const [maxDepth, elixir, erlang] of cases) {
      assert.equal(ex(nested, { maxDepth }), elixir, `maxDepth ${maxDepth}`);
      assert.equal(erl(nested, { maxDepth }), erlang, `maxDepth ${maxDepth}`);
    }
  });

  it("maxDepth keeps struct names, leaves, text and empty containers", () => {
    const account = mapOf({ __struct__: atom("Elixir.MyApp.Account"), id: 1 });
    assert.equal(ex([account], { maxDepth: 1 }), "[%MyApp.Account{...}]");
    assert.equal(
      ex([[], tuple(), mapOf({}), binary("s"), charlist("cl"), 7, atom("x")], { maxDepth: 1 }),
      '[[], {}, %{}, "s", ~c"cl", 7, :x]',
    );
    assert.equal(erl([charlist("cl")], { maxDepth: 1 }), '["cl"]');
    assert.equal(ex([[tuple(atom("a"), 1)]], { maxDepth: 1 }), "[[...]]");
    assert.equal(ex([new ImproperList([1], 2)], { maxDepth: 1 }), "[[...]]");
  });

  it("maxItems caps the items of the whole term, counting each item of each container once", () => {
    const rows = Array.from({ length: 5 }, (_, i) => tuple(i, binary(`row ${i}`)));
    assert.equal(ex(rows, { maxItems: 5 }), '[{0, "row 0"}, {1, ...}, ...]');
    assert.equal(erl(rows, { maxItems: 5 }), '[{0,<<"row 0">>},{1,...}|...]');
    assert.equal(ex(rows, { maxItems: 1 }), "[{...}, ...]");
    assert.equal(ex(rows, { maxItems: 0 }), "[...]");
    assert.equal(erl(rows, { maxItems: 0 }), "[...]");
    assert.equal(ex(mapOf({ a: [1, 2, 3], b: 2 }), { maxItems: 3 }), "%{a: [1, 2, ...], ...}");
    assert.equal(ex(Uint8Array.of(1, 2, 3, 4), { maxItems: 2 }), "<<1, 2, ...>>");
    assert.equal(ex(rows, { maxItems: 100 }), ex(rows));
  });

  it("limit marks what it left out with ...", () => {
    const ten = Array.from({ length: 10 }, (_, i) => i);
    assert.equal(ex(new ImproperList(ten, 99), { limit: 2 }), "[0, 1, ...]");
    assert.equal(erl(new ImproperList(ten, 99), { limit: 2 }), "[0,1|...]");
    assert.equal(erl(ten, { limit: 0 }), "[...]");
    assert.equal(ex(new Tuple(ten), { limit: 0 }), "{...}");
    assert.equal(ex([tuple(atom("a"), 1), tuple(atom("b"), 2)], { limit: 1 }), "[a: 1, ...]");
    assert.equal(erl(mapOf({ a: 1, b: 2 }), { limit: 1 }), "#{a => 1,...}");
    assert.equal(erl(binary("abcdef"), { printableLimit: 2 }), '<<"ab"...>>');
  });

  it("folds a large term to a short text quickly", () => {
    const big = Array.from({ length: 100_000 }, (_, i) => mapOf({ id: i, tags: [atom("a"), atom("b")] }));
    const text = ex(big, { maxItems: 20, maxDepth: 3 });
    assert.ok(text.length < 400, text);
    assert.match(text, /^\[%\{id: 0, tags: \[:a, :b\]\}, .*, \.\.\.\]$/);
    const bytes = new Uint8Array(10_000_000).fill(1);
    assert.equal(ex(bytes, { limit: 3 }), "<<1, 1, 1, ...>>");
  });
});

describe("terms the agent cut", () => {
  const cut = (kind: string, size: Term, prefix: Term) => tuple(atom("$es_cut"), atom(kind), size, prefix);
  const bin = cut("binary", 10240, binary("abcdefghijklmnopqrstuvwxyz"));
  const cases: [Term, string, string][] = [
    [bin, '<<"abcdefghijklmnop"…10240 bytes, cut>>', '<<"abcdefghijklmnop"…10240 bytes, cut>>'],
    [
      cut("binary", 300, new Uint8Array([1, 2, 200])),
      "<<1, 2, 200, …300 bytes, cut>>",
      "<<1,2,200,…300 bytes, cut>>",
    ],
    [cut("bitstring", 8001, new Uint8Array(0)), "<<…8001 bits, cut>>", "<<…8001 bits, cut>>"],
    [
      cut(
        "map",
        20,
        new ErlMap([
          [atom("a"), 1],
          [atom("big"), bin],
        ]),
      ),
      '%{a: 1, big: <<"abcdefghijklmnop"…10240 bytes, cut>>, …20 keys, cut}',
      '#{a => 1,big => <<"abcdefghijklmnop"…10240 bytes, cut>>,…20 keys, cut}',
    ],
    [
      cut("list", tuple(atom("at_least"), 900), [1, 2]),
      "[1, 2, …at least 900 items, cut]",
      "[1,2,…at least 900 items, cut]",
    ],
    [cut("tuple", 5, tuple(atom("ok"))), "{:ok, …5 elements, cut}", "{ok,…5 elements, cut}"],
    [cut("integer", 5000, atom("none")), "#Integer<5000 bytes, cut>", "#Integer<5000 bytes, cut>"],
    [
      cut("fun", 1, tuple(atom("Elixir.App"), atom("run"))),
      "#Function<App.run/1, cut>",
      "#Fun<'Elixir.App'.run/1, cut>",
    ],
  ];
  it("print as what they were, their prefix, their size and the word cut", () => {
    for (const [term, elixir, erlang] of cases) {
      assert.equal(formatTerm(term), elixir);
      assert.equal(formatTerm(term, { syntax: "erlang" }), erlang);
    }
  });
  it("a tuple that only looks like a marker prints as a tuple", () => {
    assert.equal(formatTerm(tuple(atom("$es_cut"), atom("other"), 1, 2)), '{:"$es_cut", :other, 1, 2}');
  });
});
