/**
 * Checks a recording's `--out` before anything is run or attached to: a recording that cannot be written
 * must stop the command before it starts, not let it run unrecorded.
 */
import { randomBytes } from "node:crypto";
import { closeSync, openSync, statSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Throws an Error saying what is wrong with `out` as a place for a new recording, and what to do. */
export function checkOutPath(out: string): void {
  const path = resolve(out);
  const dir = dirname(path);
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? "folder" : "file";
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ENOENT" ? "none" : "file";
    }
  };
  if (kind(path) === "folder")
    throw new Error(
      `--out ${out} is a folder: give a file name in it, as in --out ${out.replace(/\/+$/, "")}/run.esrec`,
    );
  const dirKind = kind(dir);
  if (dirKind === "none")
    throw new Error(
      `cannot write the recording ${out}: the folder ${dir} does not exist; create it or choose another --out`,
    );
  if (dirKind === "file")
    throw new Error(`cannot write the recording ${out}: ${dir} is not a folder; choose another --out`);
  // The recording, its write-ahead log and its spool are created in that folder: try to create a file there.
  const probe = `${dir}/.elixirscope-${randomBytes(6).toString("hex")}`;
  try {
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new Error(
      `cannot write the recording ${out}: cannot create files in ${dir} (${code || (err as Error).message}); choose another --out`,
    );
  }
}
