/**
 * The hello of the synthetic workload's pretend agent session (bench/support/synthetic-workload.ts): its
 * node, clocks, and the plan term, which traces the `Bench.*` modules and marks `Bench.Ledger.post/2` and
 * `Bench.Worker.compute/1` `return => true` (what `Ingest.planChanged` reads), as a plan with callback
 * returns off and GenServer states captured through `sys` would.
 */
import { atom, ErlMap, type Term } from "../../src/etf/terms.js";
import { NODE } from "./synthetic-terms.js";

/** The part of the agent's hello that ingest needs, plus what a recording's metadata records. */
export interface SyntheticHello {
  node: string;
  otpRelease: string;
  elixirVersion: string;
  monotonicNs: bigint;
  timeOffsetNs: bigint;
  plan: Term;
}

/** Plan entries as the agent checks them; `return => true` for the two functions whose returns are traced. */
function planTerm(): Term {
  const fn = (module: string, fun: string, arity: number | string, ret: boolean) =>
    new ErlMap([
      [atom("module"), atom(module)],
      [atom("function"), atom(fun)],
      [atom("arity"), typeof arity === "number" ? arity : atom(arity)],
      [atom("args"), atom("false")],
      [atom("return"), atom(ret ? "true" : "false")],
    ]);
  return new ErlMap([
    [
      atom("functions"),
      [
        fn("Elixir.Bench.Ledger", "post", 2, true),
        fn("Elixir.Bench.Worker", "compute", 1, true),
        fn("Elixir.Bench.Ledger", "_", "_", false),
        fn("Elixir.Bench.Worker", "_", "_", false),
        fn("Elixir.Bench.Account", "_", "_", false),
        fn("Elixir.Bench.Client", "_", "_", false),
        fn("Elixir.Bench.Util", "_", "_", false),
        fn("Elixir.Bench.Relay", "_", "_", false),
      ],
    ],
    [atom("processes"), atom("all")],
    [atom("messages"), atom("true")],
    [atom("process_events"), atom("true")],
    [atom("state"), atom("all")],
  ]);
}

export function syntheticHello(): SyntheticHello {
  return {
    node: NODE,
    otpRelease: "25",
    elixirVersion: "1.14.0",
    monotonicNs: -576_460_751_234_567_890n,
    timeOffsetNs: 576_460_752_303_423_488n + 1_733_000_000_000_000_000n,
    plan: planTerm(),
  };
}
