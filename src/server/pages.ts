/**
 * The server's own HTML pages, shown instead of the UI: a wrong access token (403) and a recording that
 * could not be opened (missing, corrupt, unsupported). Plain HTML in the UI's colours, no script.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · ElixirScope</title>
<style>
body{margin:0;background:#14161b;color:#d7dae0;font:14px/1.5 system-ui,sans-serif;display:flex;justify-content:center}
main{max-width:720px;margin:12vh 24px}
h1{font-size:20px;color:#f07178;margin:0 0 12px}
pre{background:#1d2027;border:1px solid #2c313a;padding:12px;white-space:pre-wrap;word-break:break-word;color:#e6c07b}
code{background:#1d2027;padding:1px 4px}
</style></head><body><main>${body}</main></body></html>`;
}

export function forbiddenPage(): string {
  return page(
    "Access token needed",
    `<h1 data-testid="error-title">Wrong or missing access token</h1>
<p>This ElixirScope server only answers links that carry its access token. The token is made anew each time
the server starts, so old links stop working.</p>
<p>Open the URL that <code>elixirscope open FILE</code> printed when it started (it looks like
<code>http://127.0.0.1:PORT/TOKEN/</code>), or start it again to get a new one.</p>`,
  );
}

export function recordingErrorPage(file: string, message: string): string {
  return page(
    "Cannot open the recording",
    `<h1 data-testid="error-title">Cannot open the recording</h1>
<p>ElixirScope could not open <code>${escapeHtml(file)}</code>:</p>
<pre data-testid="error-message">${escapeHtml(message)}</pre>
<p>Check the path, or record again with <code>elixirscope record --out FILE -- mix test</code>. A recording
that was cut off opens up to its last complete batch; one that says it is corrupt cannot be read.</p>`,
  );
}

export function notFoundPage(): string {
  return page("Not found", `<h1>Not found</h1><p>There is nothing at this address.</p>`);
}
