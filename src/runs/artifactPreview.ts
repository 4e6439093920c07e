/**
 * How the Runs view previews a run's artifact, by its type: images in VS Code's image preview,
 * text (JSON, YAML, Markdown, logs) in an editor, tables (CSV, and the JSON tables MLflow's
 * `log_table` names in the run's `mlflow.loggedArtifacts` tag) in Runlog's table viewer, HTML
 * figures in a webview with scripts off; anything else as VS Code opens it. Each kind has a size
 * beyond which it is not opened, with a message instead.
 */
import { sep } from 'node:path';
import { RUN_ID } from '../store/storeLocation';

export type PreviewKind = 'image' | 'text' | 'table' | 'html' | 'other';

const MB = 1024 * 1024;

/** The largest file each kind opens (the Python client refuses images over 50 MB). */
export const PREVIEW_LIMITS: Readonly<Record<PreviewKind, number>> = {
  image: 50 * MB,
  text: 20 * MB,
  table: 64 * MB,
  html: 10 * MB,
  other: 50 * MB,
};

const KIND_NAMES: Readonly<Record<PreviewKind, string>> = {
  image: 'images',
  text: 'text files',
  table: 'tables',
  html: 'HTML files',
  other: 'files',
};

const IMAGES = new Set(['png', 'jpg', 'jpeg', 'jpe', 'gif', 'webp', 'bmp', 'ico', 'avif', 'svg']);
const TEXT = new Set([
  'json',
  'yaml',
  'yml',
  'txt',
  'md',
  'markdown',
  'log',
  'py',
  'toml',
  'ini',
  'cfg',
  'xml',
  'jsonl',
  'ndjson',
  'sh',
]);
const TEXT_NAMES = new Set(['MLmodel', 'MLproject', 'LICENSE', 'README']);
const TABLES = new Set(['csv', 'tsv']);
const HTML = new Set(['html', 'htm']);

/** The paths of the tables a run logged (`mlflow.loggedArtifacts`: `[{"path", "type": "table"}]`). */
export function loggedTables(tags: Readonly<Record<string, string>>): Set<string> {
  const tables = new Set<string>();
  const value = tags['mlflow.loggedArtifacts'];
  if (value === undefined) return tables;
  try {
    const list: unknown = JSON.parse(value);
    if (!Array.isArray(list)) return tables;
    for (const entry of list) {
      const { path, type } = (entry ?? {}) as { path?: unknown; type?: unknown };
      if (type === 'table' && typeof path === 'string') tables.add(path);
    }
  } catch {
    // A tag anyone could set: not JSON is no tables.
  }
  return tables;
}

/** How an artifact at `path` (relative to the run's artifacts) is previewed. */
export function previewKind(path: string, tables: ReadonlySet<string>): PreviewKind {
  if (tables.has(path)) return 'table';
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (IMAGES.has(extension)) return 'image';
  if (TABLES.has(extension)) return 'table';
  if (HTML.has(extension)) return 'html';
  if (TEXT.has(extension) || TEXT_NAMES.has(name)) return 'text';
  return 'other';
}

/** Why a file of `size` bytes is not opened as `kind`; undefined when it is. */
export function tooLarge(path: string, kind: PreviewKind, size: number): string | undefined {
  const limit = PREVIEW_LIMITS[kind];
  if (size <= limit) return undefined;
  return `${path} is ${formatSize(size)}: Runlog opens ${KIND_NAMES[kind]} up to ${formatSize(limit)}. Reveal the run's folder to open it with another program.`;
}

export function formatSize(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < MB) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / MB).toFixed(1)} MB`;
}

/**
 * The artifacts folder of the run a file belongs to (`<store>/runs/<run id>/artifacts`), which a
 * table's image cells are relative to; undefined for a file outside any run.
 */
export function artifactsRoot(file: string): string | undefined {
  const parts = file.split(sep);
  for (let i = parts.length - 2; i >= 2; i--) {
    if (parts[i] === 'artifacts' && parts[i - 2] === 'runs' && RUN_ID.test(parts[i - 1] ?? '')) {
      return parts.slice(0, i + 1).join(sep);
    }
  }
  return undefined;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * The page that shows an HTML figure with scripts off: the file inside an `<iframe sandbox>` (no
 * scripts, no forms, no navigation, an origin of its own), under a policy that loads nothing but
 * inline styles and `data:` images and fonts (a `srcdoc` frame inherits it). A plotly figure needs
 * its script, so the page says what is missing rather than showing a blank.
 *
 * With `saved`, the page's one script (allowed by its nonce alone, its text constant) hands
 * `saved.state` to VS Code's webview state, which is all a reload keeps: the serializer reads the
 * file again from where the state says. The figure's own scripts stay off — the frame's sandbox
 * allows none, and a frame's script would have no nonce.
 */
export function sandboxedHtmlPage(html: string, name: string, saved?: { nonce: string; state: unknown }): string {
  const scriptSrc = saved ? `; script-src 'nonce-${saved.nonce}'` : '';
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:${scriptSrc}`;
  const scripted = /<script[\s>]/i.test(html);
  const note = scripted
    ? `${name}: scripts are off in this preview, so its interactive parts (a plotly figure's plot) do not show.`
    : `${name}: shown with scripts off.`;
  const keep = saved
    ? `\n<script nonce="${saved.nonce}" data-state="${escapeHtml(JSON.stringify(saved.state))}">acquireVsCodeApi().setState(JSON.parse(document.currentScript.dataset.state));</script>`
    : '';
  return page(
    csp,
    name,
    `<div class="note">${escapeHtml(note)}</div>
<iframe sandbox="" title="${escapeHtml(name)}" srcdoc="${escapeHtml(html)}"></iframe>${keep}`,
  );
}

/** The page of an HTML preview that shows no file: why not (gone, refused, too large). Nothing runs. */
export function previewMessagePage(title: string, message: string): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'";
  return page(csp, title, `<p class="message">${escapeHtml(message)}</p>`);
}

function page(csp: string, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(title)}</title>
<style>
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); }
.note { padding: 6px 12px; opacity: 0.8; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
.message { padding: 12px; }
iframe { flex: 1; border: 0; background: #fff; }
</style>
</head>
<body>
${body}
</body>
</html>`;
}
