/** Small helpers shared by the benchmark sections: percentiles, medians, a text table. */

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function summarise(values: number[]): { p50: number; p99: number; max: number; count: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, count: sorted.length };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** The least, the median and the greatest of several rounds' figures. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[], digits: number): Spread {
  return { min: round(Math.min(...values), digits), median: round(median(values), digits), max: round(Math.max(...values), digits) };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One line of the final table: a figure and, when there is one, the target it is held to. */
export interface Row {
  section: string;
  measure: string;
  value: string;
  target?: string;
  met?: boolean;
}

export function formatTable(rows: Row[]): string {
  const cells = rows.map((row) => [row.section, row.measure, row.value, row.target ?? '', row.met === undefined ? '' : row.met ? 'met' : 'MISSED']);
  return formatColumns(['section', 'measure', 'value', 'target', ''], cells);
}

/** A text table: a header line, a rule, then the cells padded to their column's width. */
export function formatColumns(header: string[], cells: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((cell) => cell[i].length)));
  const line = (cell: string[]) =>
    cell
      .map((text, i) => text.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
