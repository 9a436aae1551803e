/**
 * CSV out, row by row: RFC 4180 quoting, a UTF-8 byte-order mark so Excel reads Chinese text, and
 * text cells that a spreadsheet would take for a formula (=, +, -, @, tab, CR at the start) prefixed
 * with an apostrophe. Lines are gathered into chunks of about 32 KB, so a response of millions of
 * rows is written as it is read, in constant memory: the generator is pulled by the HTTP stream and
 * waits while the client is slow.
 */

export const CSV_BOM = '\uFEFF';
const CHUNK_CHARS = 32 * 1024;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** The CSV text of `rows` under a header of `columns`, in chunks. */
export async function* csvChunks<Row extends object>(
  columns: ReadonlyArray<keyof Row & string>,
  rows: AsyncIterable<Row>,
): AsyncGenerator<string> {
  let buffer = CSV_BOM + csvLine(columns);
  for await (const row of rows) {
    buffer += csvLine(columns.map((c) => row[c]));
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer.length > 0) yield buffer;
}
