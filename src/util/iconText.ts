// Text shown where VS Code draws `$(name)` as an icon (quick pick labels and descriptions, status
// bar items, tree labels): a backslash before `$(name)` keeps it text, as VS Code documents. User
// text (a param's value, a run's name) goes through `literalIcons` so it reads as written.

/** What VS Code takes for an icon: `$(name)` or `$(name~modifier)`. */
const ICON = /\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

/** `text` with every icon escaped: VS Code shows it as typed. */
export function literalIcons(text: string): string {
  // VS Code drops exactly one backslash before an icon: one the text already had stays.
  return text.replace(ICON, '\\$($1)');
}
