import type { ImageFrame } from '../store/imageNames';
import { imageSeriesOf } from '../store/imageNames';
import type { RunDetails } from '../store/types';
import { formatSize, loggedTables, previewKind } from '../runs/artifactPreview';
import type { PreviewKind } from '../runs/artifactPreview';
import type { ArtifactRef, ValueNode } from './runSections';

const ICONS: Readonly<Record<PreviewKind, string>> = {
  image: 'file-media',
  text: 'file-text',
  table: 'table',
  html: 'file-code',
  other: 'file',
};

const TABLE_IMAGES = 'table_images/';

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * The Artifacts section of a run: each file, previewed by its type on a click (runlog.openArtifact);
 * an image series (MLflow's `images/<key>%step%…` files, hundreds of them) as one row per key that
 * opens the Media panel there; a table's image cells (`table_images/<table>/…`) as one row that
 * opens the table.
 */
export function artifactRows(run: RunDetails, storeDir: string): ValueNode[] {
  const tables = loggedTables(run.tags);
  const series = imageSeriesOf(run.artifacts.map((a) => a.path));
  const inSeries = new Set<string>();
  for (const frames of series.values()) {
    for (const frame of frames) {
      inSeries.add(frame.file);
      if (frame.preview) inSeries.add(frame.preview);
    }
  }
  const rows: ValueNode[] = [...series].map(([key, frames]) => seriesRow(run.id, key, frames));
  const tableImages = new Map<string, number>();
  for (const artifact of run.artifacts) {
    if (inSeries.has(artifact.path)) continue;
    if (artifact.path.startsWith(TABLE_IMAGES)) {
      const folder = artifact.path.slice(TABLE_IMAGES.length, artifact.path.lastIndexOf('/'));
      if (folder !== '') {
        tableImages.set(folder, (tableImages.get(folder) ?? 0) + 1);
        continue;
      }
    }
    rows.push(fileRow(run.id, storeDir, artifact, tables));
  }
  for (const [folder, count] of tableImages) {
    const table = run.artifacts.find((a) => a.path === `${folder}.json`);
    rows.push({
      kind: 'value',
      label: `${TABLE_IMAGES}${folder}/`,
      value: `${plural(count, 'file')}: the images of ${folder}.json`,
      icon: 'file-media',
      ...(table
        ? {
            tooltip: `Image cells of the table ${folder}.json; click to open the table`,
            command: openCommand({ storeDir, runId: run.id, path: table.path, table: true }),
          }
        : {}),
    });
  }
  return rows;
}

function seriesRow(runId: string, key: string, frames: readonly ImageFrame[]): ValueNode {
  const first = frames[0]?.step ?? 0;
  const last = frames[frames.length - 1]?.step ?? 0;
  const steps = frames.length === 1 ? `step ${first}` : `steps ${first}–${last}`;
  return {
    kind: 'value',
    label: `images: ${key}`,
    value: `${plural(frames.length, 'step')} (${steps})`,
    tooltip: `${key}: an image per step; click to scrub through them in the Media panel`,
    icon: 'file-media',
    command: {
      command: 'runlog.openMedia',
      title: 'Open Media',
      arguments: [{ runIds: [runId], keys: [key] }],
    },
  };
}

function fileRow(
  runId: string,
  storeDir: string,
  artifact: RunDetails['artifacts'][number],
  tables: ReadonlySet<string>,
): ValueNode {
  const kind = previewKind(artifact.path, tables);
  return {
    kind: 'value',
    label: artifact.path,
    value: formatSize(artifact.size),
    tooltip: `sha256 ${artifact.sha256}`,
    icon: ICONS[kind],
    command: openCommand({ storeDir, runId, path: artifact.path, table: kind === 'table' }),
  };
}

function openCommand(ref: ArtifactRef): { command: string; title: string; arguments: unknown[] } {
  return { command: 'runlog.openArtifact', title: 'Open Artifact', arguments: [ref] };
}
