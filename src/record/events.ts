/**
 * Counts a recording's events by kind and function, in the agent's own vocabulary (`call
 * Elixir.SampleApp.Bank.transfer/3`, `return_from ...`, `send`, `es_state`): what the demo prints and the
 * recorder's tests check against the workload.
 */
import { openRecording } from "../query/index.js";
import { EVENT_KINDS } from "../store/schema.js";

const KEY: Record<string, string> = {
  return: "return_from",
  exception: "exception_from",
  send_dead: "send_to_non_existing_process",
  state: "es_state",
};

export async function countEvents(file: string): Promise<Map<string, number>> {
  const rec = await openRecording(file);
  try {
    const r = await rec.sql(
      `SELECT e.kind, m.module, m.function, m.arity, count(*) AS n
       FROM events e LEFT JOIN mfas m ON m.id = e.mfa GROUP BY ALL`,
    );
    const counts = new Map<string, number>();
    for (const [kind, module, fun, arity, n] of r.rows as [
      number,
      string | null,
      string | null,
      number | null,
      number,
    ][]) {
      const name = EVENT_KINDS[kind]!;
      const timed = name === "call" || name === "return" || name === "exception";
      const key =
        timed && module !== null ? `${KEY[name] ?? name} ${module}.${fun}/${arity}` : (KEY[name] ?? name);
      counts.set(key, (counts.get(key) ?? 0) + n);
    }
    return counts;
  } finally {
    await rec.close();
  }
}
