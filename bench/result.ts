/**
 * What every benchmark under bench/ reports: one figure, and where there is one, the baseline measured in
 * the same run and our figure divided by it.
 */
export interface BenchResult {
  /** What was measured, e.g. "decode trace events". */
  name: string;
  value: number;
  /** Unit of `value` and `baseline`, e.g. "events/s". */
  unit: string;
  baseline?: number;
  /** `value / baseline`. */
  ratio?: number;
  note?: string;
}
