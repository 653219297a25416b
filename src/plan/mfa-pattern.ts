/**
 * MFA patterns as users write them in a trace plan, in Elixir or Erlang spelling:
 *
 *     SampleApp.Bank.Account            every function of the module
 *     SampleApp.Bank.*                  every module under SampleApp.Bank (and SampleApp.Bank itself)
 *     SampleApp.Bank.transfer/3         one function
 *     SampleApp.Bank.transfer/_         every arity of transfer
 *     SampleApp.Bank.Account.handle_*   functions by prefix
 *     :lists.map/2  or  lists:map/2     an Erlang module's function
 *
 * A pattern becomes `{ module, fun, arity }` where module is an exact atom name or a prefix (`*`), and
 * fun is exact, a prefix, or any.
 */

export interface NamePattern {
  kind: "exact" | "prefix" | "any";
  value: string;
}

export interface MfaPattern {
  source: string;
  module: NamePattern;
  fun: NamePattern;
  arity: number | "any";
}

export class PatternError extends Error {}

const ELIXIR_ALIAS = /^[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*$/;
const ERLANG_ATOM = /^[a-z][A-Za-z0-9_@]*$/;
const FUN_NAME = /^[a-z_][A-Za-z0-9_]*[?!]?$/;

function namePattern(text: string, what: string, source: string): NamePattern {
  if (text === "*" || text === "_") return { kind: "any", value: "" };
  if (text.endsWith("*")) return { kind: "prefix", value: text.slice(0, -1) };
  if (text.length === 0) throw new PatternError(`'${source}': empty ${what}`);
  return { kind: "exact", value: text };
}

/** The atom name of a module as written: `SampleApp.Bank` is `Elixir.SampleApp.Bank`, `:lists` is `lists`. */
function moduleAtom(text: string, source: string): NamePattern {
  const bare = text.startsWith(":") ? text.slice(1) : text;
  if (bare.endsWith(".*")) {
    const base = bare.slice(0, -2);
    if (!ELIXIR_ALIAS.test(base))
      throw new PatternError(`'${source}': '${base}' is not an Elixir module name`);
    return { kind: "prefix", value: `Elixir.${base}` };
  }
  if (ELIXIR_ALIAS.test(bare)) return { kind: "exact", value: `Elixir.${bare}` };
  if (bare.startsWith("Elixir.") || ERLANG_ATOM.test(bare)) return namePattern(bare, "module", source);
  if (bare.endsWith("*") && ERLANG_ATOM.test(bare.slice(0, -1))) return namePattern(bare, "module", source);
  throw new PatternError(`'${source}': '${text}' is not a module name (expected e.g. MyApp.Worker or :ets)`);
}

export function parseMfaPattern(source: string): MfaPattern {
  const text = source.trim();
  let arity: number | "any" = "any";
  let rest = text;
  const slash = text.lastIndexOf("/");
  if (slash >= 0) {
    const a = text.slice(slash + 1);
    if (a === "_" || a === "*") arity = "any";
    else if (/^\d{1,3}$/.test(a) && Number(a) <= 255) arity = Number(a);
    else throw new PatternError(`'${source}': arity '${a}' must be 0..255 or _`);
    rest = text.slice(0, slash);
  }
  // Erlang spelling: module:function
  const colon = rest.indexOf(":", rest.startsWith(":") ? 1 : 0);
  if (colon > 0) {
    const mod = moduleAtom(rest.slice(0, colon), source);
    const fun = rest.slice(colon + 1);
    if (fun !== "*" && fun !== "_" && !FUN_NAME.test(fun.replace(/\*$/, ""))) {
      throw new PatternError(`'${source}': '${fun}' is not a function name`);
    }
    return { source, module: mod, fun: namePattern(fun, "function", source), arity };
  }
  // Elixir spelling: the function is the last dotted segment when it starts with a lower-case letter.
  const lastDot = rest.lastIndexOf(".");
  const last = lastDot >= 0 ? rest.slice(lastDot + 1) : "";
  if (lastDot > 0 && (FUN_NAME.test(last.replace(/\*$/, "")) || last === "_") && !rest.endsWith(".*")) {
    const mod = moduleAtom(rest.slice(0, lastDot), source);
    return { source, module: mod, fun: namePattern(last, "function", source), arity };
  }
  if (slash >= 0) throw new PatternError(`'${source}': an arity needs a function name, as in Mod.fun/2`);
  return { source, module: moduleAtom(rest, source), fun: { kind: "any", value: "" }, arity };
}

export function matchesName(p: NamePattern, name: string): boolean {
  return p.kind === "any" || (p.kind === "exact" ? name === p.value : name.startsWith(p.value));
}

/** A module prefix pattern `Elixir.A.B` also covers the module `Elixir.A.B` itself. */
export function matchesModule(p: NamePattern, module: string): boolean {
  if (p.kind === "prefix" && p.value.endsWith("."))
    return module.startsWith(p.value) || module === p.value.slice(0, -1);
  if (p.kind === "prefix" && !p.value.endsWith(".") && p.value.startsWith("Elixir.")) {
    return module === p.value || module.startsWith(p.value + ".");
  }
  return matchesName(p, module);
}

export function matchesMfa(p: MfaPattern, module: string, fun: string, arity: number): boolean {
  return (
    matchesModule(p.module, module) && matchesName(p.fun, fun) && (p.arity === "any" || p.arity === arity)
  );
}
