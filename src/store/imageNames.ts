/**
 * MLflow's names for a run's images over steps, which `mlflow.log_image(image, key=…, step=…)` and
 * the Python client's `runlog.log_image` both write:
 *
 *     images/<key>%step%<n>%timestamp%<ms>%<uuid>.png               the image (.jpg: JPEG bytes)
 *     images/<key>%step%<n>%timestamp%<ms>%<uuid>%compressed.webp   MLflow's preview, when Pillow was there
 *
 * with `/` in the key written as `#`. MLflow's UI also splits on `+`, which a later MLflow may write
 * instead of `%`, so both separate fields here. Plain functions of the paths: the store's media
 * queries read them from the run's `artifact` rows, never from its folder. The names come from
 * journals anyone can write: anything that does not parse is not an image of a series.
 */

/** Where a run's image series live, under its artifacts. */
export const IMAGES_FOLDER = 'images/';

const EXTENSION = /\.(png|jpe?g|webp)$/i;
const SEPARATOR = /[%+]/;
const INTEGER = /^-?\d{1,16}$/;
const TIMESTAMP = /^\d{1,16}$/;

export interface ImageName {
  /** The key as logged: `#` read back as `/`. */
  readonly key: string;
  readonly step: number;
  /** Wall time in milliseconds, as the client wrote it. */
  readonly timestamp: number;
  /** The name without its extension and without `%compressed`: an image and its preview share it. */
  readonly stem: string;
  /** MLflow's preview (`%compressed.webp`) rather than the image. */
  readonly compressed: boolean;
}

/** The key, step and time in an image's artifact path; undefined for anything else. */
export function parseImageName(path: string): ImageName | undefined {
  if (!path.startsWith(IMAGES_FOLDER)) return undefined;
  const name = path.slice(IMAGES_FOLDER.length);
  if (name.includes('/') || name.includes('\\')) return undefined;
  const extension = EXTENSION.exec(name);
  if (!extension) return undefined;
  const base = name.slice(0, extension.index);
  const parts = base.split(SEPARATOR);
  if (parts.length !== 6 && parts.length !== 7) return undefined;
  const [key, stepWord, step, timeWord, timestamp, uuid, last] = parts;
  if (key === '' || stepWord !== 'step' || timeWord !== 'timestamp' || uuid === '') return undefined;
  if (!INTEGER.test(step) || !TIMESTAMP.test(timestamp)) return undefined;
  if (last !== undefined && last !== 'compressed') return undefined;
  const stepNumber = Number(step);
  const time = Number(timestamp);
  if (!Number.isSafeInteger(stepNumber) || !Number.isSafeInteger(time)) return undefined;
  const compressed = last !== undefined;
  return {
    key: key.replace(/#/g, '/'),
    step: stepNumber,
    timestamp: time,
    stem: compressed ? base.slice(0, base.length - 'compressed'.length - 1) : base,
    compressed,
  };
}

/** How a key is written in a file name: `/` as `#`. */
export function keyInFileName(key: string): string {
  return key.replace(/\//g, '#');
}

/** One step of a key's series in one run. */
export interface ImageFrame {
  readonly step: number;
  readonly timestamp: number;
  /** The image's artifact path (its preview's when only the preview was kept). */
  readonly file: string;
  /** The preview's artifact path, null when there is none (no Pillow when it was logged). */
  readonly preview: string | null;
}

/**
 * A run's image series by key, each sorted by step. A step logged twice keeps the later image (by
 * its timestamp, then its name), as a file written again does.
 */
export function imageSeriesOf(paths: Iterable<string>): Map<string, ImageFrame[]> {
  const byStem = new Map<string, { name: ImageName; file?: string; preview?: string }>();
  for (const path of paths) {
    const name = parseImageName(path);
    if (!name) continue;
    const id = `${name.key}\u0000${name.stem}`;
    const entry = byStem.get(id) ?? { name };
    if (name.compressed) entry.preview = path;
    else if (!entry.file || path < entry.file) entry.file = path; // .jpg and .png of one stem: one of them, always the same
    byStem.set(id, entry);
  }
  const series = new Map<string, Map<number, ImageFrame>>();
  for (const { name, file, preview } of byStem.values()) {
    const frame: ImageFrame = {
      step: name.step,
      timestamp: name.timestamp,
      file: file ?? preview ?? '',
      preview: preview ?? null,
    };
    let steps = series.get(name.key);
    if (!steps) series.set(name.key, (steps = new Map<number, ImageFrame>()));
    const held = steps.get(name.step);
    if (!held || held.timestamp < frame.timestamp || (held.timestamp === frame.timestamp && held.file < frame.file)) {
      steps.set(name.step, frame);
    }
  }
  return new Map(
    [...series].map(([key, steps]) => [key, [...steps.values()].sort((a, b) => a.step - b.step)] as const),
  );
}
