/**
 * The Execution Cinema server: opens one recording through the query engine, then serves the built UI and
 * the JSON API (`POST /TOKEN/api/<method>` with the method's arguments as a JSON array) on 127.0.0.1 unless
 * a host is given. Every request must carry the random access token as its first path segment; a recording
 * that cannot be opened is shown as an error page, and its file is watched for live recordings.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Recording } from "../query/api.js";
import { BadRequest, callApi } from "./api-call.js";
import { defaultOpen, errorKind, errorMessage, type OpenRecording } from "./engine.js";
import { liveChannel, watchFile } from "./live.js";
import { forbiddenPage, notFoundPage, recordingErrorPage } from "./pages.js";
import { sendUiFile, UI_DIR } from "./static-files.js";

export interface CinemaServerOptions {
  file: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  token?: string;
  open?: OpenRecording;
  uiDir?: string;
}

export interface CinemaServer {
  url: string;
  token: string;
  /** Why the recording could not be opened, or null. */
  error: string | null;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) =>
    typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v,
  );
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest("request body too large");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text === "" ? [] : (JSON.parse(text) as unknown);
  } catch {
    throw new BadRequest("the request body is not JSON");
  }
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startCinemaServer(options: CinemaServerOptions): Promise<CinemaServer> {
  const open = options.open ?? defaultOpen;
  const token = options.token ?? randomBytes(18).toString("base64url");
  const uiDir = options.uiDir ?? UI_DIR;
  const host = options.host ?? "127.0.0.1";
  const loopback = host === "127.0.0.1" || host === "localhost" || host === "::1";
  let recording: Recording | null = null;
  let openError: string | null = null;
  try {
    recording = await open(options.file);
  } catch (err) {
    openError = errorMessage(err);
  }

  async function api(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== "POST") return sendJson(res, 405, { error: { kind: "query", message: "use POST" } });
    if (recording === null)
      return sendJson(res, 500, { error: { kind: "recording", message: openError ?? "not open" } });
    try {
      const result = await callApi(recording, method, await readBody(req), { allowSql: loopback });
      sendJson(res, 200, { result });
    } catch (err) {
      const kind = err instanceof BadRequest ? "query" : errorKind(err);
      sendJson(res, kind === "query" ? 400 : 500, { error: { kind, message: errorMessage(err) } });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const [, given = "", ...rest] = path.split("/");
    if (!sameToken(decodeURIComponent(given), token)) return sendHtml(res, 403, forbiddenPage());
    if (rest.length === 0) {
      res.writeHead(302, { location: `/${given}/` });
      return void res.end();
    }
    const sub = rest.join("/");
    if (sub.startsWith("api/")) return api(req, res, sub.slice(4));
    if (sub === "" || sub === "index.html") {
      if (openError !== null) return sendHtml(res, 500, recordingErrorPage(options.file, openError));
    }
    if (!(await sendUiFile(res, sub, uiDir))) sendHtml(res, 404, notFoundPage());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { kind: "internal", message: errorMessage(err) } });
      else res.destroy();
    });
  });
  const live = liveChannel(server, `/${token}/live`);

  // A live recording: open the file again when it changed, and tell the UIs.
  let reopening = false;
  let again = false;
  function reopen(): void {
    if (reopening) {
      again = true;
      return;
    }
    reopening = true;
    open(options.file)
      .then((fresh) => {
        const old = recording;
        recording = fresh;
        openError = null;
        live.broadcast({ type: "updated", info: fresh.info() });
        // Let answers in progress on the old one finish.
        if (old) setTimeout(() => void old.close().catch(() => {}), 5000).unref();
      })
      .catch(() => {})
      .finally(() => {
        reopening = false;
        if (again) {
          again = false;
          reopen();
        }
      });
  }
  const stopWatching = watchFile(options.file, reopen);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${shownHost}:${port}/${token}/`,
    token,
    error: openError,
    async close() {
      stopWatching();
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await recording?.close();
    },
  };
}
