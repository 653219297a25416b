// Tests of parseProcessRef and the pid/name matchers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { formatPid } from "../etf/format.js";
import { atom, Pid } from "../etf/terms.js";
import {
  formatProcessRef,
  nameMatches,
  parseProcessRef,
  pidMatches,
  ProcessRefError,
  type ProcessRef,
} from "./process-ref.js";

describe("parseProcessRef", () => {
  it("reads pids in every accepted form", () => {
    const cases: [string, ProcessRef][] = [
      ["<0.123.0>", { kind: "pid", node: 0, id: 123, serial: 0 }],
      ["#PID<0.123.0>", { kind: "pid", node: 0, id: 123, serial: 0 }],
      ["0.123.0", { kind: "pid", node: 0, id: 123, serial: 0 }],
      ["  <0.5.2>  ", { kind: "pid", node: 0, id: 5, serial: 2 }],
      ["pid(0,123,0)", { kind: "pid", node: 0, id: 123, serial: 0 }],
      ["pid(0, 123, 7)", { kind: "pid", node: 0, id: 123, serial: 7 }],
      ["<5.40.1>", { kind: "pid", node: 5, id: 40, serial: 1 }],
      ["#PID<b@host.12.3>", { kind: "pid", node: "b@host", id: 12, serial: 3 }],
      ["<app@my.host.com.12.3>", { kind: "pid", node: "app@my.host.com", id: 12, serial: 3 }],
    ];
    for (const [text, expected] of cases) assert.deepEqual(parseProcessRef(text), expected, text);
  });

  it("reads registered names as the atom they are recorded as", () => {
    const cases: [string, string][] = [
      ["MyApp.Teller", "Elixir.MyApp.Teller"],
      ["Elixir.MyApp.Teller", "Elixir.MyApp.Teller"],
      ["Teller", "Elixir.Teller"],
      [":my_name", "my_name"],
      ["my_name", "my_name"],
      ["logger", "logger"],
      [":Foo", "Foo"],
      [':"Elixir.MyApp.Teller"', "Elixir.MyApp.Teller"],
      [':"odd name"', "odd name"],
      [':"say \\"hi\\""', 'say "hi"'],
      ["'odd name'", "odd name"],
      [":'x y'", "x y"],
      ["code_server@x", "code_server@x"],
    ];
    for (const [text, name] of cases) assert.deepEqual(parseProcessRef(text), { kind: "name", name }, text);
  });

  it("refuses what is neither, saying what was expected", () => {
    const cases: [string, RegExp][] = [
      ["<0.12>", /^'<0.12>' is not a pid: expected <X.Y.Z> with three integers/],
      ["#PID<0.12>", /^'#PID<0.12>' is not a pid: expected <X.Y.Z>/],
      ["<0.a.1>", /^'<0.a.1>' is not a pid/],
      ["<0.1.2", /^'<0.1.2' is not a pid/],
      ["#PID0.1.2", /^'#PID0.1.2' is not a pid/],
      ["0.12", /^'0.12' is not a pid/],
      ["123", /^'123' is not a pid/],
      ["pid(0,1)", /^'pid\(0,1\)' is not a pid: expected pid\(X, Y, Z\)/],
      ["<x y.1.2>", /^'<x y.1.2>' is not a pid/],
      ["", /^an empty process reference: expected a pid such as <0.123.0> or a registered name/],
      ["   ", /^an empty process reference/],
      ["my name", /^'my name' is not a process: expected a pid such as/],
      ["MyApp.teller", /^'MyApp.teller' is not a process/],
      [':"open', /^':"open' is not an atom/],
      [":", /^':' is not an atom/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseProcessRef(text),
        (e: unknown) => e instanceof ProcessRefError && message.test(e.message),
        text,
      );
    }
  });
});

describe("pidMatches", () => {
  const main = new Pid(atom("app@h"), 123, 0, 1);
  const other = new Pid(atom("b@h"), 123, 0, 1);

  it("<0.Y.Z> is the main node's pid when the main node is known, any node's otherwise", () => {
    const ref = parseProcessRef("<0.123.0>");
    assert.equal(pidMatches(ref, main, "app@h"), true);
    assert.equal(pidMatches(ref, other, "app@h"), false);
    assert.equal(pidMatches(ref, other), true);
    assert.equal(pidMatches(ref, new Pid(atom("app@h"), 123, 1, 1), "app@h"), false);
    assert.equal(pidMatches(ref, new Pid(atom("app@h"), 124, 0, 1), "app@h"), false);
  });

  it("another number is some other node: compared by id and serial", () => {
    const ref = parseProcessRef("<7.123.0>");
    assert.equal(pidMatches(ref, other, "app@h"), true);
    assert.equal(pidMatches(ref, main, "app@h"), false);
    assert.equal(pidMatches(ref, main), true);
  });

  it("a node name is compared by name, and what formatPid prints reads back", () => {
    assert.equal(pidMatches(parseProcessRef("<b@h.123.0>"), other, "app@h"), true);
    assert.equal(pidMatches(parseProcessRef("<b@h.123.0>"), main, "app@h"), false);
    for (const pid of [main, other]) {
      const printed = formatPid(pid, { localNode: "app@h" });
      assert.equal(pidMatches(parseProcessRef(printed), pid, "app@h"), true, printed);
      assert.equal(pidMatches(parseProcessRef(printed), pid === main ? other : main, "app@h"), false);
    }
  });

  it("a name never matches a pid", () => {
    assert.equal(pidMatches(parseProcessRef("my_name"), main), false);
  });
});

describe("nameMatches and formatProcessRef", () => {
  it("compares with the recorded atom", () => {
    assert.equal(nameMatches(parseProcessRef("MyApp.Teller"), atom("Elixir.MyApp.Teller")), true);
    assert.equal(nameMatches(parseProcessRef("MyApp.Teller"), "Elixir.MyApp.Teller"), true);
    assert.equal(nameMatches(parseProcessRef("MyApp.Teller"), "MyApp.Teller"), false);
    assert.equal(nameMatches(parseProcessRef(":my_name"), atom("my_name")), true);
    assert.equal(nameMatches(parseProcessRef("my_name"), atom("other")), false);
    assert.equal(nameMatches(parseProcessRef("<0.1.0>"), atom("my_name")), false);
  });

  it("prints refs in Elixir syntax that parses back", () => {
    for (const text of ["#PID<0.12.0>", "#PID<b@h.12.3>", "MyApp.Teller", ":my_name", ':"odd \\"name"']) {
      const ref = parseProcessRef(text);
      assert.equal(formatProcessRef(ref), text);
      assert.deepEqual(parseProcessRef(formatProcessRef(ref)), ref);
    }
  });
});
