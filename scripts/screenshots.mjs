// Takes the README's screenshots of the Execution Cinema (docs/cinema-*.png): records the sample app's
// workload (or opens the recording given as the first argument), opens it in the Cinema server and shoots
// each view with Debian's Chromium. Run after `npm run build`: `node scripts/screenshots.mjs [FILE]`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { launchBrowser } = await import(join(root, "dist/test/support/browser.js"));
const { recordSampleApp } = await import(join(root, "dist/test/support/sample-recording.js"));
const { defaultOpen } = await import(join(root, "dist/src/server/engine.js"));
const { startCinemaServer } = await import(join(root, "dist/src/server/server.js"));

const dir = mkdtempSync(join(tmpdir(), "elixirscope-shots-"));
const file = process.argv[2] ?? join(dir, "sample.esrec");
if (!process.argv[2]) await recordSampleApp(file);
const rec = await defaultOpen(file);
const procs = await rec.processes();
const named = (re) => procs.find((p) => p.name !== null && re.test(p.name));
const teller = named(/Teller$/);
// Account 2: by its registered name, or by the id in its first state.
let account = named(/account_2$/);
for (const p of procs.filter((p) => !account && p.initialCall === "SampleApp.Bank.Account.init/1")) {
  const first = (await rec.states(p.id, { limit: 1 })).items[0];
  if (first && /\bid: 2\b/.test(first.text)) account = p;
}
const crashes = await rec.crashes();
const crash = crashes.find((c) => /ArgumentError/.test(c.reason)) ?? crashes[0];
const transfers = teller
  ? (await rec.messages(null, teller.id, { pattern: "{:transfer, _, _, _}", limit: 30 })).items
  : [];
const states = account ? (await rec.states(account.id, { limit: 50 })).items : [];
const deposits = (await rec.messages(null, null, { pattern: '{:"$gen_call", _, {:deposit, _}}', limit: 100 }))
  .items;
const bankFrom = transfers[0]?.sentNs ?? 0;
const bankTo = states[states.length - 1]?.ns ?? rec.info().durationNs;
const span = Math.max(1, bankTo - bankFrom);
const bankWindow = `${Math.max(0, Math.round(bankFrom - span * 0.1))}-${Math.round(bankTo + span * 0.3)}`;
let crashWindow = "";
if (crash) {
  const endNs = (await rec.event(crash.seq)).ns;
  const startNs = (await rec.event(crash.chain[crash.chain.length - 1]?.seq ?? crash.seq)).ns;
  const pad = Math.max(1e5, (endNs - startNs) * 0.15);
  crashWindow = `&w=${Math.max(0, Math.round(startNs - pad))}-${Math.round(endNs + pad)}`;
}
await rec.close();

const server = await startCinemaServer({ file });
const browser = await launchBrowser({ width: 1440, height: 900 });
const shots = {
  crashes: crash ? `#v=crashes&p=${crash.proc}&c=${crash.seq}${crashWindow}` : "#v=crashes",
  sequence: teller
    ? `#v=sequence&p=${teller.id}&c=${transfers[3]?.sendSeq ?? 0}&w=${bankWindow}`
    : "#v=sequence",
  inspector: account
    ? `#v=calls&p=${account.id}&c=${states[1]?.seq ?? account.firstSeq}&w=${bankWindow}`
    : "#v=calls",
  flame: "#v=flame",
  flow:
    deposits.length > 0
      ? `#v=flow&c=${deposits[deposits.length - 1].receiveSeq}&fv=10&w=${bankWindow}`
      : "#v=flow",
  processes: crash ? `#v=processes&p=${crash.proc}&c=${crash.seq}${crashWindow}` : "#v=processes",
  events: crash ? `#v=events&p=${crash.proc}&c=${crash.seq}${crashWindow}` : "#v=events",
};
for (const [name, hash] of Object.entries(shots)) {
  const page = await browser.context.newPage();
  // The sample app's own processes only, on the timeline.
  await page.goto(server.url + hash + "&f=SampleApp");
  await page.waitForSelector('[data-testid="timeline"][data-answers]', { timeout: 20000 });
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(400);
  const out = join(root, "docs", `cinema-${name}.png`);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
  await page.close();
}
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
