/**
 * The one error type the ETF decoder throws for bad input, carrying the byte offset where decoding failed.
 */

/**
 * Malformed, truncated or unsupported External Term Format input.
 *
 * `offset` is the byte position in the input that the decoder was looking at (for a compressed term, the
 * position in the inflated data, which `problem` then says); `problem` is the description without the
 * position, e.g. `truncated INTEGER_EXT (need 4 bytes, 2 left)`.
 */
export class EtfError extends Error {
  readonly offset: number;
  readonly problem: string;

  constructor(offset: number, problem: string) {
    super(`ETF decode error at byte ${offset}: ${problem}`);
    this.name = "EtfError";
    this.offset = offset;
    this.problem = problem;
  }
}
