/**
 * `elixirscope recover FILE`: rebuilds a cut-off recording from the spool its recorder left beside it, and
 * says what it stored.
 */
import { recoverRecording } from "../record/recover.js";

export async function recoverCommand(file: string, out: (line: string) => void = console.log): Promise<void> {
  const r = await recoverRecording(file);
  out(
    `${file}: rebuilt from the ${r.batches.toLocaleString("en-US")} batches the recorder had received: ${r.events.toLocaleString("en-US")} events.`,
  );
  if (r.truncated) out("  The last batch was cut short when the recorder died; it is not included.");
  out(
    r.sessionEnded
      ? "  The agent had stopped the session: the recording is complete."
      : "  The session was still running when the recorder died: the recording ends with the last batch received.",
  );
}
