/**
 * The error of a file that is not a readable recording (missing, of another kind or version, damaged, being
 * written by another process): its message says what is wrong and what to do. Apart from `open.ts`, so
 * that the command line can tell it from other errors without loading DuckDB.
 */
export class RecordingError extends Error {}
