/** Finds the OTP application a Mix project builds, for the default plan: trace the project's own code. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The `app:` of `mix.exs` in `dir`, or undefined when there is none. */
export function mixApplication(dir: string): string | undefined {
  const file = join(dir, "mix.exs");
  if (!existsSync(file)) return undefined;
  return /\bapp:\s*:([a-z][a-z0-9_]*)/.exec(readFileSync(file, "utf8"))?.[1];
}

/**
 * The `ebin` folder Mix builds `app` into for the environment the command will run in: `mix test` runs in
 * `test`, other commands in `$MIX_ENV` or `dev`.
 */
export function mixEbin(dir: string, app: string, command: string[], env = process.env): string {
  const task = command[0] === "mix" ? command.find((a, i) => i > 0 && !a.startsWith("-")) : undefined;
  const mixEnv = env["MIX_ENV"] ?? (task === "test" ? "test" : "dev");
  return join(dir, "_build", mixEnv, "lib", app, "ebin");
}
