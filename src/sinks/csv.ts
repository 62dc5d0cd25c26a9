/** RFC 4180 CSV: quote a field when it holds a comma, quote, CR or LF; rows end in CRLF. */
import type { Cell } from './columns.js';

export function csvField(cell: Cell): string {
  if (cell === undefined) return '';
  const text = typeof cell === 'number' ? (Number.isFinite(cell) ? String(cell) : '') : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}
