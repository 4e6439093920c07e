import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Where every panel's bundle lives; the only folder a webview may load from. */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

/** Options for a panel: scripts on, resources limited to the bundle folder. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [webviewRoot(extensionUri)],
    retainContextWhenHidden: false,
  };
}

/**
 * The page of a panel: `dist/webview/<panel>.js` (and its `.css` when the bundle has one) under a
 * strict CSP — `default-src 'none'`, scripts only with this page's nonce (from `crypto`), styles
 * and images only from the bundle folder (plus `data:`/`blob:` images for exports). No inline
 * handlers, no `eval`: the bundle builds its DOM with `textContent`.
 */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  panel: string,
  title: string,
  withCss: boolean,
): string {
  const nonce = randomBytes(16).toString('base64');
  const root = webviewRoot(extensionUri);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${panel}.js`));
  const css = withCss ? webview.asWebviewUri(vscode.Uri.joinPath(root, `${panel}.css`)) : undefined;
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${css ? `<link rel="stylesheet" href="${css.toString()}">` : ''}
<title>${escape(title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
