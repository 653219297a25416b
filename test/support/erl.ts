/**
 * Runs short-lived `erl` commands for tests and benchmarks (no distribution): `runErl(["-noshell", "-eval",
 * "...", "-s", "init", "stop"])`. Fails with a clear message when Erlang/OTP is not installed, and with the
 * command's output when it exits non-zero.
 */
import { execFile } from "node:child_process";

export interface RunErlOptions {
  /** Working directory of the command. */
  cwd?: string;
  /** Kill it after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Largest stdout/stderr kept, in bytes (default 64 MiB). */
  maxBuffer?: number;
}

export interface ErlOutput {
  stdout: string;
  stderr: string;
}

/** The executable to run: `$ERL` if set, else `erl` on the PATH. */
export function erlExecutable(): string {
  return process.env["ERL"] ?? "erl";
}

/**
 * Runs `erl` with `args` and resolves with its output when it exits with status 0. Rejects with an error
 * that says what to install if `erl` is missing, or with the exit status and output otherwise.
 */
export function runErl(args: string[], opts: RunErlOptions = {}): Promise<ErlOutput> {
  return runProgram(erlExecutable(), args, opts);
}

/** The same for any OTP program, such as `erlc`. */
export function runProgram(program: string, args: string[], opts: RunErlOptions = {}): Promise<ErlOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
        env: { ...process.env, ...opts.env },
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          reject(
            new Error(
              `cannot run \`${program}\`: it is not on the PATH. Install Erlang/OTP (for example ` +
                "`apt-get install erlang` or asdf/kerl) or set $ERL to the erl executable.",
            ),
          );
          return;
        }
        const how = error.killed
          ? `was killed after ${opts.timeoutMs ?? 60_000} ms`
          : `exited with ${String(code)}`;
        reject(
          new Error(
            `\`${program} ${args.join(" ").slice(0, 300)}\` ${how}\n--- stdout ---\n${stdout.slice(-4000)}\n` +
              `--- stderr ---\n${stderr.slice(-4000)}`,
          ),
        );
      },
    );
  });
}
