// A panel VS Code restores after a reload comes back only if the extension activates for it: every
// view type src/panels/runlogPanels.ts registers a serializer (or a custom editor) for needs its
// `onWebviewPanel:` (`onCustomEditor:`) activation event in package.json, or the panel stays blank
// until something else activates Runlog.
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// The compiled test runs from out/test/unit/panels: the repository is four folders up.
const repo = join(__dirname, '../../../..');
const panels = join(repo, 'src', 'panels');
const sources = readdirSync(panels)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(panels, f), 'utf8'));
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { activationEvents: string[] };

/** The string a view type expression (`ChartsPanel.viewType`, `COMPARE_VIEW_TYPE`) stands for. */
function viewType(expression: string): string | undefined {
  const [owner, member] = expression.split('.');
  for (const source of sources) {
    const found = member
      ? new RegExp(`class ${owner}\\b[^]*?static readonly ${member} = '([^']+)'`).exec(source)
      : new RegExp(`export const ${owner} = '([^']+)'`).exec(source);
    if (found) return found[1];
  }
  return undefined;
}

function registered(call: string): string[] {
  const source = readFileSync(join(panels, 'runlogPanels.ts'), 'utf8');
  return [...source.matchAll(new RegExp(`${call}\\(\\s*([\\w.]+)`, 'g'))].map((m) => m[1] ?? '');
}

describe('panel activation', () => {
  it('activates on every webview panel view type it restores, and every custom editor', () => {
    const serialized = registered('registerWebviewPanelSerializer');
    assert.ok(serialized.length >= 5, serialized.join());
    for (const expression of serialized) {
      const type = viewType(expression);
      assert.ok(type, `the view type of ${expression}`);
      assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${type}`), `onWebviewPanel:${type}`);
    }
    assert.ok(serialized.includes('HTML_PREVIEW_VIEW_TYPE'), 'HTML previews come back after a reload');
    for (const expression of registered('registerCustomEditorProvider')) {
      const type = viewType(expression);
      assert.ok(type && manifest.activationEvents.includes(`onCustomEditor:${type}`), `onCustomEditor:${type}`);
    }
  });
});
