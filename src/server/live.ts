/**
 * Live recordings: watches the recording file and, once it has stopped changing for a moment, calls back so
 * that the server opens it again and tells every connected UI over its WebSocket.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Server } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import type { LiveUpdate } from "./wire.js";

export interface LiveChannel {
  broadcast(update: LiveUpdate): void;
  close(): void;
}

/** Accepts WebSocket upgrades on `path` (the token is part of it) and can push updates to all of them. */
export function liveChannel(server: Server, path: string): LiveChannel {
  const wss = new WebSocketServer({ noServer: true });
  const clients = new Set<WebSocket>();
  server.on("upgrade", (req, socket, head) => {
    if (req.url !== path) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on("close", () => clients.delete(ws));
    });
  });
  return {
    broadcast(update) {
      const text = JSON.stringify(update);
      for (const ws of clients) ws.send(text);
    },
    close() {
      for (const ws of clients) ws.terminate();
      wss.close();
    },
  };
}

/**
 * Calls `changed` `quietMs` after the file was written, created or replaced (at most that often). Its
 * folder is watched, so that a file that does not exist yet, or is replaced by a rename, is followed too.
 */
export function watchFile(file: string, changed: () => void, quietMs = 500): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const name = basename(file);
  try {
    watcher = watch(dirname(file), (_event, changedName) => {
      if (changedName !== null && changedName !== name && !changedName.startsWith(`${name}.wal`)) return;
      // At most once per quietMs while the file keeps changing (a recording being written never rests).
      timer ??= setTimeout(() => {
        timer = undefined;
        changed();
      }, quietMs);
    });
    watcher.on("error", () => watcher?.close());
  } catch {
    // A folder that cannot be watched: there is nothing live to follow.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
