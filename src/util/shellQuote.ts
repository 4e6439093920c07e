/**
 * Words quoted for a shell. Runlog starts its processes from argv arrays; the one command it hands
 * to a shell is an MLproject entry point's, which MLflow quotes with `shlex.quote` on every
 * platform, so `shellQuote` is that. The rest is for showing a command the way a user would type it.
 */

/** Python's `shlex.quote`: safe words as they are, anything else (the empty word too) in single quotes. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** A word as cmd.exe reads it: in double quotes (doubled inside) when it holds a space or a metacharacter. */
export function cmdQuote(word: string): string {
  return /[\s"&|<>^]/.test(word) ? `"${word.replace(/"/g, '""')}"` : word;
}

/** An argv as a command line for the platform's shell: shown to the user, never run by a shell. */
export function commandLine(argv: readonly string[], platform: NodeJS.Platform): string {
  return argv.map(platform === 'win32' ? cmdQuote : shellQuote).join(' ');
}
