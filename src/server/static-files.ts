/**
 * Serves the built UI (Vite's output, shipped in the package under dist/ui): files by path, with their
 * content type; hashed assets are cached for good, index.html never.
 */
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerResponse } from "node:http";

/** dist/ui, next to dist/src/server where this module is compiled to. */
export const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/** Sends the file at `relPath` under the UI folder; false when there is none. */
export async function sendUiFile(res: ServerResponse, relPath: string, root = UI_DIR): Promise<boolean> {
  const file = normalize(join(root, relPath === "" ? "index.html" : relPath));
  if (!file.startsWith(normalize(root + sep))) return false;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": relPath.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
  return true;
}
