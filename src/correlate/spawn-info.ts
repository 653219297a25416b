/**
 * What kind of process a spawn started, read from its initial call: OTP processes start in
 * `:proc_lib.init_p/5` with `:gen.init_it` and the behaviour and callback module among the arguments, an
 * Elixir Task in `Task.Supervised`. Used to name tracks and find supervisors, and to know which processes
 * take their messages in order (GenServers, gen_statems, supervisors). Processes already running when
 * recording began have no spawn: the hello's `behaviours` says what they are (`runningInfo`).
 */
import { Atom, Tuple, type Term } from "../etf/terms.js";

export interface SpawnInfo {
  behaviour: "genserver" | "gen_statem" | "supervisor" | "task" | "process";
  /** The callback module (`SampleApp.Bank.Account`'s atom name), when there is one. */
  module: string | null;
  /** The initial call users think of (`Module.init/1`), when it differs from the spawn's own. */
  initial: [string, string, number] | null;
  inOrder: boolean;
  /** For an application's master (`:application_master.init/4`), the application it runs. */
  application?: string;
}

const PLAIN: SpawnInfo = { behaviour: "process", module: null, initial: null, inOrder: false };

function name(t: Term | undefined): string | undefined {
  return t instanceof Atom ? t.name : undefined;
}

/** `spawnMfa` is the spawn event's `{M, F, Args}` term; `parts` its names. */
export function spawnInfo(spawnMfa: Term, parts: { module: string; fun: string }): SpawnInfo {
  if (!(spawnMfa instanceof Tuple) || parts.module !== "proc_lib") return PLAIN;
  const args = spawnMfa.at(2);
  if (!Array.isArray(args) || args.length !== 5) return PLAIN;
  const [, , m, f, a] = args;
  if (name(m) === "application_master" && name(f) === "init" && Array.isArray(a)) {
    // [Parent, Starter, #appl_data{name = App, ...}, Type]: what runs under it belongs to App.
    const data = a[2];
    const app = data instanceof Tuple && name(data.at(0)) === "appl_data" ? name(data.at(1)) : undefined;
    return app === undefined ? PLAIN : { ...PLAIN, application: app };
  }
  if (name(m) === "gen" && name(f) === "init_it" && Array.isArray(a)) {
    // [GenMod, Starter, Parent, Name, Mod, Args, Opts] or without Name.
    const genMod = name(a[0]);
    const mod = name(a.length === 7 ? a[4] : a[3]);
    const modArgs = a.length === 7 ? a[5] : a[4];
    if (mod === "supervisor") {
      const userMod = modArgs instanceof Tuple && modArgs.size === 3 ? name(modArgs.at(1)) : undefined;
      return {
        behaviour: "supervisor",
        module: userMod ?? null,
        initial: userMod ? [userMod, "init", 1] : null,
        inOrder: true,
      };
    }
    if (
      mod === "Elixir.DynamicSupervisor" ||
      mod === "Elixir.Task.Supervisor" ||
      mod === "Elixir.PartitionSupervisor"
    ) {
      return { behaviour: "supervisor", module: mod, initial: [mod, "init", 1], inOrder: true };
    }
    if (genMod === "gen_event")
      return { behaviour: "process", module: null, initial: ["gen_event", "init_it", 6], inOrder: false };
    if (mod !== undefined) {
      const behaviour = genMod === "gen_statem" ? "gen_statem" : "genserver";
      return { behaviour, module: mod, initial: [mod, "init", 1], inOrder: true };
    }
  }
  if (name(m) === "Elixir.Task.Supervised")
    return { behaviour: "task", module: null, initial: null, inOrder: false };
  return PLAIN;
}

/**
 * A process that was running when recording began, from the hello's `behaviours` entry: its behaviour
 * (`gen_server`, `gen_statem` or `supervisor`, as elixirscope_agent_census names them) and callback module.
 */
export function runningInfo(behaviour: string, module: string): SpawnInfo | undefined {
  const kind =
    behaviour === "gen_server"
      ? "genserver"
      : behaviour === "gen_statem" || behaviour === "supervisor"
        ? behaviour
        : undefined;
  return kind && { behaviour: kind, module, initial: [module, "init", 1], inOrder: true };
}
