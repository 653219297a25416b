/** The Erlang distribution client: our own hidden node, its processes, EPMD, and remote calls. */
export { LocalNode, type NodeOptions } from "./node.js";
export { LocalProcess, type Destination, type Matcher } from "./process.js";
export { rpc, RpcError } from "./rpc.js";
export { DistError, type DistErrorCode } from "./errors.js";
export { lookupNode, listNodes, registerNode } from "./epmd.js";
export { parseNodeName, resolveCookie } from "./names.js";
