/**
 * The External Term Format codec: Erlang terms as TypeScript values (`terms.ts`), decoding, encoding and
 * printing them.
 */
export * from "./terms.js";
export { EtfError } from "./errors.js";
export * as tags from "./tags.js";
export { tagName } from "./tags.js";
export {
  decode,
  decodeBody,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_INFLATED_BYTES,
  type DecodeOptions,
} from "./decode.js";
export { encode, encodeBody, encodeBodies, notATerm, TermEncoder, type EncodeOptions } from "./encode.js";
export {
  formatAtom,
  formatFloat,
  formatPid,
  formatPort,
  formatReference,
  formatTerm,
  type FormatOptions,
} from "./format.js";
