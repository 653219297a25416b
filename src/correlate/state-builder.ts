/**
 * Rebuilds a GenServer's (or gen_statem's) state from what the agent sends: a whole state, then only what
 * changed (docs/agent-protocol.md, "GenServer and gen_statem state"). Ingest keeps one builder per process
 * to write checkpoints; `stateAt` replays the changes since the last checkpoint with one.
 *
 * A map state is kept indexed by key, so applying a change costs what changed, not the state's size; the
 * term is built again only when asked for. A map state the agent cut (`{'$es_cut', map, Size, Prefix}`: too
 * large to record whole) is kept as what is known, its prefix, and changes apply to that; it stays cut,
 * its size lessened by the keys removed (a changed key that was not in the prefix may be a new one: the
 * size does not count it).
 */
import { encode } from "../etf/encode.js";
import { cutTerm } from "../etf/format.js";
import { Atom, ErlMap, isAtom, Tuple, type Term } from "../etf/terms.js";
import { STATE_CHANGES } from "../store/schema.js";

export type StateChange = (typeof STATE_CHANGES)[number];

const CHANGED = Atom.of("changed");
const CHANGED_ELEMENTS = Atom.of("changed_elements");
const STATE_NAME = Atom.of("state_name");
const CUT = Atom.of("$es_cut");
const MAP = Atom.of("map");

/** What kind of change the agent's `StateAfter` term is (`snapshot`: the event's trigger is `:snapshot`). */
export function classifyChange(snapshot: boolean, payload: Term): StateChange {
  if (snapshot) return "snapshot";
  if (isAtom(payload, "unchanged")) return "unchanged";
  if (payload instanceof Tuple) {
    const tag = payload.at(0);
    if (
      payload.size === 3 &&
      tag === CHANGED &&
      payload.at(1) instanceof ErlMap &&
      Array.isArray(payload.at(2))
    )
      return "map_diff";
    if (payload.size === 2 && tag === CHANGED_ELEMENTS && Array.isArray(payload.at(1))) return "tuple_diff";
    if (payload.size === 2 && tag === STATE_NAME) return "state_name";
  }
  return "full";
}

/** A string equal for equal terms only: an atom (the usual map key) by its name, any other by its encoding. */
function keyOf(t: Term): string {
  // Encodings start with the version byte 131, so an atom's key ("\u0000" and its name) is never one.
  if (t instanceof Atom) return "\u0000" + t.name;
  return encode(t).toString("latin1");
}

export class StateBuilder {
  private whole: Term | undefined;
  private keyed: Map<string, [Term, Term]> | undefined;
  /** For a cut map state kept `keyed`: how many keys the whole map has (the prefix has fewer). */
  private cutSize: number | undefined;

  get known(): boolean {
    return this.whole !== undefined || this.keyed !== undefined;
  }

  /** Forgets the state: it is unknown until the next whole one. */
  reset(): void {
    this.whole = undefined;
    this.keyed = undefined;
    this.cutSize = undefined;
  }

  set(state: Term): void {
    this.whole = state;
    this.keyed = undefined;
    this.cutSize = undefined;
  }

  /** Applies one change; false when it cannot apply (no state known yet, or a change of another shape). */
  apply(change: StateChange, payload: Term): boolean {
    switch (change) {
      case "snapshot":
      case "full":
        this.set(payload);
        return true;
      case "unchanged":
        return this.known;
      case "map_diff": {
        const keyed = this.index();
        if (!keyed) return false;
        const [, changed, removed] = (payload as Tuple).elements as [Term, ErlMap, Term[]];
        for (const [k, v] of changed.entries) keyed.set(keyOf(k), [k, v]);
        for (const k of removed) keyed.delete(keyOf(k));
        if (this.cutSize !== undefined) this.cutSize = Math.max(keyed.size, this.cutSize - removed.length);
        return true;
      }
      case "tuple_diff": {
        const state = this.current();
        if (!(state instanceof Tuple)) return false;
        const elements = [...state.elements];
        for (const pair of (payload as Tuple).at(1) as Term[]) {
          if (!(pair instanceof Tuple) || typeof pair.at(0) !== "number") return false;
          elements[(pair.at(0) as number) - 1] = pair.at(1);
        }
        this.set(new Tuple(elements));
        return true;
      }
      case "state_name": {
        const state = this.current();
        if (!(state instanceof Tuple) || state.size !== 2) return false;
        this.set(new Tuple([(payload as Tuple).at(1), state.at(1)]));
        return true;
      }
    }
  }

  /** The current state as a term. */
  current(): Term | undefined {
    if (this.keyed) {
      const map = new ErlMap([...this.keyed.values()]);
      this.whole =
        this.cutSize === undefined || this.cutSize <= map.size
          ? map
          : new Tuple([CUT, MAP, this.cutSize, map]);
      this.keyed = undefined;
      this.cutSize = undefined;
    }
    return this.whole;
  }

  private index(): Map<string, [Term, Term]> | undefined {
    if (this.keyed) return this.keyed;
    const cut = this.whole instanceof Tuple && this.whole.size === 4 ? cutTerm(this.whole) : undefined;
    const map = cut?.kind === "map" ? cut.prefix : this.whole;
    if (!(map instanceof ErlMap)) return undefined;
    this.keyed = new Map(map.entries.map(([k, v]) => [keyOf(k), [k, v]]));
    this.cutSize = cut?.size;
    this.whole = undefined;
    return this.keyed;
  }
}
