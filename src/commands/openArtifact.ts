import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import * as vscode from 'vscode';
import { isArtifactPath } from '../../shared/artifactUrl';
import type { HtmlPreviews } from '../panels/htmlPreview';
import { TableEditorProvider } from '../panels/tableEditor';
import type { PreviewKind } from '../runs/artifactPreview';
import { previewKind, tooLarge } from '../runs/artifactPreview';
import { RUN_ID } from '../store/storeLocation';
import type { ArtifactRef } from '../views/runSections';

/** VS Code's own image preview (the built-in media-preview extension): images as `<img>`, SVG too. */
const IMAGE_PREVIEW = 'imagePreview.previewEditor';

/**
 * A click on an artifact in the Runs view: the file previewed by its type (runs/artifactPreview.ts)
 * — an image in VS Code's image preview, text in an editor, a table in the table viewer, HTML in a
 * webview with scripts off, anything else as VS Code opens it. A file over its kind's size limit,
 * gone, or not a file of the run's artifacts (a symbolic link leading out of them) gets a message
 * instead. Resolves with the kind it was opened as, undefined when it was not.
 */
export async function openArtifact(html: HtmlPreviews, ref: ArtifactRef | undefined): Promise<PreviewKind | undefined> {
  if (!ref || !RUN_ID.test(ref.runId) || !isArtifactPath(ref.path)) {
    void vscode.window.showWarningMessage('Runlog: this artifact path leads out of its run; it is not opened.');
    return undefined;
  }
  const artifacts = join(ref.storeDir, 'runs', ref.runId, 'artifacts');
  const file = join(artifacts, ...ref.path.split('/'));
  const [real, root] = await Promise.all([realpath(file).catch(() => undefined), realpath(artifacts).catch(() => '')]);
  if (real === undefined) {
    void vscode.window.showWarningMessage(`Runlog: ${ref.path} is not in the run's folder any more.`);
    return undefined;
  }
  // A symbolic link (the file, or a folder on its way) could lead anywhere on the disk.
  const info = real.startsWith(root + sep) ? await stat(real) : undefined;
  if (!info?.isFile()) {
    void vscode.window.showWarningMessage(
      `Runlog: ${ref.path} is not a file of the run's artifacts (a folder, or a symbolic link out of them); Runlog does not open it.`,
    );
    return undefined;
  }
  const kind = ref.table ? 'table' : previewKind(ref.path, new Set());
  const problem = tooLarge(ref.path, kind, info.size);
  if (problem) {
    void vscode.window.showInformationMessage(`Runlog: ${problem}`);
    return undefined;
  }
  const uri = vscode.Uri.file(file);
  switch (kind) {
    case 'image':
      await vscode.commands.executeCommand('vscode.openWith', uri, IMAGE_PREVIEW, { preview: true });
      break;
    case 'table':
      await vscode.commands.executeCommand('vscode.openWith', uri, TableEditorProvider.viewType, { preview: true });
      break;
    case 'html':
      html.show(uri, await readFile(file, 'utf8'), ref.path);
      break;
    case 'text':
      await vscode.window.showTextDocument(uri, { preview: true });
      break;
    case 'other':
      await vscode.commands.executeCommand('vscode.open', uri);
      break;
  }
  return kind;
}
