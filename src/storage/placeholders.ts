/**
 * `($1, $2, …), (…)`: PostgreSQL placeholders of `rows` rows of `columns` values each, numbered
 * after `offset` others.
 */
export function placeholders(rows: number, columns: number, offset = 0): string {
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${offset + r * columns + c}`);
    groups.push(`(${cells.join(', ')})`);
  }
  return groups.join(', ');
}
