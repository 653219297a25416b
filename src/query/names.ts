/**
 * How modules, functions and process names read to an Elixir developer: `SampleApp.Bank.transfer/3`,
 * `:lists.map/2`, `:gen_server.loop/7`. Used when a recording is written (the `mfas.name` column) and when
 * answers are printed.
 */

const IDENTIFIER = /^[a-z_][a-zA-Z0-9_@]*[?!]?$/;

/** `Elixir.SampleApp.Bank` as `SampleApp.Bank`, `lists` as `:lists`. */
export function moduleName(module: string): string {
  if (module.startsWith("Elixir.")) return module.slice("Elixir.".length);
  return IDENTIFIER.test(module) ? `:${module}` : `:"${module}"`;
}

export function functionName(fun: string): string {
  return IDENTIFIER.test(fun) ? fun : `"${fun.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function formatMfa(module: string, fun: string, arity: number | string): string {
  return `${moduleName(module)}.${functionName(fun)}/${arity}`;
}

/** A registered name as Elixir code refers to it: `SampleApp.Bank.Teller` or `:my_server`. */
export function processName(atom: string): string {
  return moduleName(atom);
}
