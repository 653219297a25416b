/**
 * Asks the server for the timeline of the visible window, one request at a time: while one is answered, only
 * the latest window asked for waits (zooming fast never queues stale work). Remembers a few answers.
 */
import type { Timeline, TimelineQuery } from "../../../src/query/api.js";
import { call } from "../api.js";

export interface Answer {
  q: TimelineQuery;
  data: Timeline;
  /** performance.now() when the oldest step this answer satisfies was asked for. */
  askedAt: number;
  /** True when no newer window waits: the screen now shows what was last asked. */
  latest: boolean;
}

export class TimelineFetcher {
  private inFlight = false;
  private pending: { q: TimelineQuery; askedAt: number } | null = null;
  private cache = new Map<string, Timeline>();

  constructor(
    private readonly onAnswer: (a: Answer) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Forgets every answer (the recording grew). */
  clear(): void {
    this.cache.clear();
  }

  ask(q: TimelineQuery): void {
    const askedAt = this.pending?.askedAt ?? performance.now();
    this.pending = { q, askedAt };
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.inFlight || this.pending === null) return;
    const { q, askedAt } = this.pending;
    this.pending = null;
    const key = JSON.stringify(q);
    const hit = this.cache.get(key);
    if (hit) {
      this.onAnswer({ q, data: hit, askedAt, latest: this.pending === null });
      return this.pump();
    }
    this.inFlight = true;
    try {
      const data = await call("timeline", q);
      this.cache.set(key, data);
      if (this.cache.size > 24) this.cache.delete(this.cache.keys().next().value!);
      this.onAnswer({ q, data, askedAt, latest: this.pending === null });
    } catch (err) {
      this.onError(err instanceof Error ? err.message : String(err));
    } finally {
      this.inFlight = false;
    }
    void this.pump();
  }
}
