/**
 * Where a run's artifact is on disk, and whether Runlog may open it: the one rule of confinement
 * that a click in the Runs view (`commands/openArtifact.ts`) and an HTML preview restored after a
 * reload (`panels/htmlPreview.ts`) both follow. An artifact path comes from a journal (or from a
 * webview's saved state): anyone could have written it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { isArtifactPath } from '../../shared/artifactUrl';
import { RUN_ID } from '../store/storeLocation';
import { previewKind, tooLarge } from './artifactPreview';

/** A run's artifact: its store folder, its run and its path relative to the run's artifacts. */
export interface ArtifactLocation {
  readonly storeDir: string;
  readonly runId: string;
  readonly path: string;
}

export type LocatedArtifact =
  | { readonly ok: true; readonly file: string; readonly size: number }
  | { readonly ok: false; readonly reason: 'path' | 'gone' | 'outside'; readonly message: string };

/**
 * The file of an artifact, when it is a file inside its run's artifacts folder: not a path that
 * climbs out (`..`, absolute, backslashes), not a symbolic link (the file, or a folder on its way)
 * leading out of the folder, not a folder, and still there.
 */
export async function locateArtifact(ref: ArtifactLocation): Promise<LocatedArtifact> {
  if (!RUN_ID.test(ref.runId) || !isArtifactPath(ref.path)) {
    return { ok: false, reason: 'path', message: 'this artifact path leads out of its run; it is not opened.' };
  }
  const artifacts = join(ref.storeDir, 'runs', ref.runId, 'artifacts');
  const file = join(artifacts, ...ref.path.split('/'));
  const [real, root] = await Promise.all([realpath(file).catch(() => undefined), realpath(artifacts).catch(() => '')]);
  if (real === undefined) {
    return { ok: false, reason: 'gone', message: `${ref.path} is not in the run's folder any more.` };
  }
  // A symbolic link (the file, or a folder on its way) could lead anywhere on the disk.
  const info = root !== '' && real.startsWith(root + sep) ? await stat(real).catch(() => undefined) : undefined;
  if (!info?.isFile()) {
    return {
      ok: false,
      reason: 'outside',
      message: `${ref.path} is not a file of the run's artifacts (a folder, or a symbolic link out of them); Runlog does not open it.`,
    };
  }
  return { ok: true, file, size: info.size };
}

/** What an HTML preview keeps in its webview state, so that a reload can show the file again. */
export interface HtmlPreviewState {
  readonly artifact: ArtifactLocation;
}

export function htmlPreviewState(ref: ArtifactLocation): HtmlPreviewState {
  return { artifact: { storeDir: ref.storeDir, runId: ref.runId, path: ref.path } };
}

/** What a restored HTML preview shows: the file read again, or a message saying why not. */
export type HtmlRestore =
  | { readonly kind: 'show'; readonly ref: ArtifactLocation; readonly file: string; readonly html: string }
  | {
      readonly kind: 'refused' | 'gone' | 'tooLarge';
      /** The panel's title: the artifact's path when the state names one. */
      readonly title: string;
      readonly message: string;
    };

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * How an HTML preview VS Code kept across a reload comes back, from its webview state: the file
 * is read from disk again under the rules a click follows — a store folder of this workspace, a
 * run's artifacts folder, no `..` or symbolic link out of it, an HTML file, within the size limit
 * of HTML previews — and otherwise the panel says why it shows nothing.
 */
export async function restoreHtmlPreview(state: unknown, storeDirs: readonly string[]): Promise<HtmlRestore> {
  const artifact = typeof state === 'object' && state !== null ? (state as { artifact?: unknown }).artifact : undefined;
  const { storeDir, runId, path } = (typeof artifact === 'object' && artifact !== null ? artifact : {}) as Record<
    string,
    unknown
  >;
  if (!isString(storeDir) || !isString(runId) || !isString(path)) {
    return {
      kind: 'refused',
      title: 'HTML preview',
      message: 'This preview kept no artifact to show again. Open the file from its run’s Artifacts in the Runs view.',
    };
  }
  const title = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  const refused = (why: string): HtmlRestore => ({
    kind: 'refused',
    title,
    message: `${title}: ${why} Runlog does not open it.`,
  });
  if (!storeDirs.includes(storeDir)) {
    return refused('the preview names a file outside the Runlog stores of this workspace.');
  }
  if (previewKind(path, new Set()) !== 'html') return refused('the preview names a file that is not an HTML file.');
  const located = await locateArtifact({ storeDir, runId, path });
  if (!located.ok) {
    if (located.reason === 'gone') {
      return {
        kind: 'gone',
        title,
        message: `${title} is gone: the file is not in run ${runId}'s artifacts any more (the run, or the file, was deleted).`,
      };
    }
    return refused(
      located.reason === 'path'
        ? 'its path leads out of the run’s artifacts.'
        : 'it is not a file of the run’s artifacts (a folder, or a symbolic link out of them).',
    );
  }
  const large = tooLarge(path, 'html', located.size);
  if (large) return { kind: 'tooLarge', title, message: large };
  try {
    const html = await readFile(located.file, 'utf8');
    // The file may have grown between the check and the read.
    const grown = tooLarge(path, 'html', Buffer.byteLength(html));
    if (grown) return { kind: 'tooLarge', title, message: grown };
    return { kind: 'show', ref: { storeDir, runId, path }, file: located.file, html };
  } catch {
    return { kind: 'gone', title, message: `${title} could not be read again: it was moved or deleted.` };
  }
}
