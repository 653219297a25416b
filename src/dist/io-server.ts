/**
 * The group leader we give to code we run on other nodes (RPC): it answers the Erlang I/O protocol so that
 * `IO.puts` or `io:format` on the remote side completes, and hands the printed text to a callback.
 * Input requests get `eof`: there is no terminal behind us.
 */
import { atom, isAtom, type Term, Tuple, tuple } from "../etf/terms.js";

const OK = atom("ok");
const EOF = atom("eof");

/** Flattens iodata/chardata (nested lists of code points and binaries) into text. */
export function chardataToString(data: Term): string {
  if (data instanceof Uint8Array) return Buffer.from(data).toString("utf8");
  if (typeof data === "number") return String.fromCodePoint(data);
  if (Array.isArray(data)) return data.map(chardataToString).join("");
  return "";
}

/** The reply to one I/O request, calling `output` with any text it prints. */
function answer(request: Term, output: (text: string) => void): Term {
  if (!(request instanceof Tuple) && !isAtom(request)) return tuple(atom("error"), atom("request"));
  const name = request instanceof Tuple ? request.elements[0] : request;
  const args = request instanceof Tuple ? request.elements.slice(1) : [];
  if (!isAtom(name)) return tuple(atom("error"), atom("request"));
  switch (name.name) {
    case "put_chars":
      // {put_chars, Encoding, Chars} or {put_chars, Chars}; the {M, F, A} form needs code we cannot run.
      if (args.length === 2 || args.length === 1) {
        output(chardataToString(args[args.length - 1]!));
        return OK;
      }
      return tuple(atom("error"), atom("enotsup"));
    case "requests": {
      let last: Term = OK;
      for (const r of Array.isArray(args[0]) ? args[0] : []) last = answer(r, output);
      return last;
    }
    case "get_chars":
    case "get_line":
    case "get_until":
    case "get_password":
      return EOF;
    case "getopts":
      return [];
    case "setopts":
      return OK;
    default:
      return tuple(atom("error"), atom("enotsup"));
  }
}

/** Handles `{io_request, From, ReplyAs, Request}` messages; `send` delivers the reply. */
export function ioRequestHandler(
  send: (to: Term, message: Term) => void,
  output: (text: string) => void,
): (message: Term) => void {
  return (message) => {
    if (!(message instanceof Tuple) || message.size !== 4 || !isAtom(message.at(0), "io_request")) return;
    const [, from, replyAs, request] = message.elements;
    send(from!, tuple(atom("io_reply"), replyAs!, answer(request!, output)));
  };
}
