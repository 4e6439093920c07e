// The store's queries about a run's media: its image series (keys, and per key each step's file)
// for the Media panel, and a key's images across a script's runs for the hover on `log_image`.
// Names are parsed from the runs' `artifact` rows (imageNames.ts); each run's images are one range
// of the artifacts' primary key (run_id, path). `mediaQueries` lists them; storeQueries.ts makes
// every one a StoreApi method.
import type { RunStatus } from './events';
import type { ImageFrame } from './imageNames';
import { IMAGES_FOLDER, imageSeriesOf, keyInFileName } from './imageNames';
import { recentRuns, scriptScope } from './insightQueries';
import type { Db } from './sqlite';

/** A key some of the runs logged images under. */
export interface ImageKey {
  readonly key: string;
  /** How many of the runs logged it. */
  readonly runs: number;
  /** Steps logged, over all those runs. */
  readonly images: number;
}

/** One run's series of a key, as columns: the Media panel's slider snaps to `steps`. */
export interface ImageSeries {
  readonly runId: string;
  /** Ascending. */
  readonly steps: Float64Array;
  readonly times: Float64Array;
  /** Each step's image, relative to the run's artifacts. */
  readonly files: readonly string[];
  /** Each step's preview (MLflow's 256-pixel WebP), or null where there is none. */
  readonly previews: readonly (string | null)[];
}

/** The runs of a script (or of the store) that logged images under a key, newest first. */
export interface ImageInsight {
  readonly key: string;
  readonly scope: 'script' | 'store';
  readonly runs: readonly {
    readonly runId: string;
    readonly runName: string;
    readonly status: RunStatus;
    readonly startTime: number;
    readonly images: number;
    readonly firstStep: number;
    readonly lastStep: number;
  }[];
}

/** Paths of a run's artifacts that start with `prefix`: one range of the primary key. */
function pathsFrom(db: Db, runId: string, prefix: string): string[] {
  // The next string after every string that starts with `prefix`: its last character plus one.
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return db
    .all<{ path: string }>('SELECT path FROM artifacts WHERE run_id = ? AND path >= ? AND path < ?', [
      runId,
      prefix,
      end,
    ])
    .map((row) => row.path);
}

/** A run's frames of one key: the two ranges its names can start with (`<key>%` and `<key>+`). */
function framesOf(db: Db, runId: string, key: string): ImageFrame[] {
  const stem = IMAGES_FOLDER + keyInFileName(key);
  const paths = [...pathsFrom(db, runId, `${stem}%`), ...pathsFrom(db, runId, `${stem}+`)];
  return imageSeriesOf(paths).get(key) ?? [];
}

/** Every key the runs logged images under, A→Z, with how many runs and steps. */
function imageKeys(db: Db, runIds: readonly string[]): ImageKey[] {
  const keys = new Map<string, { runs: number; images: number }>();
  for (const runId of new Set(runIds)) {
    for (const [key, frames] of imageSeriesOf(pathsFrom(db, runId, IMAGES_FOLDER))) {
      const entry = keys.get(key) ?? { runs: 0, images: 0 };
      entry.runs += 1;
      entry.images += frames.length;
      keys.set(key, entry);
    }
  }
  return [...keys]
    .map(([key, counts]) => ({ key, ...counts }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Each run's series of `key`, in the order given; runs without images of it are left out. */
function imageSeries(db: Db, runIds: readonly string[], key: string): ImageSeries[] {
  const found: ImageSeries[] = [];
  for (const runId of new Set(runIds)) {
    const frames = framesOf(db, runId, key);
    if (frames.length === 0) continue;
    found.push({
      runId,
      steps: Float64Array.from(frames, (f) => f.step),
      times: Float64Array.from(frames, (f) => f.timestamp),
      files: frames.map((f) => f.file),
      previews: frames.map((f) => f.preview),
    });
  }
  return found;
}

/** How many recent runs a hover looks through for images of a key. */
const HOVER_RUNS = 200;

/**
 * The most recent runs (at most `recent`) that logged images under `key`: among the script's runs
 * when some did, else among the store's. Each is a range count, so a hover stays cheap.
 */
function imageInsight(
  db: Db,
  query: { readonly script?: string; readonly key: string; readonly recent?: number },
): ImageInsight {
  const recent = Math.max(1, Math.min(100, Math.floor(query.recent ?? 10)));
  const lookIn = (scope: 'script' | 'store'): ImageInsight => {
    const parts = scope === 'script' && query.script ? scriptScope(query.script) : [{ where: '1', params: [] }];
    const runs: ImageInsight['runs'][number][] = [];
    const candidates = recentRuns<{ id: string; name: string; status: RunStatus }>(
      db,
      parts,
      'r.id, r.name, r.status',
      HOVER_RUNS,
    );
    for (const run of candidates) {
      const frames = framesOf(db, run.id, query.key);
      if (frames.length === 0) continue;
      runs.push({
        runId: run.id,
        runName: run.name,
        status: run.status,
        startTime: run.start_time,
        images: frames.length,
        firstStep: frames[0].step,
        lastStep: frames[frames.length - 1].step,
      });
      if (runs.length >= recent) break;
    }
    return { key: query.key, scope, runs };
  };
  const mine = query.script ? lookIn('script') : undefined;
  return mine && mine.runs.length > 0 ? mine : lookIn('store');
}

export const mediaQueries = { imageKeys, imageSeries, imageInsight };
