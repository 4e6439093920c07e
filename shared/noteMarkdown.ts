/**
 * Run notes are Markdown written by people (and by scripts, and by teammates through a shared
 * store or an MLflow server): hostile text. This reads the part of Markdown notes need — paragraphs
 * with line breaks, headings, lists, quotes, code, emphasis and links — into a small tree that holds
 * no HTML and no URL other than http(s) and mailto. The webview builds its DOM from the tree with
 * `textContent` only (webview/common/noteView.ts); the host writes the tree back as Markdown with
 * every character of user text escaped, for VS Code's tooltips (untrusted, no HTML). Raw HTML,
 * images and other links stay visible as the text they are. No `vscode`, no DOM, no Node.
 */

export type NoteInline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'strong'; readonly children: readonly NoteInline[] }
  | { readonly kind: 'em'; readonly children: readonly NoteInline[] }
  | { readonly kind: 'link'; readonly href: string; readonly children: readonly NoteInline[] }
  | { readonly kind: 'break' };

export type NoteBlock =
  | { readonly kind: 'paragraph'; readonly children: readonly NoteInline[] }
  | { readonly kind: 'heading'; readonly level: number; readonly children: readonly NoteInline[] }
  | { readonly kind: 'list'; readonly ordered: boolean; readonly items: readonly (readonly NoteInline[])[] }
  | { readonly kind: 'quote'; readonly children: readonly NoteBlock[] }
  | { readonly kind: 'code'; readonly text: string };

/** Longer notes are read up to here (the rest is cut, with an ellipsis). */
export const MAX_NOTE_READ = 20_000;
const MAX_QUOTE_DEPTH = 8;
const MAX_INLINE_DEPTH = 16;

/** A link target the note may keep: a web or mail address, nothing that runs or reads files. */
export function safeHref(url: string): string | undefined {
  const trimmed = url.trim();
  return /^(https?:\/\/|mailto:)[^\s<>"'`\\]+$/i.test(trimmed) ? trimmed : undefined;
}

/** Reads a note into blocks. */
export function parseNote(note: string): NoteBlock[] {
  const text = note.length > MAX_NOTE_READ ? `${note.slice(0, MAX_NOTE_READ)}…` : note;
  return blocks(text.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function blocks(lines: readonly string[], depth: number): NoteBlock[] {
  const out: NoteBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = /^\s{0,3}(```|~~~)/.exec(line);
    if (fence) {
      let end = i + 1;
      while (end < lines.length && !lines[end].trimStart().startsWith(fence[1])) end++;
      out.push({ kind: 'code', text: lines.slice(i + 1, end).join('\n') });
      i = end + 1;
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push({ kind: 'heading', level: heading[1].length, children: inlines(heading[2], 0) });
      i++;
      continue;
    }
    if (/^\s{0,3}>/.test(line) && depth < MAX_QUOTE_DEPTH) {
      const quoted: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) {
        quoted.push(lines[i].replace(/^\s{0,3}>\s?/, ''));
        i++;
      }
      out.push({ kind: 'quote', children: blocks(quoted, depth + 1) });
      continue;
    }
    const item = listItem(line);
    if (item) {
      const items: NoteInline[][] = [];
      while (i < lines.length) {
        const next = listItem(lines[i]);
        if (next && next.ordered === item.ordered) {
          items.push(inlines(next.text, 0));
        } else if (!next && lines[i].trim() !== '' && /^\s+/.test(lines[i]) && items.length > 0) {
          // An indented line goes on with the item above it.
          const last = items[items.length - 1];
          last.push({ kind: 'break' }, ...inlines(lines[i].trim(), 0));
        } else {
          break;
        }
        i++;
      }
      out.push({ kind: 'list', ordered: item.ordered, items });
      continue;
    }
    const paragraph: string[] = [];
    // The first line is always taken: a line that looks like a block the checks above refused (a
    // quote nested deeper than MAX_QUOTE_DEPTH) must not stop the reading where it is.
    while (
      i < lines.length &&
      lines[i].trim() !== '' &&
      (paragraph.length === 0 || (!/^\s{0,3}(```|~~~|#{1,6}\s|>)/.test(lines[i]) && !listItem(lines[i])))
    ) {
      paragraph.push(lines[i].trim());
      i++;
    }
    const children: NoteInline[] = [];
    paragraph.forEach((l, n) => {
      if (n > 0) children.push({ kind: 'break' });
      children.push(...inlines(l, 0));
    });
    out.push({ kind: 'paragraph', children });
  }
  return out;
}

function listItem(line: string): { ordered: boolean; text: string } | undefined {
  const bullet = /^\s{0,3}[-*+]\s+(.*)$/.exec(line);
  if (bullet) return { ordered: false, text: bullet[1] };
  const numbered = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/.exec(line);
  return numbered ? { ordered: true, text: numbered[1] } : undefined;
}

/** A link at a position (sticky: no copy of the rest of the line per bracket). */
const LINK = /\[([^\]]{0,300})\]\(([^)\s]{0,512})(?:\s+"[^"]{0,300}")?\)/y;

/** Emphasis, code and links in one line; everything else is text, HTML included. */
function inlines(text: string, depth: number): NoteInline[] {
  const out: NoteInline[] = [];
  let plain = '';
  const flush = (): void => {
    if (plain !== '') out.push({ kind: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!>|~<]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (char === '`') {
      const close = text.indexOf('`', i + 1);
      if (close > i) {
        flush();
        out.push({ kind: 'code', text: text.slice(i + 1, close) });
        i = close + 1;
        continue;
      }
    }
    if ((char === '*' || char === '_') && depth < MAX_INLINE_DEPTH) {
      const strong = text[i + 1] === char;
      const marker = strong ? char + char : char;
      const close = text.indexOf(marker, i + marker.length + 1);
      if (close > i && text[i + marker.length] !== ' ') {
        flush();
        const children = inlines(text.slice(i + marker.length, close), depth + 1);
        out.push(strong ? { kind: 'strong', children } : { kind: 'em', children });
        i = close + marker.length;
        continue;
      }
    }
    if (char === '[' || (char === '!' && text[i + 1] === '[')) {
      const image = char === '!';
      const open = image ? i + 1 : i;
      LINK.lastIndex = open;
      const link = LINK.exec(text);
      if (link) {
        flush();
        const label = link[1];
        const href = image ? undefined : safeHref(link[2]);
        if (href && depth < MAX_INLINE_DEPTH) {
          out.push({ kind: 'link', href, children: inlines(label, depth + 1) });
        } else {
          // An image is never loaded, and a link to anything but the web stays as written.
          plain += image ? label : link[0];
        }
        i = open + link[0].length;
        continue;
      }
    }
    plain += char;
    i++;
  }
  flush();
  return out;
}

/** The note's text without its markup (a cell, a title). */
export function noteText(blocks: readonly NoteBlock[]): string {
  const inline = (nodes: readonly NoteInline[]): string =>
    nodes
      .map((n) => {
        switch (n.kind) {
          case 'text':
          case 'code':
            return n.text;
          case 'break':
            return ' ';
          default:
            return inline(n.children);
        }
      })
      .join('');
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'paragraph':
        case 'heading':
          return inline(b.children);
        case 'list':
          return b.items.map(inline).join('; ');
        case 'quote':
          return noteText(b.children);
        case 'code':
          return b.text;
      }
    })
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Text that Markdown shows as written: every punctuation mark that could start markup is escaped. */
function escapeText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&$:]/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`,
  );
}

/** The note as Markdown again, safe to render: user text escaped, links only to the web or mail. */
export function noteMarkdown(blocks: readonly NoteBlock[]): string {
  const inline = (nodes: readonly NoteInline[]): string =>
    nodes
      .map((n) => {
        switch (n.kind) {
          case 'text':
            return escapeText(n.text);
          case 'code':
            return `\`${n.text.replace(/`/g, '´')}\``;
          case 'strong':
            return `**${inline(n.children)}**`;
          case 'em':
            return `*${inline(n.children)}*`;
          case 'link':
            return `[${inline(n.children)}](${n.href.replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'))})`;
          case 'break':
            return '  \n';
        }
      })
      .join('');
  return blocks
    .map((b): string => {
      switch (b.kind) {
        case 'paragraph':
          return inline(b.children);
        case 'heading':
          return `${'#'.repeat(b.level)} ${inline(b.children)}`;
        case 'list':
          return b.items.map((item, n) => `${b.ordered ? `${n + 1}.` : '-'} ${inline(item)}`).join('\n');
        case 'quote':
          return noteMarkdown(b.children)
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n');
        case 'code': {
          const fence = '`'.repeat(Math.max(3, ...[...b.text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
          return `${fence}text\n${b.text}\n${fence}`;
        }
      }
    })
    .join('\n\n');
}
