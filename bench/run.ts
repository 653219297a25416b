/**
 * Runs every benchmark under bench/ in turn and prints one line per figure, with its same-run baseline and
 * the ratio. `npm run bench -- rpc` runs only the benchmarks whose name contains "rpc".
 */
import type { BenchResult } from "./result.js";

const benches: Record<string, () => Promise<{ run(): Promise<BenchResult[]> }>> = {
  "etf-decode": () => import("./etf-decode.js"),
  rpc: () => import("./rpc.js"),
  recorder: () => import("./recorder.js"),
  store: () => import("./store.js"),
  ui: () => import("./ui.js"),
};

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toPrecision(3);
}

const filters = process.argv.slice(2);
for (const [name, load] of Object.entries(benches)) {
  if (filters.length > 0 && !filters.some((f) => name.includes(f))) continue;
  const results = await (await load()).run();
  for (const r of results) {
    const base =
      r.baseline === undefined
        ? ""
        : `  baseline ${fmt(r.baseline)} ${r.unit}  ratio ${r.ratio!.toFixed(2)}x`;
    console.log(`${name}: ${r.name}: ${fmt(r.value)} ${r.unit}${base}${r.note ? `  (${r.note})` : ""}`);
  }
}
