// Terms as the Cinema UI receives them: containers as trees, leaves printed in Elixir syntax, maps and
// keyword lists with their `key:` form, structs by name without their bookkeeping keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { atom, binary, charlist, ErlMap, ImproperList, tuple } from "../etf/terms.js";
import { termToJson } from "./term-json.js";

const leaf = (v: string) => ({ t: "leaf", v });

test("maps, tuples and lists become trees with Elixir leaves", () => {
  const state = new ErlMap([
    [atom("balance"), 90],
    [atom("history"), [tuple(atom("withdraw"), 10)]],
    [atom("pair"), tuple(1, 2)],
    [binary("key"), binary("text")],
  ]);
  assert.deepEqual(termToJson(state), {
    t: "map",
    entries: [
      { k: leaf(":balance"), v: leaf("90"), kw: "balance:" },
      {
        k: leaf(":history"),
        // [{:withdraw, 10}] is the keyword list [withdraw: 10]
        v: { t: "list", items: [leaf("10")], kw: ["withdraw:"] },
        kw: "history:",
      },
      { k: leaf(":pair"), v: { t: "tuple", items: [leaf("1"), leaf("2")] }, kw: "pair:" },
      { k: leaf('"key"'), v: leaf('"text"'), kw: undefined },
    ],
  });
});

test("keyword lists, charlists and improper lists", () => {
  assert.deepEqual(termToJson([tuple(atom("file"), charlist("a.ex")), tuple(atom("line"), 40)]), {
    t: "list",
    items: [leaf('~c"a.ex"'), leaf("40")],
    kw: ["file:", "line:"],
  });
  assert.deepEqual(termToJson(charlist("abc")), leaf('~c"abc"'));
  assert.deepEqual(termToJson(new ImproperList([1], 2)), { t: "list", items: [leaf("1")], tail: leaf("2") });
  assert.deepEqual(termToJson([]), { t: "list", items: [] });
});

test("structs and exceptions by name, without __struct__ and __exception__", () => {
  const err = new ErlMap([
    [atom("__struct__"), atom("Elixir.ArgumentError")],
    [atom("__exception__"), atom("true")],
    [atom("message"), binary("bad")],
  ]);
  assert.deepEqual(termToJson(err), {
    t: "map",
    struct: "ArgumentError",
    entries: [{ k: leaf(":message"), v: leaf('"bad"'), kw: "message:" }],
  });
});
