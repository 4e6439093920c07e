import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { HtmlPreviews } from '../panels/htmlPreview';
import { TableEditorProvider } from '../panels/tableEditor';
import { locateArtifact } from '../runs/artifactFile';
import type { PreviewKind } from '../runs/artifactPreview';
import { previewKind, tooLarge } from '../runs/artifactPreview';
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
  const located = ref ? await locateArtifact(ref) : undefined;
  if (!ref || !located?.ok) {
    const message =
      located && !located.ok ? located.message : 'this artifact path leads out of its run; it is not opened.';
    void vscode.window.showWarningMessage(`Runlog: ${message}`);
    return undefined;
  }
  const { file, size } = located;
  const kind = ref.table ? 'table' : previewKind(ref.path, new Set());
  const problem = tooLarge(ref.path, kind, size);
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
      html.show(ref, uri, await readFile(file, 'utf8'));
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
