// The Execution Cinema end to end: the sample app's workload is recorded, opened by the real server and
// engine, and looked at with Debian's Chromium: the crash view, the state at the cursor, the sequence
// diagram, deep links, the API's 1:1 mapping, the access token, error pages and `elixirscope open`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { ProcessInfo, Recording } from "../query/api.js";
import { launchBrowser, type Browser } from "../../test/support/browser.js";
import { recordSampleApp } from "../../test/support/sample-recording.js";
import { callApi } from "./api-call.js";
import { defaultOpen } from "./engine.js";
import { startCinemaServer, type CinemaServer } from "./server.js";

let dir: string;
let file: string;
let rec: Recording;
let server: CinemaServer;
let browser: Browser;
let procs: ProcessInfo[];

before(
  async () => {
    dir = mkdtempSync(join(tmpdir(), "elixirscope-cinema-"));
    file = join(dir, "sample.esrec");
    await recordSampleApp(file);
    rec = await defaultOpen(file);
    procs = await rec.processes();
    server = await startCinemaServer({ file });
    assert.equal(server.error, null);
    browser = await launchBrowser();
  },
  { timeout: 240_000 },
);

after(async () => {
  await browser?.close();
  await server?.close();
  await rec?.close();
  rmSync(dir, { recursive: true, force: true });
});

function named(re: RegExp): ProcessInfo {
  const found = procs.filter((p) => p.name !== null && re.test(p.name));
  assert.ok(found.length > 0, `no process named ${re}: ${procs.map((p) => p.name).join(", ")}`);
  return found[0]!;
}

/** The account GenServer with this id: by its registered name, or by the id in its first state. */
async function account(id: number): Promise<ProcessInfo> {
  const byName = procs.find((p) => p.name !== null && new RegExp(`account_${id}$`).test(p.name));
  if (byName) return byName;
  for (const p of procs.filter((p) => p.initialCall === "SampleApp.Bank.Account.init/1")) {
    const first = (await rec.states(p.id, { limit: 1 })).items[0];
    if (first && new RegExp(`\\bid: ${id}\\b`).test(first.text)) return p;
  }
  assert.fail(`no account ${id} among the processes`);
}

async function open(hash: string, url = server.url): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(url + hash);
  await page.waitForSelector('[data-testid="timeline"][data-answers]', { timeout: 20_000 });
  return page;
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? "";
}

/** Waits until the first element matching `selector` has a text that passes `ok`. */
async function until(
  page: Page,
  selector: string,
  ok: (text: string) => boolean,
  ms = 15_000,
): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const t = (await page.locator(selector).count()) > 0 ? await text(page, selector) : "";
    if (ok(t)) return t;
    if (Date.now() > end) throw new Error(`${selector}: still ${JSON.stringify(t)}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

async function post(
  method: string,
  args: unknown[],
  url = server.url,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url + "api/" + method, { method: "POST", body: JSON.stringify(args) });
  return { status: res.status, body: await res.json() };
}

test("the API answers each Recording method with what the engine answers", async () => {
  assert.deepEqual((await post("info", [])).body, { result: rec.info() });
  assert.deepEqual((await post("processes", [])).body, { result: procs });
  assert.deepEqual((await post("event", [3])).body, { result: await rec.event(3) });
  assert.deepEqual((await post("crashes", [])).body, { result: await rec.crashes() });
  const acc = await account(2);
  const state = (await post("stateAt", [acc.id, acc.lastSeq])).body as {
    result: { text: string; state: unknown };
  };
  const direct = await rec.stateAt(acc.id, acc.lastSeq);
  assert.equal(state.result.text, direct!.text);
  assert.equal(typeof state.result.state, "object");
  const unknown = await post("nope", []);
  assert.equal(unknown.status, 400);
  const bad = await post("resolveProcess", ["no such process anywhere"]);
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.body), /"kind":"query"/);
});

test("sql is answered on 127.0.0.1 only: on a server others can reach it could read files", async () => {
  const local = await post("sql", ["SELECT count(*) AS n FROM events"]);
  assert.equal(local.status, 200);
  await assert.rejects(
    callApi(rec, "sql", ["SELECT 1"], { allowSql: false }),
    /only by a server listening on 127\.0\.0\.1/,
  );
  assert.deepEqual(await callApi(rec, "info", [], { allowSql: false }), rec.info());
});

test("a wrong access token gets a 403 page that says what to do", async () => {
  const wrong = server.url.replace(server.token, "not-the-token");
  const res = await fetch(wrong + "api/info", { method: "POST", body: "[]" });
  assert.equal(res.status, 403);
  const page = await browser.context.newPage();
  const answer = await page.goto(wrong);
  assert.equal(answer?.status(), 403);
  assert.match(await text(page, "body"), /Wrong or missing access token[\s\S]*elixirscope open/);
  await page.close();
});

test("the crash view names the crashing process, the bad message and its sender; a step jumps to its event", async () => {
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason));
  assert.ok(crash, "the worker's crash is recorded");
  const worker = procs[crash.proc]!;
  const label = worker.name ?? worker.pid;
  const page = await open("#v=crashes");
  const card = page.locator('[data-testid="crash"]', { hasText: `${label}` }).first();
  await card.waitFor();
  const cardText = (await card.textContent()) ?? "";
  assert.ok(cardText.includes(`${label}`), cardText);
  assert.match(cardText, /SampleApp\.Worker[\s\S]*crashed|crashed[\s\S]*restarted as SampleApp\.Worker/);
  assert.match(cardText, /ArgumentError/);
  assert.match(cardText, /\{:process, -1\}/, "the bad message");
  const fromClient = card.locator('[data-testid="chain-step"]', { hasText: "SampleApp.Client" }).first();
  const stepText = (await fromClient.textContent()) ?? "";
  assert.match(stepText, /sent by[\s\S]*\{:process, -1\}/, "its sender");
  const seq = await fromClient.getAttribute("data-seq");
  await fromClient.locator("a.seq").click();
  await until(page, '[data-testid="cursor-pos"]', (t) => t.startsWith(`#${seq} `));
  for (let i = 0; i < 100 && !new RegExp(`[#&]c=${seq}(&|$)`).test(page.url()); i++)
    await page.waitForTimeout(20);
  assert.match(page.url(), new RegExp(`[#&]c=${seq}(&|$)`), "the URL holds the cursor");
  await page.close();
});

test("a process selected outside the timeline (crash view, deep link) gets its track scrolled into view", async () => {
  const client = named(/^SampleApp\.Client$/);
  const tracks = async (page: Page) =>
    ((await page.locator('[data-testid="timeline"]').getAttribute("data-tracks")) ?? "").split(",");
  const page = await open("#v=crashes");
  await page.waitForSelector('[data-testid="chain-step"]');
  assert.ok(!(await tracks(page)).includes(String(client.id)), "the client's track starts off screen");
  await page
    .locator('[data-testid="chain-step"]', { hasText: "sent by" })
    .locator("a", { hasText: "SampleApp.Client" })
    .first()
    .click();
  await until(page, '[data-testid="inspector-process"]', (t) => t.includes("SampleApp.Client"));
  for (let i = 0; i < 100 && !(await tracks(page)).includes(String(client.id)); i++)
    await page.waitForTimeout(20);
  assert.ok((await tracks(page)).includes(String(client.id)), `tracks shown: ${await tracks(page)}`);
  // Scrolling away afterwards stays where the user put it.
  const box = (await page.locator('[data-testid="timeline"]').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.keyboard.down("Shift");
  await page.mouse.wheel(0, 2000);
  await page.keyboard.up("Shift");
  await page.waitForTimeout(300);
  assert.ok(!(await tracks(page)).includes(String(client.id)), "scrolled away from the client");
  await page.close();
  const linked = await open(`#v=events&p=${client.id}`);
  for (let i = 0; i < 100 && !(await tracks(linked)).includes(String(client.id)); i++)
    await linked.waitForTimeout(20);
  assert.ok((await tracks(linked)).includes(String(client.id)), `tracks shown: ${await tracks(linked)}`);
  await linked.close();
});

test("a process selected before any cursor is shown at its last event, not as 'not started yet'", async () => {
  const client = named(/^SampleApp\.Client$/);
  const page = await open(`#v=crashes&p=${client.id}`);
  const head = await until(page, '[data-testid="inspector-process"]', (t) => t.includes("SampleApp.Client"));
  await until(page, '[data-testid="state-term"]', (t) => /sent: 4/.test(t));
  const now = await text(page, '[data-testid="inspector-process"]');
  assert.doesNotMatch(now, /not started yet/, head);
  assert.match(now, /alive/);
  assert.match(await text(page, '[data-testid="inspector-no-cursor"]'), new RegExp(`#${client.lastSeq}`));
  assert.match(await text(page, '[data-testid="state-term"]'), /crashed: 1/, "one input crashed the worker");
  assert.match(await text(page, '[data-testid="cursor-pos"]'), /no cursor/);
  await page.close();
});

test("an account's empty flame graph says why a GenServer's callbacks are untimed and how to time them", async () => {
  const acc = await account(2);
  const page = await open(`#v=flame&p=${acc.id}&c=${acc.lastSeq}`);
  const empty = await until(page, '[data-testid="flame-empty"]', (t) => t.length > 0);
  assert.match(empty, /other than GenServers/, empty);
  assert.match(empty, /"callbackReturns": true/, empty);
  await page.close();
});

test("moving the cursor changes the state shown to the right value", async () => {
  // The teller's: captured as the application starts, well before the workload, it has a state after each
  // transfer it is asked for, its list of orders one longer each time. (The accounts, which the workload starts
  // a moment before their first transfers, are captured within a millisecond of their start: in about one
  // recording in four, after all their transfers.)
  const teller = named(/^SampleApp\.Bank\.Teller$/);
  const states = (await rec.states(teller.id, { limit: 100 })).items;
  const orders = (t: string) => (t.match(/\{:transfer, /g) ?? []).length;
  const i = states.findIndex(
    (s, k) =>
      k + 1 < states.length && orders(states[k + 1]!.text) === orders(s.text) + 1 && orders(s.text) > 0,
  );
  assert.ok(i >= 0, "the teller's list of orders grows");
  const [from, to] = [orders(states[i]!.text), orders(states[i + 1]!.text)];
  const page = await open(`#v=calls&p=${teller.id}&c=${states[i]!.seq}`);
  const state = page.locator('[data-testid="state-term"]');
  const shown = async () => orders((await state.textContent()) ?? "");
  await until(page, '[data-testid="state-term"]', (t) => orders(t) === from);
  for (let k = 0; k < 40 && (await shown()) === from; k++) {
    const before = await text(page, '[data-testid="cursor-pos"]');
    await page.click('[data-testid="next-proc"]');
    await until(page, '[data-testid="cursor-pos"]', (t) => t !== before);
    await page.waitForTimeout(50);
    await page.waitForLoadState("networkidle");
  }
  assert.equal(await shown(), to);
  assert.match(await text(page, '[data-testid="state-diff"]'), /\{:transfer, /);
  await page.close();
});

test("the inspector's mailbox says what it is based on, and that a dead process has none", async () => {
  const acc = await account(2);
  const [st] = (await rec.states(acc.id, { limit: 2 })).items.slice(-1);
  const live = await open(`#v=events&p=${acc.id}&c=${st!.seq}`);
  await until(live, '[data-testid="inspector-mailbox"]', (x) => x.includes("received and not yet handled"));
  await live.close();
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const dead = await open(`#v=events&p=${crash.proc}&c=${crash.seq}`);
  await until(dead, '[data-testid="inspector-mailbox"]', (x) =>
    new RegExp(`had exited at #${crash.seq}.*no mailbox`).test(x),
  );
  await dead.close();
});

test("the inspector shows monitors at the cursor beside links, each a link to its process", async () => {
  // A monitor that ended with the :DOWN its watcher received (the chain's caller and its relays).
  const [row] = (
    await rec.sql(
      "SELECT seq, watcher, target, end_seq FROM monitors WHERE ended = 2 AND seq IS NOT NULL AND target IS NOT NULL ORDER BY seq DESC LIMIT 1",
    )
  ).rows;
  const [seq, watcher, target, end] = row!.map(Number) as [number, number, number, number];
  const [w, t] = [procs[watcher]!, procs[target]!];
  const page = await open(`#v=events&p=${watcher}&c=${seq}`);
  const monitors = '[data-testid="inspector-monitors"]';
  await until(page, monitors, (x) => x.includes(t.name ?? t.pid) && x.includes(`#${seq}`));
  // Its target's inspector, one click away, says who watches it.
  await page
    .locator('[data-testid="monitors-watches"] a.proc', { hasText: t.name ?? t.pid })
    .first()
    .click();
  await until(page, '[data-testid="inspector-process"]', (x) => x.includes(t.pid));
  await until(page, '[data-testid="monitors-watched-by"]', (x) => x.includes(w.name ?? w.pid));
  await page.close();
  // At its :DOWN it is gone.
  const after = await open(`#v=events&p=${watcher}&c=${end}`);
  await until(after, '[data-testid="cursor-pos"]', (x) => x.includes(String(end)));
  await after.waitForLoadState("networkidle");
  await until(after, monitors, (x) => !x.includes(`#${seq}`) && x.length > "Monitors".length);
  await after.close();
});

test("a link event names its other process in the events list and the inspector, one click from selecting it", async () => {
  const sup = named(/^SampleApp\.Supervisor$/);
  const teller = named(/^SampleApp\.Bank\.Teller$/);
  const kinds = ["link", "getting_linked", "spawned"] as const;
  const ofProc = async (p: ProcessInfo) =>
    (await rec.events({ procs: [p.id], kinds: [...kinds], limit: 10_000 })).items;
  const link = (await ofProc(sup)).find((e) => e.kind === "link" && e.other === teller.id);
  assert.ok(link, "the supervisor links to the teller it starts");
  const linked = (await ofProc(teller)).find((e) => e.kind === "getting_linked" && e.other === sup.id);
  const spawned = (await ofProc(teller)).find((e) => e.kind === "spawned");
  assert.ok(linked && spawned, "the teller is spawned and linked by its supervisor");

  const page = await open(`#v=events&c=${link.seq}`);
  const row = ".event-row.at-cursor";
  await until(page, row, (t) => t.includes(`#${link.seq}`) && t.includes(`with ${teller.name}`));
  await until(page, '[data-testid="cursor-event"]', (t) =>
    t.includes(`link ${sup.name} with ${teller.name}`),
  );
  // The teller's side of the same link, and its spawn, name the supervisor.
  for (const e of [linked, spawned]) {
    const other = page.locator(`.event-row:has(.num:text-is("#${e.seq}"))`);
    await other.waitFor();
    const t = (await other.textContent()) ?? "";
    assert.ok(t.includes(e.kind) && t.includes(`by ${sup.name}`), t);
  }
  // The partner is a process link: clicking it selects the teller.
  await page.locator(`${row} a.proc`, { hasText: teller.name! }).click();
  await until(page, '[data-testid="inspector-process"]', (x) => x.includes(teller.pid));
  await page.close();
});

test("the data flow view follows a deposit's amount back to the withdrawal for the same transfer", async () => {
  const deposits = await rec.messages(null, null, {
    pattern: '{:"$gen_call", _, {:deposit, _}}',
    limit: 100,
  });
  const last = deposits.items[deposits.items.length - 1]!;
  const page = await open(`#c=${last.receiveSeq}&v=flow`);
  // By default, the message's own term: only its send carried it.
  await until(page, '[data-testid="flow-step"]', (t) => t.includes(`#${last.sendSeq}`));
  assert.equal(await page.locator('[data-testid="flow-step"]').count(), 1);
  // The amount: the withdrawal's call message, sent before the deposit for the same order, is among them.
  await page.locator('[data-testid="flow-value"]').fill("10");
  await page.locator('[data-testid="flow-value"]').press("Enter");
  await until(page, '[data-testid="flow"]', (t) => /\{:withdraw, 10\}/.test(t));
  const steps = page.locator('[data-testid="flow-step"]');
  const first = steps.first();
  assert.equal(
    await first.getAttribute("data-seq"),
    String(last.sendSeq),
    "newest first: the deposit's send",
  );
  assert.match((await first.textContent()) ?? "", /at \{3\}\{2\}/, "where the amount is in the message");
  const withdrawal = steps.filter({ hasText: "{:withdraw, 10}" }).first();
  const seq = await withdrawal.getAttribute("data-seq");
  assert.ok(Number(seq) < last.sendSeq!);
  // A step moves the cursor there and looks back from there for the same value (which the URL keeps).
  await withdrawal.locator("a.seq").click();
  await until(page, '[data-testid="cursor-pos"]', (t) => t.startsWith(`#${seq} `));
  await until(page, '[data-testid="flow"]', (t) => t.includes(`#${seq} come from`));
  await until(page, '[data-testid="flow-step"]', (t) => !t.includes(`#${last.sendSeq}`));
  const back = await steps.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
  assert.ok(back.length > 0 && back.every((n) => n < Number(seq)), "only events before the withdrawal");
  assert.match(page.url(), /[#&]fv=10(&|$)/);
  await page.close();
});

test("the sequence diagram shows the transfer messages in order", async () => {
  const teller = named(/Teller$/);
  const transfers = (await rec.messages(null, teller.id, { pattern: "{:transfer, _, _, _}", limit: 100 }))
    .items;
  const expected = Array.from({ length: 20 }, (_, k) => {
    const i = k + 1;
    return `{:transfer, ${(i % 5) + 1}, ${((i + 1) % 5) + 1}, ${i === 7 || i === 14 ? "1000" : "10"}}`;
  });
  assert.deepEqual(
    transfers.map((m) => m.text.replace(/_/g, "")),
    expected,
  );
  const caller = transfers[0]!.from!;
  const page = await open(`#v=sequence&p=${teller.id}&sp=${caller},${teller.id}&c=${transfers[0]!.sendSeq}`);
  await page.waitForSelector('[data-testid="seq-message"]');
  await page.waitForLoadState("networkidle");
  const labels = await page.locator('[data-testid="seq-message"] title').allTextContents();
  const shown = labels.filter((l) => l.startsWith("{:transfer,")).map((l) => l.replace(/_/g, ""));
  assert.ok(shown.length >= 5, `transfers shown: ${shown.join(" ")}`);
  const start = expected.indexOf(shown[0]!);
  assert.deepEqual(shown, expected.slice(start, start + shown.length));
  assert.equal(start, 0, "the diagram around the first transfer starts with it");
  await page.close();
});

test("the sequence diagram draws a message with no recorded sender (the door's state timeout) from a lane of its own, with its time", async () => {
  const door = named(/^SampleApp\.Door$/);
  const timeout = (await rec.messages(null, door.id, { pattern: "{:timeout, _, :state_timeout}" })).items[0];
  assert.ok(timeout && timeout.from === null && timeout.receiveSeq !== null, JSON.stringify(timeout));
  const page = await open(`#v=sequence&p=${door.id}&c=${timeout.receiveSeq}`);
  const row = page.locator('[data-testid="seq-message"]', { hasText: "state_timeout" }).first();
  await row.waitFor();
  const lane = page.locator('[data-testid="seq-outside"]');
  assert.equal(await lane.count(), 1, "a lane for what the recording does not show");
  assert.match((await lane.textContent()) ?? "", /not recorded/);
  const laneX = Number(await lane.getAttribute("x"));
  const [x0] = ((await row.getAttribute("data-x")) ?? "").split(",").map(Number);
  assert.equal(x0, laneX, "the arrow starts on that lane");
  const heads = await page
    .locator(".seq-head")
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute("x"))));
  assert.equal(laneX, Math.max(...heads), "the lane is the last one, beside the processes");
  assert.match(
    (await row.locator(".seq-time").textContent()) ?? "",
    /^\s*\d[\d.]* (s|ms|µs|ns)\s*$/,
    "its time: when it arrived",
  );
  await page.close();
});

test("a deep link restores the same view", async () => {
  const teller = named(/Teller$/);
  const page = await open("#v=crashes");
  await page.click('[data-testid="tab-processes"]');
  await page.fill('[data-testid="search"]', "Teller");
  await page
    .locator('[data-testid="search-hit"][data-kind="process"]', { hasText: "Teller" })
    .first()
    .dispatchEvent("mousedown");
  await until(page, '[data-testid="inspector-process"]', (t) => /Teller/.test(t));
  for (let i = 0; i < 3; i++) {
    const before = await text(page, '[data-testid="cursor-pos"]');
    await page.click('[data-testid="next-proc"]');
    await until(page, '[data-testid="cursor-pos"]', (t) => t !== before);
  }
  const box = (await page.locator('[data-testid="timeline"]').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await page.waitForTimeout(300);
  await page.waitForLoadState("networkidle");
  const url = page.url();
  assert.match(url, new RegExp(`p=${teller.id}`));
  assert.match(url, /w=-?\d+-\d+/);
  const look = async (p: Page) => ({
    cursor: await text(p, '[data-testid="cursor-pos"]'),
    process: await text(p, '[data-testid="inspector-process"] .proc-name'),
    tab: await text(p, ".tabs button.active"),
    event: await text(p, '[data-testid="cursor-event"]'),
  });
  const want = await look(page);
  const again = await open(new URL(url).hash);
  await until(again, '[data-testid="cursor-pos"]', (t) => t === want.cursor);
  await again.waitForLoadState("networkidle");
  assert.deepEqual(await look(again), want);
  assert.equal(new URL(again.url()).hash, new URL(url).hash);
  await page.close();
  await again.close();
});

test("the process tree, events, search and flame graph views show the recording", async () => {
  const crash = (await rec.crashes()).find((c) => /ArgumentError/.test(c.reason))!;
  const worker = procs[crash.proc]!;
  // Process tree: the worker alive just before its crash, dead with its reason at it.
  const page = await open(`#v=processes&c=${crash.seq - 1}&f=SampleApp`);
  const node = page.locator(`[data-testid="ptree-node"][data-proc="${worker.id}"]`).first();
  await node.waitFor();
  assert.doesNotMatch((await node.textContent()) ?? "", /exited/);
  await page.click('[data-testid="next"]');
  await until(page, '[data-testid="cursor-pos"]', (t) => t.startsWith(`#${crash.seq} `));
  await until(page, `[data-testid="ptree-node"][data-proc="${worker.id}"]`, (t) =>
    /exited: .*ArgumentError/.test(t),
  );
  // Events: the cursor's row.
  await page.click('[data-testid="tab-events"]');
  await until(page, ".event-row.at-cursor", (t) => t.includes(`#${crash.seq}`) && t.includes("exit"));
  // Search: a process by name, and messages by pattern.
  await page.fill('[data-testid="search"]', "SampleApp.Client");
  await until(page, '[data-testid="search-hits"]', (t) => t.includes("SampleApp.Client"));
  await page.fill('[data-testid="search"]', "{:transfer, 2, _, _}");
  const hits = await until(page, '[data-testid="search-hits"]', (t) => t.includes("{:transfer, 2, 3, 10}"));
  assert.doesNotMatch(hits, /\{:transfer, [13-9]/, "only transfers from account 2");
  // Flame graph of the whole recording: the application's start is among its frames.
  await page.keyboard.press("Escape");
  await page.click('[data-testid="tab-flame"]');
  await until(page, '[data-testid="flame"]', (t) => /SampleApp\./.test(t));
  await page.close();
});

test("a missing or corrupt recording shows a clear error page", async () => {
  const corrupt = join(dir, "corrupt.esrec");
  writeFileSync(corrupt, Buffer.from("this is not a recording at all\n".repeat(50)));
  for (const [path, what] of [
    [join(dir, "missing.esrec"), "missing"],
    [corrupt, "corrupt"],
  ] as const) {
    const bad = await startCinemaServer({ file: path });
    try {
      assert.ok(bad.error !== null, `${what}: the server reports the error`);
      const page = await browser.context.newPage();
      const answer = await page.goto(bad.url);
      assert.equal(answer?.status(), 500);
      assert.equal(await text(page, '[data-testid="error-title"]'), "Cannot open the recording");
      const message = await text(page, '[data-testid="error-message"]');
      assert.equal(message, bad.error);
      assert.ok(message.length > 10, `${what}: ${message}`);
      assert.match(
        await text(page, "body"),
        new RegExp(what === "missing" ? "missing\\.esrec" : "corrupt\\.esrec"),
      );
      await page.close();
    } finally {
      await bad.close();
    }
  }
});

test(
  "a live recording: when the file grows, the open page shows what it holds now",
  { timeout: 120_000 },
  async () => {
    const small = join(dir, "small.esrec");
    await recordSampleApp(small, ["--loop-messages", "10"]);
    const smallRec = await defaultOpen(small);
    const smallEvents = smallRec.info().events;
    await smallRec.close();
    assert.ok(smallEvents < rec.info().events);
    const live = join(dir, "live.esrec");
    copyFileSync(small, live);
    const srv = await startCinemaServer({ file: live });
    try {
      const page = await open("#v=crashes", srv.url);
      const count = (n: number) => `${n.toLocaleString("en-US")} events`;
      await until(page, ".toolbar", (t) => t.includes(count(smallEvents)));
      copyFileSync(file, `${live}.new`);
      renameSync(`${live}.new`, live);
      await until(page, ".toolbar", (t) => t.includes(count(rec.info().events)), 20_000);
      await page.close();
    } finally {
      await srv.close();
    }
  },
);

test("elixirscope open prints the URL of a server showing the recording", async () => {
  const cli = new URL("../cli/main.js", import.meta.url).pathname;
  const child = spawn(process.execPath, [cli, "open", file, "--no-browser"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /Execution Cinema: (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once("exit", (code) => reject(new Error(`open exited (${code}): ${out}`)));
    });
    const info = await post("info", [], url);
    assert.equal((info.body as { result: { events: number } }).result.events, rec.info().events);
    const page = await open("#v=crashes", url);
    assert.match(await text(page, ".toolbar"), /sample\.esrec/);
    await page.close();
  } finally {
    child.kill("SIGINT");
  }
});
