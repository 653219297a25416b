#!/usr/bin/env node
/**
 * The `elixirscope` command: parses arguments and hands each subcommand to its module in this folder,
 * loaded only when that subcommand runs (a question to a recording need not load the recorder).
 * Errors we expect (a wrong cookie, an unknown node, ...) print one line and exit non-zero; only
 * ELIXIRSCOPE_DEBUG=1 shows stack traces.
 */
import { Command, CommanderError } from "commander";
import { DistError } from "../dist/errors.js";
import { QueryError } from "../query/api.js";
import { RecordingError } from "../store/errors.js";

const EXIT_USAGE = 64;
const EXIT_FAILURE = 2;

function fail(err: unknown): never {
  if (process.env["ELIXIRSCOPE_DEBUG"] === "1") console.error(err);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`elixirscope: ${message}\n`);
  process.exit(
    err instanceof DistError || err instanceof QueryError || err instanceof RecordingError ? EXIT_FAILURE : 1,
  );
}

const program = new Command()
  .name("elixirscope")
  .description("Execution Cinema: record, query and replay what a BEAM system did")
  .version("0.1.0")
  .exitOverride()
  .configureOutput({
    // A usage mistake says where to look: the command's own help when the command is known.
    outputError: (text, write) => {
      const named = program.commands.find((c) => c.name() === process.argv[2]);
      const help = named ? `elixirscope ${named.name()} --help` : "elixirscope --help";
      const line = text.trimEnd().replace(/\n\(Did you mean (.*)\?\)$/, ": did you mean $1?");
      write(`${line} (see '${help}')\n`);
    },
  });

program
  .command("ping")
  .description(
    "connect to a node as a hidden node and report its OTP and Elixir versions and the round-trip time",
  )
  .requiredOption("--node <name>", "the node, as name@host (a bare name means this host)")
  .option("--cookie <cookie>", "the node's cookie (default: ~/.erlang.cookie)")
  .option("--timeout <ms>", "give up after this many milliseconds", "5000")
  .action(async (opts: { node: string; cookie?: string; timeout: string }) => {
    const { pingCommand } = await import("./ping.js");
    await pingCommand({ node: opts.node, cookie: opts.cookie, timeoutMs: Number(opts.timeout) });
  });

program
  .command("record")
  .description("run a BEAM command (mix test, mix run, iex -S mix, elixir, erl) and record what it does")
  .option("--plan <file>", "trace plan (JSON); default: the Mix project's own application")
  .option("--out <file>", "recording file (default: elixirscope-<time>.esrec)")
  .option("--open", "show the recording in the Execution Cinema as it is made, and go on serving it after")
  .option("--port <port>", "with --open: the Cinema's port (default: a free one)")
  .option("--host <host>", "with --open: the address to listen on (default: 127.0.0.1 only)")
  .option("--no-browser", "with --open: only print the URL")
  .argument("<command...>", "the command, after --")
  .action(
    async (
      command: string[],
      opts: { plan?: string; out?: string; open?: boolean; port?: string; host?: string; browser?: boolean },
    ) => {
      const { recordCommand } = await import("./record.js");
      process.exitCode = await recordCommand(command, opts);
    },
  );

program
  .command("attach")
  .description("record a running node, with no change to it, until Ctrl-C or --duration")
  .requiredOption("--node <name>", "the node, as name@host")
  .option("--cookie <cookie>", "the node's cookie (default: ~/.erlang.cookie)")
  .option("--plan <file>", "trace plan (JSON); default: the node's own applications")
  .option("--duration <seconds>", "stop after this many seconds")
  .option("--out <file>", "recording file (default: elixirscope-<time>.esrec)")
  .option("--open", "show the recording in the Execution Cinema as it is made, and go on serving it after")
  .option("--port <port>", "with --open: the Cinema's port (default: a free one)")
  .option("--host <host>", "with --open: the address to listen on (default: 127.0.0.1 only)")
  .option("--no-browser", "with --open: only print the URL")
  .action(
    async (opts: {
      node: string;
      cookie?: string;
      plan?: string;
      duration?: string;
      out?: string;
      open?: boolean;
      port?: string;
      host?: string;
      browser?: boolean;
    }) => {
      const { attachCommand } = await import("./record.js");
      await attachCommand(opts);
    },
  );

program
  .command("listen")
  .description(
    "wait for an application that has ElixirScope as a dependency to connect, and record it until Ctrl-C, --duration or its end",
  )
  .requiredOption("--port <port>", "the port of the application's collector setting (on 127.0.0.1)")
  .requiredOption("--token <token>", "the application's token setting")
  .option("--duration <seconds>", "stop this many seconds after the application connected")
  .option("--out <file>", "recording file (default: elixirscope-<time>.esrec)")
  .action(async (opts: { port: string; token: string; duration?: string; out?: string }) => {
    const { listenCommand } = await import("./listen.js");
    await listenCommand(opts);
  });

program
  .command("open")
  .description("open a recording in the Execution Cinema (a local web UI) and print its URL")
  .argument("<file>", "the recording")
  .option("--port <port>", "the port to listen on (default: a free one)")
  .option("--host <host>", "the address to listen on (default: 127.0.0.1 only)")
  .option("--no-browser", "only print the URL, do not open a browser")
  .action(async (file: string, opts: { port?: string; host?: string; browser: boolean }) => {
    const { openCommand } = await import("./open.js");
    await openCommand(file, opts);
  });

program
  .command("recover")
  .description(
    "rebuild a recording whose recorder was killed before it finished, from the frames it had received (FILE.spool)",
  )
  .argument("<file>", "the cut-off recording")
  .action(async (file: string) => {
    const { recoverCommand } = await import("./recover.js");
    await recoverCommand(file);
  });

program
  .command("query")
  .description(
    "answer a question about a recording: info, processes, history, messages, state, states, mailbox, links, calls, flame, callgraph, flow, crashes, why, sender, unreceived, sql, export",
  )
  .argument("<file>", "the recording")
  .argument("<question>", "what to ask (see 'elixirscope help query')")
  .argument(
    "[args...]",
    "the question's processes or events: <0.123.0>, #PID<0.123.0>, a registered name, #SEQ",
  )
  .option("--json", "print the answer as JSON")
  .option("--erlang", "print terms in Erlang syntax")
  .option(
    "--at <moment>",
    "for state, mailbox and links: an event (#1234) or a time since the start (1.5s, 250ms)",
  )
  .option("--after <seq>", "paging: only what comes after this event")
  .option("--before <seq>", "for flow: look only before this event (paging back)")
  .option("--limit <n>", "at most this many answers")
  .option("--kinds <list>", "for history and events: event kinds, comma-separated (call,send,receive,...)")
  .option("--modules <list>", "for history and events: module patterns, comma-separated (SampleApp.Bank.*)")
  .option("--from <time>", "only from this time since the start (1.5s, 250ms)")
  .option("--to <time>", "only up to this time since the start")
  .option(
    "--pattern <pattern>",
    "for messages: an Elixir pattern the message must match, e.g. '{:transfer, _, _, _}'",
  )
  .option("--format <format>", "for export: perfetto (default) or jsonl")
  .option("--out <file>", "for export: the file to write (default: standard output)")
  .action(async (file: string, question: string, args: string[], opts: Record<string, string | boolean>) => {
    const { queryCommand } = await import("./query.js");
    await queryCommand(file, question, [question, ...args], opts);
  });

program
  .command("demo")
  .description("record the sample Elixir application's workload and show what the recording holds")
  .option("--out <file>", "recording file (default: elixirscope-demo.esrec)")
  .option("--no-open", "do not open the recording in the Execution Cinema afterwards")
  .option("--port <port>", "the Cinema's port (default: a free one)")
  .option("--no-browser", "only print the Cinema's URL")
  .action(async (opts: { out?: string; open: boolean; port?: string; browser: boolean }) => {
    const { demoCommand } = await import("./demo.js");
    await demoCommand(opts);
  });

// `elixirscope query ... | head` closes our output early: that is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  fail(err);
}
