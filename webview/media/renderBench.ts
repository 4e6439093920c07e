// The browser half of `bench/media.bench.ts`: the Media panel's own page (mediaPage.ts, its
// sections, image boxes and cache) over runs whose images are files on disk, against a host that
// answers series requests at once. A step counts as shown when every image box on screen holds the
// new step's image, decoded. The reference is the floor any page pays for the same images: bare
// `<img>` elements given the same files, until each is decoded.
import './media.css';
import type { MediaRun, MediaSeries, MediaViewMessage, MediaViewReplies } from '../../shared/mediaProtocol';
import { DEFAULT_VIEW } from '../../shared/mediaProtocol';
import { requester } from '../../shared/messaging';
import { MEDIA_CACHE } from './imageCache';
import { MediaPage } from './mediaPage';

const KEY = 'samples';

interface BenchSetup {
  /** Each run's artifacts folder as a URL, ending in `/`. */
  readonly bases: string[];
  /** The image files of every run (the same names in each). */
  readonly files: string[];
}

let page: MediaPage | undefined;
let setup: BenchSetup | undefined;

const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/** Until every box on screen shows `step`'s image decoded; resolves with the milliseconds since `start`. */
async function shownAt(step: number, start: number): Promise<number> {
  for (;;) {
    const report = page?.section(KEY)?.report();
    const visible = report?.shown ?? [];
    if (report?.step === step && visible.length > 0 && visible.every((s) => s.loaded && s.step === step)) {
      // The frame that paints them.
      await nextFrame();
      return performance.now() - start;
    }
    if (visible.some((s) => s.failed)) throw new Error(`an image of step ${step} failed to load`);
    await nextFrame();
  }
}

const bench = {
  /** Opens the panel on the runs and waits for the latest step. */
  async open(given: BenchSetup): Promise<number> {
    setup = given;
    const steps = Float64Array.from(given.files, (_, i) => i);
    const times = Float64Array.from(given.files, (_, i) => 1_700_000_000_000 + i);
    const runs: MediaRun[] = given.bases.map((base, r) => ({
      id: `r${r}`,
      name: `run-${r}`,
      status: 'FINISHED',
      color: `hsl(${(r * 37) % 360} 60% 50%)`,
      label: '',
      base,
    }));
    const root = document.createElement('div');
    document.body.append(root);
    const start = performance.now();
    page = new MediaPage(
      root,
      {
        request: requester<MediaViewMessage, MediaViewReplies>({
          series: () =>
            Promise.resolve(
              runs.map((run): MediaSeries => ({
                runId: run.id,
                steps,
                times,
                files: given.files,
                previews: given.files.map(() => null),
              })),
            ),
        }),
        send: () => undefined,
        save: () => undefined,
      },
      { ...DEFAULT_VIEW, size: 'small' },
    );
    page.receive({ type: 'state', state: { runs, keys: [{ key: KEY, runs: runs.length, images: 0 }] } });
    return shownAt(given.files.length - 1, start);
  },

  /** Moves the slider to `step` as a drag or a click on it does; milliseconds until it is shown. */
  async moveTo(step: number): Promise<number> {
    const slider = document.querySelector<HTMLInputElement>('.step-slider');
    if (!slider) throw new Error('no slider');
    const start = performance.now();
    slider.value = String(step);
    slider.dispatchEvent(new Event('input'));
    return shownAt(step, start);
  },

  /** → on the section: the next step; milliseconds until it is shown. */
  async next(): Promise<number> {
    const section = page?.section(KEY);
    if (!section) throw new Error('no section');
    const step = (section.step ?? 0) + 1;
    const start = performance.now();
    section.element.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    return shownAt(step, start);
  },

  /** The boxes on screen, and the images the page keeps decoded (all, and beyond those on screen). */
  held(): {
    onScreen: number;
    decoded: number;
    cached: number;
    decodedBytes: number;
    capacity: number;
    pixels: number;
  } {
    return {
      onScreen:
        page
          ?.section(KEY)
          ?.report()
          .shown.filter((s) => s.loaded).length ?? 0,
      decoded: page?.cache.decoded ?? 0,
      cached: page?.cache.cached ?? 0,
      // RGBA: what a decoded image costs, whatever its file's size.
      decodedBytes: (page?.cache.decodedPixels ?? 0) * 4,
      capacity: MEDIA_CACHE.capacity,
      pixels: MEDIA_CACHE.pixels,
    };
  },

  /** The reference: bare `<img>` elements, one per run, given `step`'s files; until all are decoded. */
  async bare(step: number, count: number): Promise<number> {
    if (!setup) throw new Error('not open');
    const holder = document.createElement('div');
    holder.style.cssText = 'position:fixed;left:0;top:0;opacity:0.01;pointer-events:none';
    document.body.append(holder);
    const start = performance.now();
    const images = setup.bases.slice(0, count).map((base) => {
      const img = document.createElement('img');
      img.width = 128;
      img.height = 128;
      img.src = base + setup!.files[step].split('/').map(encodeURIComponent).join('/');
      holder.append(img);
      return img.decode();
    });
    await Promise.all(images);
    await nextFrame();
    const ms = performance.now() - start;
    holder.remove();
    return ms;
  },
};

(globalThis as Record<string, unknown>)['mediaBench'] = bench;
