/**
 * The Media panel's protocol. The host owns which runs are shown and pushes them with their image
 * keys; each key's section asks for its series (steps and file names per run) when it comes into
 * view, and again for the runs a change notice names. Images never travel in messages: the webview
 * loads them as webview resources from each run's artifacts (`base`, see artifactUrl.ts). Both sides
 * validate every message on receipt.
 */

export interface MediaRun {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  /** CSS color of the run, the same as in the Charts panel. */
  readonly color: string;
  /** The params whose values differ between the shown runs, e.g. `lr=0.1 depth=4`. */
  readonly label: string;
  /** The run's artifacts folder as a webview resource URL, ending in `/`. */
  readonly base: string;
}

/** A key some shown runs logged images under. */
export interface MediaKey {
  readonly key: string;
  readonly runs: number;
  readonly images: number;
}

export interface MediaState {
  readonly runs: readonly MediaRun[];
  readonly keys: readonly MediaKey[];
}

/** One run's series of a key (src/store/mediaQueries.ts). */
export interface MediaSeries {
  readonly runId: string;
  readonly steps: Float64Array;
  readonly times: Float64Array;
  readonly files: readonly string[];
  readonly previews: readonly (string | null)[];
}

export type CompareMode = 'grid' | 'side' | 'swipe' | 'blend';
export const COMPARE_MODES: readonly CompareMode[] = ['grid', 'side', 'swipe', 'blend'];

/** The grid's image boxes: 128, 256 (MLflow's previews are 256 px) or 512 CSS pixels. */
export type ImageSize = 'small' | 'medium' | 'large';
export const IMAGE_SIZES: readonly ImageSize[] = ['small', 'medium', 'large'];

/** What the user chose that a reload keeps: the webview saves it, the host can set it. */
export interface MediaView {
  /** The chosen step of each key (absent: the latest). */
  readonly steps: Readonly<Record<string, number>>;
  readonly mode: CompareMode;
  /** The two runs compared in the side-by-side, swipe and blend modes. */
  readonly pair: readonly [string, string] | null;
  readonly size: ImageSize;
}

export const DEFAULT_VIEW: MediaView = { steps: {}, mode: 'grid', pair: null, size: 'medium' };

/** What one run's row of a section shows. */
export interface ShownImage {
  readonly runId: string;
  /** The step shown (the run's nearest to the slider's); null when the run has no image of the key. */
  readonly step: number | null;
  readonly file: string | null;
  /** Decoded and on screen (false while loading, or when the file could not be loaded). */
  readonly loaded: boolean;
  /** The file could not be loaded (missing, not an image): the row says so. */
  readonly failed: boolean;
}

export interface SectionReport {
  readonly key: string;
  /** The slider's step; null before the section has its series. */
  readonly step: number | null;
  /** How many steps the slider has. */
  readonly steps: number;
  readonly playing: boolean;
  readonly shown: readonly ShownImage[];
}

export interface MediaReport {
  readonly mode: CompareMode;
  readonly pair: readonly [string, string] | null;
  /** Sections in the page; `sections` reports those that have their series. */
  readonly keys: number;
  readonly sections: readonly SectionReport[];
  /** Run names as the legend shows them (textContent). */
  readonly legend: readonly string[];
  /** Elements inside names, labels and keys (must stay 0: they are text). */
  readonly foreignElements: number;
  /** `<img>` elements in the page, and those whose source is not under a shown run's artifacts. */
  readonly images: number;
  readonly strayImages: number;
  /** Decoded images the page holds beyond those on screen (the cache; see imageCache.ts). */
  readonly cached: number;
  /** The note the page shows in place of sections (no runs, no images), as shown; null when none shows. */
  readonly note: string | null;
}

/** Host → webview. */
export type MediaHostMessage =
  | { readonly type: 'state'; readonly state: MediaState }
  /** These runs logged more: sections showing them fetch their series again. */
  | { readonly type: 'runsChanged'; readonly runIds: readonly string[] }
  /** Scroll to a key's section (a hover's link, a test). */
  | { readonly type: 'reveal'; readonly key: string }
  /** Changes the view as the user would: a key's step, the mode, the compared pair (tests drive it). */
  | { readonly type: 'setView'; readonly view: Partial<MediaView> };

/** Webview → host. */
export type MediaViewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'series'; readonly key: string; readonly runIds?: readonly string[] }
  | { readonly type: 'revealRun'; readonly runId: string }
  | { readonly type: 'rendered'; readonly report: MediaReport };

/** The host's replies to the webview's requests. */
export interface MediaViewReplies {
  readonly series: readonly MediaSeries[];
}

const MAX_TEXT = 10_000;
const MAX_LIST = 1_000_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isString(value: unknown, max = MAX_TEXT): value is string {
  return typeof value === 'string' && value.length <= max;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= MAX_LIST && value.every((v) => isString(v));
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNullable<T>(value: unknown, is: (v: unknown) => v is T): value is T | null {
  return value === null || is(value);
}

function isMediaRun(value: unknown): value is MediaRun {
  return (
    isObject(value) &&
    ['id', 'name', 'status', 'color', 'label'].every((k) => isString(value[k])) &&
    isString(value['base']) &&
    value['base'].endsWith('/')
  );
}

function isMediaKey(value: unknown): value is MediaKey {
  return isObject(value) && isString(value['key']) && isFiniteNumber(value['runs']) && isFiniteNumber(value['images']);
}

function isMediaState(value: unknown): value is MediaState {
  return (
    isObject(value) &&
    Array.isArray(value['runs']) &&
    value['runs'].every(isMediaRun) &&
    Array.isArray(value['keys']) &&
    value['keys'].every(isMediaKey)
  );
}

export function isCompareMode(value: unknown): value is CompareMode {
  return (COMPARE_MODES as readonly unknown[]).includes(value);
}

function isPair(value: unknown): value is readonly [string, string] {
  return Array.isArray(value) && value.length === 2 && isString(value[0]) && isString(value[1]);
}

function isSteps(value: unknown): value is Record<string, number> {
  return isObject(value) && !Array.isArray(value) && Object.values(value).every(isFiniteNumber);
}

/** A whole view (a saved state) or part of one (`setView`). */
export function isMediaView(value: unknown, partial = false): value is MediaView {
  if (!isObject(value)) return false;
  const has = (key: string): boolean => !partial || value[key] !== undefined;
  return (
    (!has('steps') || isSteps(value['steps'])) &&
    (!has('mode') || isCompareMode(value['mode'])) &&
    (!has('pair') || isNullable(value['pair'], isPair)) &&
    (!has('size') || (IMAGE_SIZES as readonly unknown[]).includes(value['size']))
  );
}

export function isMediaHostMessage(value: unknown): value is MediaHostMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'state':
      return isMediaState(value['state']);
    case 'runsChanged':
      return isStringList(value['runIds']);
    case 'reveal':
      return isString(value['key']);
    case 'setView':
      return isMediaView(value['view'], true);
    default:
      return false;
  }
}

function isShownImage(value: unknown): value is ShownImage {
  return (
    isObject(value) &&
    isString(value['runId']) &&
    isNullable(value['step'], isFiniteNumber) &&
    isNullable(value['file'], (v): v is string => isString(v)) &&
    typeof value['loaded'] === 'boolean' &&
    typeof value['failed'] === 'boolean'
  );
}

function isSectionReport(value: unknown): value is SectionReport {
  return (
    isObject(value) &&
    isString(value['key']) &&
    isNullable(value['step'], isFiniteNumber) &&
    isFiniteNumber(value['steps']) &&
    typeof value['playing'] === 'boolean' &&
    Array.isArray(value['shown']) &&
    value['shown'].every(isShownImage)
  );
}

function isMediaReport(value: unknown): value is MediaReport {
  return (
    isObject(value) &&
    isCompareMode(value['mode']) &&
    isNullable(value['pair'], isPair) &&
    isNullable(value['note'], isString) &&
    ['keys', 'foreignElements', 'images', 'strayImages', 'cached'].every((k) => isFiniteNumber(value[k])) &&
    Array.isArray(value['sections']) &&
    value['sections'].length <= MAX_LIST &&
    value['sections'].every(isSectionReport) &&
    isStringList(value['legend'])
  );
}

export function isMediaViewMessage(value: unknown): value is MediaViewMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'ready':
      return true;
    case 'series':
      return isString(value['key']) && (value['runIds'] === undefined || isStringList(value['runIds']));
    case 'revealRun':
      return isString(value['runId']);
    case 'rendered':
      return isMediaReport(value['report']);
    default:
      return false;
  }
}

/** Replies are validated too: a section checks its series before showing them. */
export function isMediaSeriesList(value: unknown): value is MediaSeries[] {
  return (
    Array.isArray(value) &&
    value.every((s: unknown) => {
      if (!isObject(s) || !isString(s['runId'])) return false;
      const { steps, times, files, previews } = s;
      if (!(steps instanceof Float64Array) || !(times instanceof Float64Array)) return false;
      const n = steps.length;
      return (
        times.length === n &&
        isStringList(files) &&
        files.length === n &&
        Array.isArray(previews) &&
        previews.length === n &&
        previews.every((p) => p === null || isString(p))
      );
    })
  );
}
