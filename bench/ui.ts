/**
 * The Execution Cinema in the browser, on a 10-million-event recording: first meaningful paint (from
 * navigation start to the first timeline drawn with the server's data, as `window.__cinema` records it)
 * and the time each zoom or pan step takes to be drawn with the data of its new window (from the wheel
 * event to the paint). Targets: under 2 s and under 100 ms. The steps (12 zooms in, 12 pans, 12 zooms out)
 * start once the page has settled and come a quarter of a second apart, as a person turns a wheel; then
 * once more back to back, which leaves the UI little time to fetch ahead.
 *
 * The recording is the synthetic workload of bench/support (the store benchmark's), written once and kept
 * in the temp folder for later runs. The baseline, measured in the same run, is the same UI on a
 * 100,000-event recording of the same workload: the ratio says what the 100 times larger recording costs.
 *
 * Run directly: `node dist/bench/ui.js`, or through `npm run bench -- ui`. ELIXIRSCOPE_UI_BENCH_EVENTS
 * changes the large recording's size.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { openRecording } from "../src/query/index.js";
import { startCinemaServer } from "../src/server/server.js";
import { launchBrowser, type Browser } from "../test/support/browser.js";
import type { BenchResult } from "./result.js";
import { writeSyntheticRecording } from "./support/synthetic-recording.js";

const LARGE = Number(process.env["ELIXIRSCOPE_UI_BENCH_EVENTS"] ?? 10_000_000);
const SMALL = 100_000;
const STEPS = 12;
const PAUSE_MS = 250;

/** The synthetic recording of `events` events, written on first use and kept (by size) in the temp folder. */
async function recording(events: number): Promise<string> {
  const dir = join(tmpdir(), "elixirscope-bench");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `ui-${events}.esrec`);
  if (existsSync(path)) {
    // One written by an older version of the store is written again.
    try {
      await (await openRecording(path)).close();
    } catch {
      rmSync(path, { force: true });
    }
  }
  if (!existsSync(path)) {
    const t0 = Date.now();
    await writeSyntheticRecording(`${path}.part`, events);
    renameSync(`${path}.part`, path);
    console.error(
      `ui: wrote the ${events.toLocaleString("en-US")}-event recording in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  return path;
}

interface Figures {
  paintMs: number;
  steps: number[];
}

async function stats(page: Page): Promise<{ firstPaintMs: number | null; steps: number[] }> {
  return page.evaluate("window.__cinema") as Promise<{ firstPaintMs: number | null; steps: number[] }>;
}

async function waitFor<T>(probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error("the UI did not answer within 30 s");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One step: a pause as between a person's wheel turns, the wheel event, then wait until the UI has drawn
 * the new window's data. */
async function step(page: Page, dx: number, dy: number, pauseMs: number): Promise<void> {
  if (pauseMs > 0) await page.waitForTimeout(pauseMs);
  const before = (await stats(page)).steps.length;
  await page.mouse.wheel(dx, dy);
  await waitFor(async () => ((await stats(page)).steps.length > before ? true : null));
}

async function measure(browser: Browser, file: string, pauseMs = PAUSE_MS): Promise<Figures> {
  const server = await startCinemaServer({ file });
  if (server.error) throw new Error(server.error);
  const page = await browser.context.newPage();
  try {
    await page.goto(server.url + "#v=crashes");
    const paintMs = await waitFor(async () => (await stats(page)).firstPaintMs);
    const box = (await page.locator('[data-testid="timeline"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.waitForLoadState("networkidle");
    for (let i = 0; i < STEPS; i++) await step(page, 0, -350, pauseMs); // zoom in
    for (let i = 0; i < STEPS; i++) await step(page, i % 2 === 0 ? 240 : -90, 0, pauseMs); // pan
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height / 2);
    for (let i = 0; i < STEPS; i++) await step(page, 0, 330, pauseMs); // zoom out
    const steps = (await stats(page)).steps;
    if (process.env["ELIXIRSCOPE_UI_BENCH_DEBUG"]) console.error(steps.map((s) => s.toFixed(0)).join(" "));
    return { paintMs, steps };
  } finally {
    await page.close();
    await server.close();
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export async function run(): Promise<BenchResult[]> {
  const large = await recording(LARGE);
  const small = await recording(SMALL);
  const browser = await launchBrowser();
  try {
    await measure(browser, small); // warm-up: the engine's and the browser's first start
    const base = await measure(browser, small);
    const big = await measure(browser, large);
    const rushed = await measure(browser, large, 0);
    const rushedBase = await measure(browser, small, 0);
    const n = LARGE.toLocaleString("en-US");
    const r = (name: string, value: number, baseline: number, note: string): BenchResult => ({
      name,
      value,
      unit: "ms",
      baseline,
      ratio: value / baseline,
      note,
    });
    return [
      r(
        `first meaningful paint, ${n} events`,
        big.paintMs,
        base.paintMs,
        "target < 2,000 ms; baseline: 100k events",
      ),
      r(
        `zoom/pan step, ${n} events, median of ${big.steps.length}`,
        quantile(big.steps, 0.5),
        quantile(base.steps, 0.5),
        "target < 100 ms; baseline: 100k events",
      ),
      r(
        `zoom/pan step, ${n} events, slowest`,
        Math.max(...big.steps),
        Math.max(...base.steps),
        "target < 100 ms; baseline: 100k events",
      ),
      r(
        `zoom/pan steps back to back, ${n} events, median`,
        quantile(rushed.steps, 0.5),
        quantile(rushedBase.steps, 0.5),
        "no pause between steps, so little is fetched ahead; baseline: 100k events",
      ),
      r(
        `zoom/pan steps back to back, ${n} events, slowest`,
        Math.max(...rushed.steps),
        Math.max(...rushedBase.steps),
        "no pause between steps; baseline: 100k events",
      ),
    ];
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await run())
    console.log(
      `${r.name}: ${r.value.toFixed(1)} ms  baseline ${r.baseline!.toFixed(1)} ms  ratio ${r.ratio!.toFixed(2)}x  (${r.note})`,
    );
}
