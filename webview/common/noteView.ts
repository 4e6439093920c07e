// A run's note on a page: the tree of shared/noteMarkdown.ts as DOM, every piece of text set with
// textContent, links only to the web or mail (the tree holds no other), so a note can never add
// markup, run script or load anything.
import type { NoteBlock, NoteInline } from '../../shared/noteMarkdown';
import { parseNote } from '../../shared/noteMarkdown';
import { el } from './host';

function inline(nodes: readonly NoteInline[]): Node[] {
  return nodes.map((node): Node => {
    switch (node.kind) {
      case 'text':
        return document.createTextNode(node.text);
      case 'code':
        return el('code', { text: node.text });
      case 'strong':
        return el('strong', {}, ...inline(node.children));
      case 'em':
        return el('em', {}, ...inline(node.children));
      case 'break':
        return el('br');
      case 'link': {
        const a = el('a', { title: node.href }, ...inline(node.children));
        a.href = node.href;
        a.rel = 'noopener noreferrer';
        return a;
      }
    }
  });
}

function block(node: NoteBlock): HTMLElement {
  switch (node.kind) {
    case 'paragraph':
      return el('p', {}, ...inline(node.children));
    case 'heading':
      // Headings of a note sit below the panel's own: h4 to h6.
      return el(`h${Math.min(6, node.level + 3)}` as 'h4', {}, ...inline(node.children));
    case 'list':
      return el(node.ordered ? 'ol' : 'ul', {}, ...node.items.map((item) => el('li', {}, ...inline(item))));
    case 'quote':
      return el('blockquote', {}, ...node.children.map(block));
    case 'code':
      return el('pre', {}, el('code', { text: node.text }));
  }
}

/** A note's Markdown as a `div.note`. */
export function renderNote(note: string): HTMLElement {
  return el('div', { className: 'note' }, ...parseNote(note).map(block));
}
