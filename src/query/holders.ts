/**
 * Who held a registered name when: a name passes from process to process (a supervisor's restarted child
 * registers the name its crashed predecessor held), so `SampleApp.Worker` at one moment is not the
 * `SampleApp.Worker` of another. Built from the `names` table (registrations, unregistrations, names learnt
 * from sends by name) and the processes' exits, which free their names.
 */
import type { NameHolder, ProcessInfo, Seq } from "./api.js";
import type { QueryContext } from "./context.js";
import { rows } from "./db.js";
import { loadProcesses } from "./processes.js";

/** Every holder of the registered name `name` (its atom text: `Elixir.SampleApp.Worker`), in order. */
export async function nameHolders(ctx: QueryContext, name: string): Promise<NameHolder[]> {
  const procs = await loadProcesses(ctx);
  const list = await rows(
    ctx.con,
    `SELECT seq, proc, registered FROM names WHERE name = ? ORDER BY seq NULLS FIRST`,
    [name],
  );
  const out: NameHolder[] = [];
  let open: NameHolder | undefined;
  const close = (at: Seq | null) => {
    if (open && open.to === null) open.to = at;
    open = undefined;
  };
  for (const r of list) {
    const seq = (r["seq"] as number | null) ?? null;
    const proc = r["proc"] as number;
    // A holder that exited before this row had lost the name when it died.
    if (open && open.process.exitSeq !== null && (seq === null || open.process.exitSeq < seq))
      close(open.process.exitSeq);
    if (!r["registered"]) {
      if (open?.process.id === proc) close(seq);
      continue;
    }
    if (open?.process.id === proc) continue;
    close(seq);
    const process = procs[proc];
    if (!process) continue;
    open = { process, from: seq, to: null };
    out.push(open);
  }
  if (open && open.process.exitSeq !== null) close(open.process.exitSeq);
  return out;
}

/**
 * The holder at `at` (just after that event): the latest to take the name at or before `at` and still hold
 * it then, its exit included (the process that crashed holding it is the one meant at its crash).
 */
export function holderAt(holders: NameHolder[], at: Seq): ProcessInfo | undefined {
  for (let i = holders.length - 1; i >= 0; i--) {
    const h = holders[i]!;
    if (h.from !== null && h.from > at) continue;
    return h.to === null || at <= h.to ? h.process : undefined;
  }
  return undefined;
}

/** `<0.169.0> from the start until #15563, <0.194.0> from #15570`: for saying who held a name. */
export function describeHolders(holders: NameHolder[]): string {
  return holders
    .map(
      (h) =>
        `${h.process.pid} ${h.from === null ? "from the start" : `from #${h.from}`}` +
        (h.to === null ? "" : ` until #${h.to}`),
    )
    .join(", ");
}
