/**
 * Tag bytes of the Erlang External Term Format (`erts/doc/guides/erl_ext_dist.md`), named as in that spec.
 *
 * The first group marks whole encodings and distribution headers; the rest are the one-byte tags that start
 * every encoded term.
 */

/** First byte of every `term_to_binary` result and of every distribution message. */
export const VERSION_MAGIC = 131;
/** After `VERSION_MAGIC`: a zlib-compressed term follows (4-byte uncompressed size, then zlib data). */
export const COMPRESSED = 80;
/** After `VERSION_MAGIC`: a normal distribution header. */
export const DIST_HEADER = 68;
/** After `VERSION_MAGIC`: the first fragment of a fragmented distribution message. */
export const DIST_FRAG_HEADER = 69;
/** After `VERSION_MAGIC`: a continuation fragment (same byte value as `NEW_FLOAT_EXT`, different place). */
export const DIST_FRAG_CONT = 70;

export const ATOM_CACHE_REF = 82;
export const SMALL_INTEGER_EXT = 97;
export const INTEGER_EXT = 98;
export const FLOAT_EXT = 99;
export const NEW_FLOAT_EXT = 70;
export const SMALL_BIG_EXT = 110;
export const LARGE_BIG_EXT = 111;
export const ATOM_EXT = 100;
export const SMALL_ATOM_EXT = 115;
export const ATOM_UTF8_EXT = 118;
export const SMALL_ATOM_UTF8_EXT = 119;
export const REFERENCE_EXT = 101;
export const NEW_REFERENCE_EXT = 114;
export const NEWER_REFERENCE_EXT = 90;
export const PORT_EXT = 102;
export const NEW_PORT_EXT = 89;
export const V4_PORT_EXT = 120;
export const PID_EXT = 103;
export const NEW_PID_EXT = 88;
export const SMALL_TUPLE_EXT = 104;
export const LARGE_TUPLE_EXT = 105;
export const NIL_EXT = 106;
export const STRING_EXT = 107;
export const LIST_EXT = 108;
export const BINARY_EXT = 109;
export const BIT_BINARY_EXT = 77;
export const MAP_EXT = 116;
export const NEW_FUN_EXT = 112;
export const EXPORT_EXT = 113;
/** Removed from OTP (not decoded since OTP 23); only named so that errors can say what it is. */
export const FUN_EXT = 117;
/** OTP 26+ `term_to_binary(T, [local])`: a node-private format that cannot be decoded here. */
export const LOCAL_EXT = 121;

const TERM_TAG_NAMES: ReadonlyMap<number, string> = new Map([
  [ATOM_CACHE_REF, "ATOM_CACHE_REF"],
  [SMALL_INTEGER_EXT, "SMALL_INTEGER_EXT"],
  [INTEGER_EXT, "INTEGER_EXT"],
  [FLOAT_EXT, "FLOAT_EXT"],
  [NEW_FLOAT_EXT, "NEW_FLOAT_EXT"],
  [SMALL_BIG_EXT, "SMALL_BIG_EXT"],
  [LARGE_BIG_EXT, "LARGE_BIG_EXT"],
  [ATOM_EXT, "ATOM_EXT"],
  [SMALL_ATOM_EXT, "SMALL_ATOM_EXT"],
  [ATOM_UTF8_EXT, "ATOM_UTF8_EXT"],
  [SMALL_ATOM_UTF8_EXT, "SMALL_ATOM_UTF8_EXT"],
  [REFERENCE_EXT, "REFERENCE_EXT"],
  [NEW_REFERENCE_EXT, "NEW_REFERENCE_EXT"],
  [NEWER_REFERENCE_EXT, "NEWER_REFERENCE_EXT"],
  [PORT_EXT, "PORT_EXT"],
  [NEW_PORT_EXT, "NEW_PORT_EXT"],
  [V4_PORT_EXT, "V4_PORT_EXT"],
  [PID_EXT, "PID_EXT"],
  [NEW_PID_EXT, "NEW_PID_EXT"],
  [SMALL_TUPLE_EXT, "SMALL_TUPLE_EXT"],
  [LARGE_TUPLE_EXT, "LARGE_TUPLE_EXT"],
  [NIL_EXT, "NIL_EXT"],
  [STRING_EXT, "STRING_EXT"],
  [LIST_EXT, "LIST_EXT"],
  [BINARY_EXT, "BINARY_EXT"],
  [BIT_BINARY_EXT, "BIT_BINARY_EXT"],
  [MAP_EXT, "MAP_EXT"],
  [NEW_FUN_EXT, "NEW_FUN_EXT"],
  [EXPORT_EXT, "EXPORT_EXT"],
  [FUN_EXT, "FUN_EXT"],
  [LOCAL_EXT, "LOCAL_EXT"],
  [VERSION_MAGIC, "VERSION_MAGIC"],
  [COMPRESSED, "COMPRESSED"],
  [DIST_HEADER, "DIST_HEADER"],
  [DIST_FRAG_HEADER, "DIST_FRAG_HEADER"],
]);

/** The spec name of a term tag byte, e.g. `tagName(97)` is `"SMALL_INTEGER_EXT"`; `"tag 42"` if unknown. */
export function tagName(tag: number): string {
  return TERM_TAG_NAMES.get(tag) ?? `tag ${tag}`;
}
