/**
 * CSV as spreadsheets and pandas read it (RFC 4180, CRLF line ends), the same for every export:
 * the Compare panel's table, a chart's points. No `vscode`, no DOM, no Node.
 */

/** A formula-looking text field would run in a spreadsheet; a leading `'` keeps it text. */
function defuse(value: string): string {
  const numeric = value.trim() !== '' && Number.isFinite(Number(value));
  return !numeric && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** One field: defused, and quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(value: string): string {
  const safe = defuse(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Lines of fields, each ended by CRLF. */
export function csvText(lines: readonly (readonly string[])[]): string {
  return lines.map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('');
}
