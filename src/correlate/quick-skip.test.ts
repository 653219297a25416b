/**
 * `skipTerm` gives `termEnd`'s answer on every term, and its error on bytes that are not one: random terms
 * of every kind, at offsets inside larger buffers, and every truncation of them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeBody } from "../etf/encode.js";
import { termEnd } from "../etf/skip.js";
import { atom, binary, charlist, ErlFloat, ErlMap, Pid, Reference, tuple, type Term } from "../etf/terms.js";
import { skipTerm } from "./quick-skip.js";

let seed = 7;
const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;

function randomTerm(depth: number): Term {
  const node = atom(rand(2) ? "app@localhost" : "é".repeat(200));
  switch (rand(depth > 3 ? 9 : 13)) {
    case 0:
      return rand(256);
    case 1:
      return rand(1 << 30) - (1 << 29);
    case 2:
      return BigInt(rand(1 << 30)) ** 3n * (rand(2) ? 1n : -1n);
    case 3:
      return atom(rand(2) ? "ok" : "é".repeat(rand(5)));
    case 4:
      return binary("x".repeat(rand(20)));
    case 5:
      return new Pid(node, rand(1000), rand(3), rand(1 << 30));
    case 6:
      return new Reference(node, rand(1 << 30), [rand(1000), rand(1000), rand(1000)]);
    case 7:
      return new ErlFloat(rand(1000) / 7);
    case 8:
      return [];
    case 9:
      return tuple(...Array.from({ length: rand(4) }, () => randomTerm(depth + 1)));
    case 10:
      return Array.from({ length: 1 + rand(3) }, () => randomTerm(depth + 1));
    case 11:
      return new ErlMap(
        Array.from({ length: rand(3) }, (_, i) => [i, randomTerm(depth + 1)] as [Term, Term]),
      );
    default:
      return charlist("text");
  }
}

const outcome = (f: () => number) => {
  try {
    return f();
  } catch (err) {
    return String(err);
  }
};

test("skipTerm ends every term where termEnd does, and fails where it fails", () => {
  for (let i = 0; i < 3000; i++) {
    const body = encodeBody(randomTerm(0));
    const buf = Buffer.concat([Buffer.from([1, 2, 3]), body, Buffer.from([9])]);
    assert.equal(skipTerm(buf, 3), 3 + body.length);
    for (let cut = 3; cut < buf.length - 1; cut += 1 + rand(5)) {
      const part = buf.subarray(0, cut);
      assert.equal(
        outcome(() => skipTerm(part, 3)),
        outcome(() => termEnd(part, 3)),
      );
    }
  }
});
