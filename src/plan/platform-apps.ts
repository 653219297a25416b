/**
 * The applications of OTP, Elixir and their tools that every node may run: the default plan traces a node's
 * other applications (its own), and questions about processes put those before these.
 */
export const PLATFORM_APPS: ReadonlySet<string> = new Set([
  "kernel",
  "stdlib",
  "compiler",
  "elixir",
  "logger",
  "iex",
  "mix",
  "ex_unit",
  "eex",
  "crypto",
  "asn1",
  "public_key",
  "ssl",
  "inets",
  "sasl",
  "runtime_tools",
  "tools",
  "syntax_tools",
  "hex",
  "os_mon",
  "xmerl",
]);
