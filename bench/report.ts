/** One measured figure printed by `npm run bench`. */
export interface BenchLine {
  /** What was measured, e.g. `engine kline 1M bars SMA cross`. */
  name: string;
  value: number;
  unit: string;
  /** The target from the issue, as text, e.g. `>= 20,000,000 bars/s`. */
  target?: string;
  /** Whether the target was met, when there is one. */
  ok?: boolean;
}

export type BenchSuite = () => Promise<BenchLine[]>;

export function formatLines(lines: BenchLine[]): string {
  return lines
    .map((l) => {
      const value = Number.isInteger(l.value) ? l.value.toLocaleString('en-US') : l.value.toFixed(3);
      const verdict = l.ok === undefined ? '' : l.ok ? '  OK' : '  MISSED';
      const target = l.target ? `  (target ${l.target})` : '';
      return `${l.name.padEnd(60)} ${value.padStart(16)} ${l.unit}${target}${verdict}`;
    })
    .join('\n');
}
