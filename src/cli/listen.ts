/** `elixirscope listen`: argument handling, progress and summary on the terminal. */
import { listenAndRecord } from "../record/listen.js";
import { checkOutPath } from "../record/out-path.js";
import { summaryText, terminalProgress } from "../record/progress.js";

function defaultOut(): string {
  return `elixirscope-${new Date().toISOString().replace(/[:.]/g, "-")}.esrec`;
}

export async function listenCommand(opts: {
  port: string;
  token: string;
  out?: string;
  duration?: string;
}): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`--port must be a TCP port number (1-65535), got ${opts.port}`);
  if (opts.token === "") throw new Error("--token must not be empty");
  const durationMs = opts.duration === undefined ? undefined : Number(opts.duration) * 1000;
  if (durationMs !== undefined && !(durationMs > 0))
    throw new Error(`--duration must be a positive number of seconds`);
  const out = opts.out ?? defaultOut();
  checkOutPath(out);
  const stop = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  const stats = await listenAndRecord({
    port,
    token: opts.token,
    out,
    durationMs,
    stop,
    onProgress: terminalProgress(process.stderr),
    onListening: (p) =>
      process.stderr.write(`Waiting on 127.0.0.1:${p} for an application configured with this token...\n`),
    onRejected: (reason) => process.stderr.write(`elixirscope: refused a connection: ${reason}\n`),
    onStarted: (node) =>
      process.stderr.write(
        `Recording ${node}${durationMs ? ` for ${opts.duration} s` : ""}; Ctrl-C stops.\n`,
      ),
  });
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  if (stats) process.stderr.write(summaryText(out, stats) + "\n");
  else process.stderr.write("elixirscope: stopped before any application connected; nothing was recorded\n");
}
