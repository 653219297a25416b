/**
 * `--open` for `record`, `attach` and `demo`: the Execution Cinema on the recording as it is being written.
 * While recording, the UI's questions go to the recording's writer (what is committed so far, refreshed as it
 * grows); once the recording is finished the same server opens the finished file.
 */
import { resolve } from "node:path";
import { openLiveRecording, openRecording } from "../query/index.js";
import type { RecordingSink } from "../record/recording-sink.js";
import { startCinemaServer, type CinemaServer } from "../server/server.js";
import { openInBrowser } from "./open.js";

export interface LiveCinema {
  /** Call with the sink once the recording exists; resolves with the server once it listens. */
  attach(sink: RecordingSink): void;
  server(): Promise<CinemaServer>;
}

export function liveCinema(
  out: string,
  opts: { port?: string; host?: string; browser?: boolean },
  say: (line: string) => void,
): LiveCinema {
  let sink: RecordingSink | undefined;
  let started: Promise<CinemaServer> | undefined;
  const file = resolve(out);
  const open = (path: string) => {
    const live = sink?.live;
    return live ? openLiveRecording(live, path) : openRecording(path);
  };
  return {
    attach(s) {
      sink = s;
      started = startCinemaServer({
        file,
        open,
        host: opts.host,
        port: opts.port === undefined ? 0 : Number(opts.port),
      }).then((server) => {
        say(`Execution Cinema (live): ${server.url}`);
        if (opts.browser !== false) openInBrowser(server.url);
        return server;
      });
      started.catch((err: unknown) => say(`elixirscope: cannot start the Cinema: ${(err as Error).message}`));
    },
    server: () => started ?? Promise.reject(new Error("nothing was recorded")),
  };
}

/**
 * Serves until Ctrl-C (or SIGTERM), then closes the server and ends the process, within a second even if a
 * browser still holds a connection open.
 */
export async function serveUntilInterrupted(
  server: CinemaServer,
  say: (line: string) => void,
  announce = true,
): Promise<void> {
  if (announce) say(`The Cinema goes on serving the recording at ${server.url}; Ctrl-C stops.`);
  await new Promise<void>((done) => {
    const stop = () => {
      const grace = new Promise<void>((r) => setTimeout(r, 1000).unref());
      void Promise.race([server.close(), grace]).finally(() => {
        done();
        process.exit(0);
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
