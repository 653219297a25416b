/**
 * `elixirscope open FILE`: starts the Execution Cinema server for one recording, prints its URL (with the
 * access token) and opens it in the default browser unless told not to; serves until Ctrl-C. A file it
 * cannot open (missing, damaged, not a recording) is a one-line error instead, and nothing is served.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { startCinemaServer, type CinemaServer } from "../server/server.js";
import { RecordingError } from "../store/open.js";
import { serveUntilInterrupted } from "./cinema-live.js";

export interface OpenOptions {
  port?: string;
  host?: string;
  browser?: boolean;
}

/** Asks the desktop to open `url`; quietly does nothing where there is no desktop. */
export function openInBrowser(url: string): void {
  const command =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer.exe" : "xdg-open";
  try {
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // No browser to open: the URL is printed.
  }
}

export async function startOpen(
  file: string,
  opts: OpenOptions,
  out: (line: string) => void = (l) => process.stdout.write(l + "\n"),
): Promise<CinemaServer> {
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port: ${opts.port}`);
  const server = await startCinemaServer({ file: resolve(file), host: opts.host, port });
  if (server.error !== null) {
    await server.close();
    // The reasons name the file and say what to do.
    throw new RecordingError(server.error);
  }
  out(`Execution Cinema: ${server.url}`);
  if (opts.host !== undefined && opts.host !== "127.0.0.1" && opts.host !== "localhost")
    out(`  listening on ${opts.host}: anyone who has the URL can see the recording`);
  out("  Ctrl-C to stop.");
  if (opts.browser !== false) openInBrowser(server.url);
  return server;
}

export async function openCommand(file: string, opts: OpenOptions): Promise<void> {
  const server = await startOpen(file, opts);
  await serveUntilInterrupted(server, () => {}, false);
}
