// Which exits count as crashes: what a BEAM engineer would call one, not every reason other than :normal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { atom, tuple } from "../etf/terms.js";
import { isCrash } from "./processes.js";

test("normal ends, shutdowns and results handed back through an exit are not crashes", () => {
  assert.equal(isCrash(atom("normal")), false);
  assert.equal(isCrash(atom("shutdown")), false);
  assert.equal(isCrash(tuple(atom("shutdown"), atom("done"))), false);
  // Elixir's compiler evaluates each file in a process that exits with {:ok, result} to its monitor.
  assert.equal(
    isCrash(tuple(atom("ok"), tuple(atom("elixir_compiler_0"), atom("__FILE__"), atom("true")))),
    false,
  );
  assert.equal(isCrash(undefined), false);
});

test("errors, kills and other reasons are crashes", () => {
  assert.equal(isCrash(atom("killed")), true);
  assert.equal(isCrash(atom("noproc")), true);
  assert.equal(isCrash(tuple(atom("badarith"), [])), true);
  assert.equal(isCrash(tuple(atom("error"), atom("boom"))), true);
  assert.equal(isCrash(tuple(atom("ok"), 1, 2)), true, "only a two-element {:ok, result}");
});
