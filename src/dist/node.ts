/**
 * Our own Erlang node, hidden: it owns processes, connects to other nodes (or accepts their connections),
 * and carries signals between them: sends, links, exits and monitors, with `noconnection` for everything
 * that crossed a connection when it drops.
 *
 *     const node = await LocalNode.start({ cookie: "secret" });
 *     const me = node.spawn();
 *     me.send({ name: "my_server", node: "app@host" }, tuple(atom("hello"), me.pid));
 *     const reply = await me.receive((m) => m, 5000);
 *
 * Remote calls (`rpc`) live in rpc.ts; this module is the signal plumbing.
 */
import { EventEmitter } from "node:events";
import { connect as tcpConnect, createServer, type Server, type Socket } from "node:net";
import { randomBytes, randomInt } from "node:crypto";
import { atom, Atom, isAtom, Pid, Reference, type Term, Tuple, tuple } from "../etf/terms.js";
import { CTRL, control, controlTag } from "./control.js";
import { DistConnection } from "./connection.js";
import { lookupNode, registerNode, type Registration } from "./epmd.js";
import { DistError } from "./errors.js";
import type { DistMessage } from "./frames.js";
import { acceptHandshake, initiateHandshake } from "./handshake.js";
import { ioRequestHandler } from "./io-server.js";
import { parseNodeName, resolveCookie, shortHostname } from "./names.js";
import { type Destination, LocalProcess, type ProcessHost } from "./process.js";

export interface NodeOptions {
  /** Our node name; default `elixirscope_<random>@<short hostname>`. A bare name gets the short hostname. */
  name?: string;
  /** Default: `~/.erlang.cookie`. */
  cookie?: string;
  /** Listen for connections and register the name with EPMD, so that other nodes can reach us. */
  listen?: boolean;
  /** net_ticktime in milliseconds: a peer silent this long is considered down. Default 60 s, as in OTP. */
  tickTimeMs?: number;
  /** How long connecting to a node may take. Default 5 s. */
  connectTimeoutMs?: number;
  /** Receives text printed by code that runs on other nodes on our behalf (RPC). Default: discarded. */
  onOutput?: (text: string) => void;
}

const EXIT = atom("EXIT");
const DOWN = atom("DOWN");
const PROCESS = atom("process");
const NOPROC = atom("noproc");
const NOCONNECTION = atom("noconnection");
const NORMAL = atom("normal");
const KILL = atom("kill");
const KILLED = atom("killed");

function pidKey(pid: Pid): string {
  return `${pid.node.name}|${pid.id}|${pid.serial}|${pid.creation}`;
}
function refKey(ref: Reference): string {
  return `${ref.node.name}|${ref.creation}|${ref.ids.join(".")}`;
}

interface MonitorHeld {
  ref: Reference;
  watcher: LocalProcess;
  target: Pid | Atom;
  node: string;
}
interface MonitorOnUs {
  ref: Reference;
  watcher: Pid;
  target: LocalProcess;
}

export interface LocalNodeEvents {
  nodeup: [peer: string];
  nodedown: [peer: string, reason: string];
}

export class LocalNode extends EventEmitter<LocalNodeEvents> implements ProcessHost {
  readonly nameAtom: Atom;
  private readonly processes = new Map<number, LocalProcess>();
  private readonly registered = new Map<string, LocalProcess>();
  private readonly connections = new Map<string, DistConnection>();
  private readonly connecting = new Map<string, Promise<DistConnection>>();
  /** Links of our processes, by our pid key, to the pids they are linked with. */
  private readonly links = new Map<string, Map<string, Pid>>();
  private readonly monitorsHeld = new Map<string, MonitorHeld>();
  private readonly monitorsOnUs = new Map<string, MonitorOnUs>();
  private nextPid = 1;
  private refCounter = 0;
  private unlinkId = 1;
  private server: Server | undefined;
  private registration: Registration | undefined;
  private stopped = false;
  /** The group leader given to remote code we start. */
  readonly groupLeader: LocalProcess;

  private constructor(
    readonly name: string,
    readonly cookie: string,
    readonly creation: number,
    readonly tickTimeMs: number,
    private readonly connectTimeoutMs: number,
    onOutput: (text: string) => void,
  ) {
    super();
    this.nameAtom = atom(name);
    this.groupLeader = this.spawnSystem(
      ioRequestHandler((to, msg) => this.routeTerm(this.groupLeaderPid(), to, msg), onOutput),
    );
    this.spawnSystem((msg) => this.netKernel(msg), "net_kernel");
  }

  private groupLeaderPid(): Pid {
    return this.groupLeader.pid;
  }

  static async start(options: NodeOptions = {}): Promise<LocalNode> {
    const parsed = parseNodeName(
      options.name ?? `elixirscope_${randomBytes(4).toString("hex")}@${shortHostname()}`,
    );
    const cookie = resolveCookie(options.cookie);
    const tick = options.tickTimeMs ?? 60_000;
    const connectTimeout = options.connectTimeoutMs ?? 5_000;
    const output = options.onOutput ?? (() => {});
    if (!options.listen) {
      return new LocalNode(parsed.full, cookie, randomInt(4, 0xffffffff), tick, connectTimeout, output);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "0.0.0.0", () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    let registration: Registration;
    try {
      registration = await registerNode(parsed.name, port);
    } catch (err) {
      server.close();
      throw err;
    }
    const node = new LocalNode(parsed.full, cookie, registration.creation, tick, connectTimeout, output);
    node.server = server;
    node.registration = registration;
    server.on("connection", (socket) => void node.accept(socket));
    return node;
  }

  /** Creates a process of ours. */
  spawn(): LocalProcess {
    const pid = new Pid(this.nameAtom, this.nextPid++, 0, this.creation);
    const proc = new LocalProcess(pid, this);
    this.processes.set(pid.id, proc);
    return proc;
  }

  /** Creates a process that handles each message in `handler` as it arrives, instead of queueing it. */
  spawnHandler(handler: (message: Term) => void, name?: string): LocalProcess {
    return this.spawnSystem(handler, name);
  }

  private spawnSystem(handler: (message: Term) => void, name?: string): LocalProcess {
    const pid = new Pid(this.nameAtom, this.nextPid++, 0, this.creation);
    const proc = new LocalProcess(pid, this, handler);
    this.processes.set(pid.id, proc);
    if (name) this.register(proc, name);
    return proc;
  }

  /** A new reference, unique on this node. */
  makeRef(): Reference {
    const n = ++this.refCounter;
    return new Reference(this.nameAtom, this.creation, [
      n & 0x3ffff,
      Math.floor(n / 0x40000) >>> 0,
      randomInt(0, 0xffffffff),
    ]);
  }

  whereis(name: string): LocalProcess | undefined {
    return this.registered.get(name);
  }

  /** Peers we are connected to now. */
  get connectedNodes(): string[] {
    return [...this.connections.keys()];
  }

  /** Connects to `peer` (`name@host`, or a bare name on this host), or returns the open connection. */
  connect(peer: string): Promise<DistConnection> {
    const full = parseNodeName(peer).full;
    const open = this.connections.get(full);
    if (open?.isOpen) return Promise.resolve(open);
    let pending = this.connecting.get(full);
    if (!pending) {
      pending = this.dial(full).finally(() => this.connecting.delete(full));
      this.connecting.set(full, pending);
    }
    return pending;
  }

  private async dial(full: string): Promise<DistConnection> {
    if (this.stopped) throw new DistError("NODE_DOWN", "this node has been stopped");
    const { name, host } = parseNodeName(full);
    const address = await lookupNode(name, host, this.connectTimeoutMs);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tcpConnect({ host, port: address.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new DistError("TIMEOUT", `${full} did not accept a connection within ${this.connectTimeoutMs} ms`),
        );
      }, this.connectTimeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new DistError(
            "CONNECTION_REFUSED",
            `EPMD lists ${full} on port ${address.port} but connecting there failed (${err.code ?? err.message}): ` +
              `the node may be shutting down`,
          ),
        );
      });
    });
    const timer = setTimeout(() => socket.destroy(), this.connectTimeoutMs);
    try {
      const result = await initiateHandshake(
        socket,
        { name: this.name, creation: this.creation, cookie: this.cookie },
        full,
      );
      return this.adopt(socket, result.peerName, result.peerFlags, result.peerCreation, result.leftover);
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async accept(socket: Socket): Promise<void> {
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), this.connectTimeoutMs);
    try {
      const result = await acceptHandshake(socket, {
        name: this.name,
        creation: this.creation,
        cookie: this.cookie,
      });
      this.adopt(socket, result.peerName, result.peerFlags, result.peerCreation, result.leftover);
    } catch {
      socket.destroy();
    } finally {
      clearTimeout(timer);
    }
  }

  private adopt(
    socket: Socket,
    peer: string,
    flags: bigint,
    creation: number,
    leftover: Buffer,
  ): DistConnection {
    this.connections.get(peer)?.close("replaced by a new connection");
    const conn: DistConnection = new DistConnection(
      socket,
      peer,
      flags,
      creation,
      this.tickTimeMs,
      {
        onMessage: (m) => this.onSignal(conn, m),
        onClose: (reason) => this.onConnectionClosed(conn, reason),
      },
      leftover,
    );
    this.connections.set(peer, conn);
    this.emit("nodeup", peer);
    return conn;
  }

  /** Closes the connection to `peer`, as erlang:disconnect_node/1. */
  disconnect(peer: string): void {
    this.connections.get(parseNodeName(peer).full)?.close("disconnected by us");
  }

  /** Ends every process, connection and the EPMD registration. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const conn of [...this.connections.values()]) conn.close("node stopped");
    this.registration?.close();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const proc of this.processes.values()) proc.markDead("node stopped");
    this.processes.clear();
  }

  // ---- signals we send ----

  route(from: Pid, to: Destination, message: Term): void {
    const target =
      to instanceof Pid || to instanceof Atom ? to : tuple(atom(String(to.name)), atom(String(to.node)));
    this.routeTerm(from, target, message);
  }

  /** Sends to a pid, a local registered atom, or a `{Name, Node}` tuple. Unreachable targets drop silently, as in Erlang. */
  private routeTerm(from: Pid, to: Term, message: Term): void {
    if (to instanceof Pid) {
      if (to.node === this.nameAtom) this.processes.get(to.id)?.deliver(message);
      else this.toPeer(to.node.name, control.sendSender(from, to), message);
      return;
    }
    if (isAtom(to)) {
      this.registered.get(to.name)?.deliver(message);
      return;
    }
    if (to instanceof Tuple && to.size === 2 && isAtom(to.at(0)) && isAtom(to.at(1))) {
      const [name, node] = to.elements as [Atom, Atom];
      if (node === this.nameAtom) this.registered.get(name.name)?.deliver(message);
      else this.toPeer(node.name, control.regSend(from, name), message);
    }
  }

  /** Writes a signal to `peer`, connecting first when needed. */
  private toPeer(peer: string, ctrl: Tuple, payload?: Term): void {
    const open = this.connections.get(peer);
    if (open?.isOpen) {
      open.send(ctrl, payload);
      return;
    }
    this.connect(peer).then(
      (conn) => conn.send(ctrl, payload),
      () => this.failedSignal(ctrl),
    );
  }

  /** A link or monitor towards a node we cannot reach fires at once with noconnection. */
  private failedSignal(ctrl: Tuple): void {
    const tag = controlTag(ctrl);
    if (tag === CTRL.LINK) {
      const [, from, to] = ctrl.elements as [number, Pid, Pid];
      this.removeLink(from, to);
      this.processes.get(from.id)?.deliver(tuple(EXIT, to, NOCONNECTION));
    } else if (tag === CTRL.MONITOR_P) {
      const ref = ctrl.elements[3] as Reference;
      this.fireMonitor(ref, NOCONNECTION);
    }
  }

  link(from: LocalProcess, to: Pid): void {
    const mine = this.linksOf(from.pid);
    if (mine.has(pidKey(to))) return;
    mine.set(pidKey(to), to);
    if (to.node === this.nameAtom) {
      const other = this.processes.get(to.id);
      if (other?.isAlive) this.linksOf(to).set(pidKey(from.pid), from.pid);
      else {
        mine.delete(pidKey(to));
        from.deliver(tuple(EXIT, to, NOPROC));
      }
      return;
    }
    this.toPeer(to.node.name, control.link(from.pid, to));
  }

  unlink(from: LocalProcess, to: Pid): void {
    if (!this.linksOf(from.pid).delete(pidKey(to))) return;
    if (to.node === this.nameAtom) this.links.get(pidKey(to))?.delete(pidKey(from.pid));
    else this.toPeer(to.node.name, control.unlinkId(this.unlinkId++, from.pid, to));
  }

  monitor(from: LocalProcess, target: Pid | { name: string | Atom; node: string | Atom }): Reference {
    const ref = this.makeRef();
    const targetTerm: Pid | Atom = target instanceof Pid ? target : atom(String(target.name));
    const node = target instanceof Pid ? target.node.name : parseNodeName(String(target.node)).full;
    this.monitorsHeld.set(refKey(ref), { ref, watcher: from, target: targetTerm, node });
    if (node === this.name) {
      const proc =
        targetTerm instanceof Pid ? this.processes.get(targetTerm.id) : this.registered.get(targetTerm.name);
      if (proc?.isAlive) this.monitorsOnUs.set(refKey(ref), { ref, watcher: from.pid, target: proc });
      else this.fireMonitor(ref, NOPROC);
    } else {
      this.toPeer(node, control.monitor(from.pid, targetTerm, ref));
    }
    return ref;
  }

  demonitor(from: LocalProcess, ref: Reference): void {
    const held = this.monitorsHeld.get(refKey(ref));
    if (!held || held.watcher !== from) return;
    this.monitorsHeld.delete(refKey(ref));
    if (held.node === this.name) this.monitorsOnUs.delete(refKey(ref));
    else this.toPeer(held.node, control.demonitor(from.pid, held.target, ref));
  }

  register(proc: LocalProcess, name: string): void {
    const existing = this.registered.get(name);
    if (existing && existing !== proc && existing.isAlive) {
      throw new DistError("BAD_NAME", `the name '${name}' is already registered on ${this.name}`);
    }
    if (proc.registeredName) this.registered.delete(proc.registeredName);
    proc.registeredName = name;
    this.registered.set(name, proc);
  }

  terminate(proc: LocalProcess, reason: Term): void {
    if (!proc.isAlive) return;
    proc.markDead(typeof reason === "object" && isAtom(reason) ? reason.name : "exit");
    this.processes.delete(proc.pid.id);
    if (proc.registeredName) this.registered.delete(proc.registeredName);
    for (const to of this.linksOf(proc.pid).values()) {
      if (to.node === this.nameAtom) {
        this.links.get(pidKey(to))?.delete(pidKey(proc.pid));
        if (reason !== NORMAL) this.processes.get(to.id)?.deliver(tuple(EXIT, proc.pid, reason));
      } else {
        this.toPeer(to.node.name, control.payloadExit(proc.pid, to), reason);
      }
    }
    this.links.delete(pidKey(proc.pid));
    for (const [key, m] of this.monitorsOnUs) {
      if (m.target !== proc) continue;
      this.monitorsOnUs.delete(key);
      if (m.watcher.node === this.nameAtom) this.fireMonitor(m.ref, reason);
      else this.toPeer(m.watcher.node.name, control.payloadMonitorExit(proc.pid, m.watcher, m.ref), reason);
    }
    for (const [key, m] of this.monitorsHeld) {
      if (m.watcher !== proc) continue;
      this.monitorsHeld.delete(key);
      if (m.node !== this.name && this.connections.get(m.node)?.isOpen) {
        this.toPeer(m.node, control.demonitor(proc.pid, m.target, m.ref));
      }
    }
  }

  private linksOf(pid: Pid): Map<string, Pid> {
    let m = this.links.get(pidKey(pid));
    if (!m) {
      m = new Map();
      this.links.set(pidKey(pid), m);
    }
    return m;
  }

  private removeLink(a: Pid, b: Pid): void {
    this.links.get(pidKey(a))?.delete(pidKey(b));
  }

  /** Delivers `{DOWN, Ref, process, Who, Reason}` for a monitor we hold. */
  private fireMonitor(ref: Reference, reason: Term, who?: Term): void {
    const held = this.monitorsHeld.get(refKey(ref));
    if (!held) return;
    this.monitorsHeld.delete(refKey(ref));
    const target = who ?? (held.target instanceof Pid ? held.target : tuple(held.target, atom(held.node)));
    held.watcher.deliver(tuple(DOWN, ref, PROCESS, target, reason));
  }

  // ---- signals we receive ----

  private onSignal(conn: DistConnection, { control: c, payload }: DistMessage): void {
    const e = c.elements;
    switch (controlTag(c)) {
      case CTRL.SEND:
      case CTRL.SEND_TT:
      case CTRL.SEND_SENDER:
      case CTRL.SEND_SENDER_TT:
        if (payload !== undefined) this.routeLocal(e[2]!, payload);
        break;
      case CTRL.REG_SEND:
      case CTRL.REG_SEND_TT:
        if (payload !== undefined && isAtom(e[3]!)) this.registered.get(e[3].name)?.deliver(payload);
        break;
      case CTRL.LINK:
        this.remoteLink(conn, e[1] as Pid, e[2] as Pid);
        break;
      case CTRL.UNLINK_ID: {
        const [, id, from, to] = e as [number, Term, Pid, Pid];
        this.removeLink(to, from);
        conn.send(control.unlinkIdAck(id, to, from));
        break;
      }
      case CTRL.EXIT:
      case CTRL.EXIT_TT:
      case CTRL.PAYLOAD_EXIT:
      case CTRL.PAYLOAD_EXIT_TT: {
        const from = e[1] as Pid;
        const to = e[2] as Pid;
        const reason = payload ?? e[e.length - 1]!;
        if (!this.links.get(pidKey(to))?.has(pidKey(from))) break;
        this.removeLink(to, from);
        this.exitSignal(to, from, reason);
        break;
      }
      case CTRL.EXIT2:
      case CTRL.EXIT2_TT:
      case CTRL.PAYLOAD_EXIT2:
      case CTRL.PAYLOAD_EXIT2_TT:
        this.exitSignal(e[2] as Pid, e[1] as Pid, payload ?? e[e.length - 1]!);
        break;
      case CTRL.MONITOR_P: {
        const [, from, target, ref] = e as [number, Pid, Pid | Atom, Reference];
        const proc = target instanceof Pid ? this.processes.get(target.id) : this.registered.get(target.name);
        if (proc?.isAlive) this.monitorsOnUs.set(refKey(ref), { ref, watcher: from, target: proc });
        else conn.send(control.payloadMonitorExit(target, from, ref), NOPROC);
        break;
      }
      case CTRL.DEMONITOR_P:
        this.monitorsOnUs.delete(refKey(e[3] as Reference));
        break;
      case CTRL.MONITOR_P_EXIT:
      case CTRL.PAYLOAD_MONITOR_P_EXIT: {
        const who = e[1]!;
        const ref = e[3] as Reference;
        const reason = payload ?? e[4]!;
        this.fireMonitor(ref, reason, isAtom(who) ? tuple(who, atom(conn.peerName)) : who);
        break;
      }
      case CTRL.SPAWN_REQUEST:
      case CTRL.SPAWN_REQUEST_TT:
        // We run no Erlang code: refuse, so the requester is not left waiting.
        conn.send(control.spawnReply(e[1]!, e[2]!, atom("notsup")));
        break;
      default:
        break; // GROUP_LEADER, UNLINK_ID_ACK, SPAWN_REPLY, ALIAS_SEND, NODE_LINK: nothing to do for us.
    }
  }

  private routeLocal(to: Term, message: Term): void {
    if (to instanceof Pid && to.node === this.nameAtom) this.processes.get(to.id)?.deliver(message);
  }

  private remoteLink(conn: DistConnection, from: Pid, to: Pid): void {
    const proc = this.processes.get(to.id);
    if (!proc?.isAlive || to.node !== this.nameAtom) {
      conn.send(control.payloadExit(to, from), NOPROC);
      return;
    }
    this.linksOf(to).set(pidKey(from), from);
  }

  /** Our processes trap exits: the signal becomes a message, except `kill`, which ends the process. */
  private exitSignal(to: Pid, from: Pid, reason: Term): void {
    const proc = this.processes.get(to.id);
    if (!proc || to.node !== this.nameAtom) return;
    if (reason === KILL) this.terminate(proc, KILLED);
    else proc.deliver(tuple(EXIT, from, reason));
  }

  /** `net_adm:ping/1` and friends ask net_kernel whether we accept them: we do. */
  private netKernel(message: Term): void {
    if (!(message instanceof Tuple) || message.size !== 3 || !isAtom(message.at(0), "$gen_call")) return;
    const from = message.at(1);
    const request = message.at(2);
    if (!(from instanceof Tuple) || !(from.at(0) instanceof Pid)) return;
    if (request instanceof Tuple && isAtom(request.at(0), "is_auth")) {
      this.routeTerm(this.registered.get("net_kernel")!.pid, from.at(0), tuple(from.at(1), atom("yes")));
    }
  }

  private onConnectionClosed(conn: DistConnection, reason: string): void {
    if (this.connections.get(conn.peerName) !== conn) return;
    this.connections.delete(conn.peerName);
    const peer = atom(conn.peerName);
    for (const [key, targets] of this.links) {
      for (const [k, pid] of targets) {
        if (pid.node !== peer) continue;
        targets.delete(k);
        const ours = [...this.processes.values()].find((p) => pidKey(p.pid) === key);
        ours?.deliver(tuple(EXIT, pid, NOCONNECTION));
      }
    }
    for (const m of [...this.monitorsHeld.values()])
      if (m.node === conn.peerName) this.fireMonitor(m.ref, NOCONNECTION);
    for (const [key, m] of this.monitorsOnUs) if (m.watcher.node === peer) this.monitorsOnUs.delete(key);
    this.emit("nodedown", conn.peerName, reason);
  }
}
