import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  PREVIEW_LIMITS,
  artifactsRoot,
  loggedTables,
  previewKind,
  previewMessagePage,
  sandboxedHtmlPage,
  tooLarge,
} from '../../../src/runs/artifactPreview';

describe('artifact previews', () => {
  it('previews each artifact by its type; logged tables in the table viewer', () => {
    const tables = loggedTables({
      'mlflow.loggedArtifacts': '[{"path": "eval/worst.json", "type": "table"}, {"path": "x.bin", "type": "model"}]',
    });
    assert.deepEqual([...tables], ['eval/worst.json']);
    const kinds = Object.fromEntries(
      [
        'plots/confusion.png',
        'plots/roc.SVG',
        'images/a%step%1%timestamp%2%g.webp',
        'eval/worst.json',
        'config.json',
        'config.yaml',
        'report.md',
        'model/MLmodel',
        'data/preds.csv',
        'data/preds.tsv',
        'plots/interactive.html',
        'model/model.pkl',
        'noextension',
      ].map((path) => [path, previewKind(path, tables)]),
    );
    assert.deepEqual(kinds, {
      'plots/confusion.png': 'image',
      'plots/roc.SVG': 'image',
      'images/a%step%1%timestamp%2%g.webp': 'image',
      'eval/worst.json': 'table',
      'config.json': 'text',
      'config.yaml': 'text',
      'report.md': 'text',
      'model/MLmodel': 'text',
      'data/preds.csv': 'table',
      'data/preds.tsv': 'table',
      'plots/interactive.html': 'html',
      'model/model.pkl': 'other',
      noextension: 'other',
    });
  });

  it('reads a tag anyone could set without failing', () => {
    for (const value of ['not json', '{"path": "a"}', '[null, 3, {"path": 5, "type": "table"}]']) {
      assert.deepEqual([...loggedTables({ 'mlflow.loggedArtifacts': value })], [], value);
    }
  });

  it('refuses a file over its kind’s limit, saying how large it is and what the limit is', () => {
    assert.equal(tooLarge('a.png', 'image', PREVIEW_LIMITS.image), undefined);
    assert.equal(
      tooLarge('eval/big.json', 'table', 200 * 1024 * 1024),
      "eval/big.json is 200.0 MB: Runlog opens tables up to 64.0 MB. Reveal the run's folder to open it with another program.",
    );
  });

  it("finds the run's artifacts folder a file is in", () => {
    const root = join('/w', '.runlog', 'runs', 'r-1', 'artifacts');
    assert.equal(artifactsRoot(join(root, 'eval', 'worst.json')), root);
    assert.equal(artifactsRoot(join(root, 'runs', 'x', 'artifacts', 't.json')), join(root, 'runs', 'x', 'artifacts'));
    assert.equal(artifactsRoot(join('/w', 'data', 'preds.csv')), undefined);
    assert.equal(artifactsRoot(join('/w', 'runs', '..', 'artifacts', 't.json')), undefined);
  });

  it('frames HTML in a sandbox without scripts, every quote of the file escaped', () => {
    const figure = '<div id="plot"></div><script>fetch("https://x")</script><p>"quoted" & \'single\'</p>';
    const page = sandboxedHtmlPage(figure, 'plots/<b>fig</b>.html');
    assert.match(page, /<iframe sandbox="" title="plots\/&lt;b&gt;fig&lt;\/b&gt;\.html" srcdoc="[^"]*"><\/iframe>/);
    assert.ok(!page.includes('<script'), 'the only script is inside srcdoc, escaped');
    assert.match(page, /default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:/);
    assert.match(page, /scripts are off in this preview/);
    assert.ok(page.includes('&quot;quoted&quot; &amp; &#39;single&#39;'));
  });

  it('keeps where the file is in the webview state through one nonce-only script; the figure still runs none', () => {
    const figure = '<script nonce="guess">alert(1)</script><p>fig</p>';
    const path = '</script><script>alert(2)</script>".html';
    const state = { artifact: { storeDir: '/s', runId: 'r', path } };
    const page = sandboxedHtmlPage(figure, path, { nonce: 'N0nce+/=', state });
    assert.match(
      page,
      /default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; script-src 'nonce-N0nce\+\/='"/,
    );
    const scripts = page.match(/<script[\s>][^]*?<\/script>/g) ?? [];
    assert.equal(scripts.length, 1, 'one script element: the page’s own');
    assert.match(
      scripts[0] ?? '',
      /^<script nonce="N0nce\+\/=" data-state="[^"<>]*">acquireVsCodeApi\(\)\.setState\(JSON\.parse\(document\.currentScript\.dataset\.state\)\);<\/script>$/,
    );
    const attribute = /data-state="([^"]*)"/.exec(page)?.[1] ?? '';
    const decoded = attribute
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    assert.deepEqual(JSON.parse(decoded), state);
    assert.match(page, /<iframe sandbox="" /, 'the frame allows no scripts');
  });

  it('says why a preview shows nothing on a page that runs nothing', () => {
    const page = previewMessagePage('<b>x</b>.html', 'plots/<b>x</b>.html is gone');
    assert.ok(!page.includes('<script') && !page.includes('<b>'));
    assert.match(page, /<p class="message">plots\/&lt;b&gt;x&lt;\/b&gt;\.html is gone<\/p>/);
    assert.match(page, /content="default-src 'none'; style-src 'unsafe-inline'"/);
  });
});
