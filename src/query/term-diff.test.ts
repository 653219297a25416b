// Tests of the structural term diff and of path printing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import fc from "fast-check";

import {
  atom,
  binary,
  charlist,
  ErlFloat,
  ErlMap,
  ImproperList,
  mapOf,
  Pid,
  termEquals,
  Tuple,
  tuple,
  type Term,
} from "../etf/terms.js";
import { formatTerm } from "../etf/format.js";
import { diffTerms, formatChange, formatPath, type PathStep, type TermChange } from "./term-diff.js";

/** Each change as `kind path: before -> after`, for compact expectations. */
function show(changes: TermChange[]): string[] {
  const t = (x: Term | undefined) => (x === undefined ? "_" : formatTerm(x));
  return changes.map((c) => `${c.kind} ${formatPath(c.path)}: ${t(c.before)} -> ${t(c.after)}`);
}

const account = (fields: Record<string, Term>): ErlMap =>
  mapOf({ __struct__: atom("Elixir.MyApp.Account"), ...fields });

describe("diffTerms", () => {
  const cases: [string, Term, Term, string[]][] = [
    ["equal terms", tuple(1, mapOf({ a: [1, 2] })), tuple(1, mapOf({ a: [1, 2] })), []],
    ["integer and bigint forms are equal", 5, 5n, []],
    ["integer and float differ", 1, new ErlFloat(1), ["changed : 1 -> 1.0"]],
    ["a leaf", 1, 2, ["changed : 1 -> 2"]],
    ["different types", tuple(1), [1], ["changed : {1} -> [1]"]],
    [
      "map by key",
      mapOf({ id: 1, balance: 100, owner: binary("ann") }),
      mapOf({ id: 1, balance: 50, note: binary("x") }),
      ["changed .balance: 100 -> 50", 'removed .owner: "ann" -> _', 'added .note: _ -> "x"'],
    ],
    [
      "map key order does not matter",
      mapOf({ a: 1, b: 2 }),
      new ErlMap([
        [atom("b"), 2],
        [atom("a"), 1],
      ]),
      [],
    ],
    [
      "non-atom and odd keys",
      new ErlMap([
        [binary("k"), 1],
        [3, 1],
        [atom("a b"), 1],
        [atom("Foo"), 1],
        [tuple(1, 2), 1],
      ]),
      new ErlMap([
        [binary("k"), 2],
        [3, 2],
        [atom("a b"), 2],
        [atom("Foo"), 2],
        [tuple(1, 2), 2],
      ]),
      [
        'changed ["k"]: 1 -> 2',
        "changed [3]: 1 -> 2",
        'changed [:"a b"]: 1 -> 2',
        "changed [:Foo]: 1 -> 2",
        "changed [{1, 2}]: 1 -> 2",
      ],
    ],
    [
      "compound keys are found whatever their inner order",
      new ErlMap([[mapOf({ x: 1, y: 2 }), 1]]),
      new ErlMap([
        [
          new ErlMap([
            [atom("y"), 2],
            [atom("x"), 1],
          ]),
          2,
        ],
      ]),
      ["changed [%{x: 1, y: 2}]: 1 -> 2"],
    ],
    [
      "struct fields",
      account({ id: 1, balance: 10 }),
      account({ id: 1, balance: 20 }),
      ["changed .balance: 10 -> 20"],
    ],
    [
      "a struct of another type is changed whole",
      account({ id: 1 }),
      mapOf({ __struct__: atom("Elixir.Other"), id: 1 }),
      ["changed : %MyApp.Account{id: 1} -> %Other{id: 1}"],
    ],
    [
      "a map becoming a struct",
      mapOf({ id: 1 }),
      account({ id: 1 }),
      ["changed : %{id: 1} -> %MyApp.Account{id: 1}"],
    ],
    [
      "nested containers",
      tuple(atom("state"), mapOf({ accounts: new ErlMap([[binary("bob"), account({ balance: 1 })]]) })),
      tuple(atom("state"), mapOf({ accounts: new ErlMap([[binary("bob"), account({ balance: 2 })]]) })),
      ['changed elem 1 .accounts["bob"].balance: 1 -> 2'],
    ],
    ["tuples by position", tuple(1, 2, 3), tuple(1, 9, 3), ["changed elem 1: 2 -> 9"]],
    ["tuples of other sizes", tuple(1, 2), tuple(1, 2, 3), ["changed : {1, 2} -> {1, 2, 3}"]],
    ["lists by position", [1, 2, 3], [1, 2, 4], ["changed [2]: 3 -> 4"]],
    ["an item appended", [1, 2], [1, 2, 3], ["added [2]: _ -> 3"]],
    ["an item prepended", [1, 2], [0, 1, 2], ["added [0]: _ -> 0"]],
    ["items inserted in the middle", [1, 4], [1, 2, 3, 4], ["added [1]: _ -> 2", "added [2]: _ -> 3"]],
    ["an item removed", [1, 2, 3], [1, 3], ["removed [1]: 2 -> _"]],
    ["repeated items", [1, 1, 1], [1, 1], ["removed [2]: 1 -> _"]],
    ["from empty", [], [atom("a")], ["added [0]: _ -> :a"]],
    ["to empty", [1, 2], [], ["removed [0]: 1 -> _", "removed [1]: 2 -> _"]],
    ["replaced and resized", [1, 2, 3], [1, 5], ["changed : [1, 2, 3] -> [1, 5]"]],
    [
      "keyword list values by position",
      [tuple(atom("a"), 1), tuple(atom("b"), 2)],
      [tuple(atom("a"), 1), tuple(atom("b"), 3)],
      ["changed [1] elem 1: 2 -> 3"],
    ],
    ["binaries", binary("a"), binary("b"), ['changed : "a" -> "b"']],
    [
      "improper lists as a whole",
      new ImproperList([1], 2),
      new ImproperList([1], 3),
      ["changed : [1 | 2] -> [1 | 3]"],
    ],
    [
      "pids",
      new Pid(atom("a@h"), 1, 0, 1),
      new Pid(atom("a@h"), 2, 0, 1),
      ["changed : #PID<0.1.0> -> #PID<0.2.0>"],
    ],
  ];
  for (const [name, before, after, expected] of cases) {
    it(name, () => assert.deepEqual(show(diffTerms(before, after)), expected));
  }

  it("a printable charlist is one value, other lists of integers are not", () => {
    const whole = (a: Term, b: Term) =>
      assert.deepEqual(diffTerms(a, b), [{ path: [], kind: "changed", before: a, after: b }]);
    whole(charlist("abc"), charlist("abd"));
    whole(charlist("ab"), charlist("abc"));
    whole(charlist("a\tb"), charlist("a\nb"));
    assert.deepEqual(show(diffTerms([1, 2, 300], [1, 2, 301])), ["changed [2]: 300 -> 301"]);
  });

  it("changes carry the values and a path of steps", () => {
    const [change, ...rest] = diffTerms(tuple(mapOf({ a: [1] })), tuple(mapOf({ a: [2] })));
    assert.equal(rest.length, 0);
    assert.deepEqual(change, {
      path: [
        { kind: "elem", index: 0 },
        { kind: "key", key: atom("a") },
        { kind: "index", index: 0 },
      ],
      kind: "changed",
      before: 1,
      after: 2,
    });
    const [removed] = diffTerms(mapOf({ a: 1 }), mapOf({}));
    assert.deepEqual(removed, { path: [{ kind: "key", key: atom("a") }], kind: "removed", before: 1 });
    assert.equal("after" in removed!, false);
  });

  it("is linear for a 10,000-key map with one change", () => {
    const n = 10_000;
    const entries = (changed: number): [Term, Term][] =>
      Array.from({ length: n }, (_, i): [Term, Term] => [
        binary(`user-${i}`),
        mapOf({ id: i, balance: i === changed ? -1 : i }),
      ]);
    const before = new ErlMap(entries(-1));
    const after = new ErlMap(entries(4321).reverse());
    const started = performance.now();
    const changes = diffTerms(before, after);
    const ms = performance.now() - started;
    assert.deepEqual(show(changes), ['changed ["user-4321"].balance: 4321 -> -1']);
    // A quadratic walk (ErlMap.get per key) takes seconds here; the linear one some milliseconds.
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });

  it("is linear for long lists with an insertion", () => {
    const before = Array.from({ length: 50_000 }, (_, i) => tuple(i));
    const after = [...before.slice(0, 100), tuple(-1), ...before.slice(100)];
    assert.deepEqual(show(diffTerms(before, after)), ["added [100]: _ -> {-1}"]);
  });
});

describe("formatPath and formatChange", () => {
  it("prints paths in Elixir access syntax", () => {
    const cases: [PathStep[], string][] = [
      [[], ""],
      [[{ kind: "key", key: atom("balance") }], ".balance"],
      [[{ kind: "key", key: atom("valid?") }], ".valid?"],
      [[{ kind: "key", key: binary("key") }], '["key"]'],
      [[{ kind: "key", key: atom("Elixir.MyApp.X") }], "[MyApp.X]"],
      [[{ kind: "elem", index: 2 }], "elem 2"],
      [[{ kind: "index", index: 3 }], "[3]"],
      [
        [
          { kind: "key", key: atom("pending") },
          { kind: "index", index: 0 },
          { kind: "elem", index: 1 },
          { kind: "key", key: atom("amount") },
        ],
        ".pending[0] elem 1 .amount",
      ],
      [
        [
          { kind: "elem", index: 0 },
          { kind: "elem", index: 1 },
        ],
        "elem 0 elem 1",
      ],
      [[{ kind: "key", key: binary("x".repeat(200)) }], `["${"x".repeat(80)}" <> ...]`],
    ];
    for (const [path, text] of cases) assert.equal(formatPath(path), text);
  });

  it("prints changes as lines", () => {
    const lines = diffTerms(mapOf({ a: 1, b: 2 }), mapOf({ a: 3, c: 4 })).map((c) => formatChange(c));
    assert.deepEqual(lines, ["changed .a: 1 -> 3", "removed .b: 2", "added .c: 4"]);
    assert.equal(formatChange(diffTerms(1, 2)[0]!), "changed (the whole term): 1 -> 2");
    assert.equal(formatChange(diffTerms([1], [[1, 2, 3]])[0]!, { limit: 1 }), "changed [0]: 1 -> [1, ...]");
  });
});

describe("diffTerms on generated terms", () => {
  // A small domain, so that two generated terms often share most of their structure.
  const leaf: fc.Arbitrary<Term> = fc.oneof(
    fc.integer({ min: 0, max: 2 }),
    fc.constantFrom(atom("a"), atom("b"), binary("x"), new ErlFloat(0)),
  );
  const { term } = fc.letrec<{ term: Term }>((tie) => ({
    term: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("term"), { maxLength: 3 }).map((items) => new Tuple(items)),
      fc.array(tie("term"), { maxLength: 4 }),
      fc
        .uniqueArray(fc.tuple(fc.oneof(leaf, fc.array(leaf, { maxLength: 1 })), tie("term")), {
          maxLength: 4,
          selector: ([k]) => formatTerm(k),
        })
        .map((entries) => new ErlMap(entries)),
    ),
  }));

  /** The part of `t` at `path`, or undefined if the path leads nowhere. */
  function at(t: Term | undefined, path: PathStep[]): Term | undefined {
    for (const step of path) {
      if (t === undefined) return undefined;
      if (step.kind === "key") t = t instanceof ErlMap ? t.get(step.key) : undefined;
      else if (step.kind === "elem") t = t instanceof Tuple ? t.elements[step.index] : undefined;
      else t = Array.isArray(t) ? t[step.index] : undefined;
    }
    return t;
  }

  it("finds no change exactly when the terms are equal, and each change's path leads to its values", () => {
    fc.assert(
      fc.property(term, term, (a, b) => {
        const changes = diffTerms(a, b);
        assert.equal(changes.length === 0, termEquals(a, b));
        assert.deepEqual(diffTerms(a, a), []);
        for (const c of changes) {
          if (c.kind !== "added") assert.ok(termEquals(at(a, c.path)!, c.before!), formatPath(c.path));
          if (c.kind !== "removed") assert.ok(termEquals(at(b, c.path)!, c.after!), formatPath(c.path));
          if (c.kind === "changed") assert.ok(!termEquals(c.before!, c.after!));
          if (c.kind === "added") assert.equal(c.path.length > 0 && c.before === undefined, true);
          if (c.kind === "removed") assert.equal(c.path.length > 0 && c.after === undefined, true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
