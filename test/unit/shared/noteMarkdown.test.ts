import * as assert from 'node:assert/strict';
import { noteMarkdown, noteText, parseNote, safeHref } from '../../../shared/noteMarkdown';

describe('run notes (Markdown, hostile text)', () => {
  it('reads headings, paragraphs with line breaks, lists, quotes, code and emphasis', () => {
    const blocks = parseNote('# Result\nlr **0.01** won\nby *far*\n\n- a\n- `b`\n\n> quoted\n\n```\n<b>x</b>\n```');
    assert.deepEqual(
      blocks.map((b) => b.kind),
      ['heading', 'paragraph', 'list', 'quote', 'code'],
    );
    assert.equal(noteText(blocks), 'Result lr 0.01 won by far a; b quoted <b>x</b>');
  });

  it('keeps links to the web and mail only; anything else, and images, stay text', () => {
    assert.equal(safeHref('https://mlflow.org/x'), 'https://mlflow.org/x');
    assert.equal(safeHref('mailto:a@b.c'), 'mailto:a@b.c');
    for (const bad of [
      'command:runlog.deleteRun',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'vscode://x',
      'data:x',
    ]) {
      assert.equal(safeHref(bad), undefined, bad);
    }
    const [paragraph] = parseNote('[go](command:runlog.deleteRun) [web](https://a.b) ![img](https://x/y.png)');
    assert.ok(paragraph?.kind === 'paragraph');
    const links = paragraph.children.filter((c) => c.kind === 'link');
    assert.deepEqual(
      links.map((l) => (l.kind === 'link' ? l.href : '')),
      ['https://a.b'],
    );
    assert.match(noteText(parseNote('![img](https://x/y.png)')), /^img$/);
  });

  it('writes Markdown back with every piece of user text escaped: no HTML, no command link, no autolink', () => {
    const md = noteMarkdown(
      parseNote(
        '<img src=x onerror=alert(1)> [run](command:runlog.deleteRun) <https://evil> &amp; **ok** [w](https://a.b/(c))',
      ),
    );
    assert.ok(!md.includes('<'), md);
    assert.ok(!md.includes('](command:'), md);
    assert.ok(md.includes('&lt;img'), md);
    assert.ok(md.includes('&amp;amp;'), 'entities shown as written');
    assert.ok(md.includes('**ok**'), 'emphasis kept');
    assert.ok(md.includes('](https://a.b/%28c)'), 'a parenthesis cannot end the link early');
  });

  it('reads deeply nested and very long input without recursing without end', () => {
    assert.doesNotThrow(() => parseNote('>'.repeat(10_000) + ' x'));
    assert.doesNotThrow(() => parseNote('*'.repeat(10_000) + 'x' + '*'.repeat(10_000)));
    assert.doesNotThrow(() => parseNote('['.repeat(5_000) + 'x](https://a.b)'));
    const long = noteText(parseNote('y'.repeat(100_000)));
    assert.ok(long.length <= 20_001 && long.endsWith('…'));
  });
});
