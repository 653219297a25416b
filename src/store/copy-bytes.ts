/**
 * Copies a byte range between typed arrays, for ingest's hot path: short ranges (most message terms'
 * pieces) byte by byte, longer ones with one `set` through a plain view, which costs less than a Buffer's
 * `subarray` (a Buffer object each time).
 */

/** Below this many bytes a loop is quicker than making a view. */
const LOOP_MAX = 32;

/** Copies `src[start, end)` into `dst` at `at`. */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  const len = end - start;
  if (len <= LOOP_MAX) {
    const shift = at - start;
    for (let j = start; j < end; j++) dst[shift + j] = src[j]!;
  } else dst.set(new Uint8Array(src.buffer, src.byteOffset + start, len), at);
}
