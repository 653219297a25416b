/**
 * `useQuery(fn, deps)`: runs an API request when its inputs change and gives its answer, its error, or
 * that it is loading; a late answer to an older input is dropped.
 */
import { useEffect, useState } from "react";

export interface QueryState<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
}

export function useQuery<T>(fn: () => Promise<T> | null, deps: unknown[], delayMs = 0): QueryState<T> {
  const [s, set] = useState<QueryState<T>>({ data: undefined, error: null, loading: true });
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      const p = fn();
      if (p === null) return set({ data: undefined, error: null, loading: false });
      set((old) => ({ ...old, loading: true }));
      p.then(
        (data) => live && set({ data, error: null, loading: false }),
        (err: unknown) =>
          live &&
          set({ data: undefined, error: err instanceof Error ? err.message : String(err), loading: false }),
      );
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
  return s;
}
