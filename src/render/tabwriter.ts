/**
 * Go's text/tabwriter as docker/cli configures it (minwidth 10, tabwidth 1, padding 3, spaces):
 * every cell but a line's last is padded to max(10, widest cell + 3). Docker's tables are
 * byte-identical only with this rule. `sizingRows` count for column widths but are not printed.
 */
export function tabwrite(rows: readonly (readonly string[])[], sizingRows: readonly (readonly string[])[] = [], minWidth = 10, padding = 3): string {
  const widths: number[] = [];
  for (const row of [...rows, ...sizingRows]) {
    for (let c = 0; c < row.length - 1; c++) {
      const w = Math.max(minWidth, [...row[c]].length + padding);
      if (w > (widths[c] ?? 0)) widths[c] = w;
    }
  }
  return rows
    .map((row) => row.map((cell, c) => (c < row.length - 1 ? cell + ' '.repeat(widths[c] - [...cell].length) : cell)).join(''))
    .map((line) => line + '\n')
    .join('');
}

/**
 * {@link tabwrite} a line at a time, for tables too long for one string: `rowsOf` is called twice
 * (once for the column widths, once to print), so the rows are never all held.
 */
export function* tabwriteLines(rowsOf: () => Iterable<readonly string[]>, minWidth = 10, padding = 3): Generator<string> {
  const widths: number[] = [];
  for (const row of rowsOf()) {
    for (let c = 0; c < row.length - 1; c++) {
      const w = Math.max(minWidth, [...row[c]].length + padding);
      if (w > (widths[c] ?? 0)) widths[c] = w;
    }
  }
  for (const row of rowsOf()) {
    yield row.map((cell, c) => (c < row.length - 1 ? cell + ' '.repeat(widths[c] - [...cell].length) : cell)).join('') + '\n';
  }
}
