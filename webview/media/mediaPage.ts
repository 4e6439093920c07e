import type {
  CompareMode,
  ImageSize,
  MediaHostMessage,
  MediaReport,
  MediaState,
  MediaView,
  MediaViewMessage,
  MediaViewReplies,
} from '../../shared/mediaProtocol';
import { COMPARE_MODES, IMAGE_SIZES, isMediaSeriesList } from '../../shared/mediaProtocol';
import type { Requester } from '../../shared/messaging';
import { el } from '../common/host';
import type { CacheLimits } from './imageCache';
import { ImageCache, MEDIA_CACHE } from './imageCache';
import type { ImageSlot } from './imageSlot';
import type { SectionHost } from './keySection';
import { KeySection, comparedPair } from './keySection';
import { Lightbox } from './lightbox';

export interface PageHost {
  readonly request: Requester<MediaViewMessage, MediaViewReplies>;
  send(message: MediaViewMessage): void;
  /** What a reload restores (the webview state). */
  save(state: { runIds: readonly string[]; view: MediaView }): void;
}

const MODE_LABELS: Record<CompareMode, string> = {
  grid: 'All runs',
  side: 'Side by side',
  swipe: 'Swipe',
  blend: 'Blend',
};
const SIZE_LABELS: Record<ImageSize, string> = { small: 'Small', medium: 'Medium', large: 'Large (full images)' };
/** Reports to the host at most this often while images keep changing (and after the last change). */
const REPORT_MS = 100;
/** How far outside the screen sections fetch and boxes load. */
const SECTION_MARGIN = '600px';
const BOX_MARGIN = '300px';

/**
 * The Media panel's page: a toolbar (all runs or two compared, image size), the runs' legend, and
 * a section per image key (keySection.ts). Sections fetch their series when they come near the
 * screen; image boxes load only near the screen; the decoded images the page keeps are bounded by
 * the cache (imageCache.ts). It reports what it shows after each change (`rendered`).
 */
export class MediaPage {
  readonly cache: ImageCache;
  private state: MediaState = { runs: [], keys: [] };
  private view: MediaView;
  private readonly sections = new Map<string, KeySection>();
  private readonly list: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly errorLine: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly modeSelect: HTMLSelectElement;
  private readonly pickA: HTMLSelectElement;
  private readonly pickB: HTMLSelectElement;
  private readonly sizeSelect: HTMLSelectElement;
  private readonly lightbox: Lightbox;
  private readonly slots = new Map<Element, ImageSlot>();
  private readonly sectionObserver: IntersectionObserver;
  private readonly slotObserver: IntersectionObserver;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReport = 0;

  constructor(
    root: HTMLElement,
    private readonly host: PageHost,
    view: MediaView,
    limits: CacheLimits = MEDIA_CACHE,
  ) {
    this.cache = new ImageCache(limits);
    this.sectionHost = this.hostOfSections();
    this.view = view;
    const select = <T extends string>(options: readonly T[], labels: Record<T, string>, title: string) => {
      const s = el('select', { className: 'picker', title });
      for (const value of options) {
        const option = el('option', { text: labels[value] });
        option.value = value;
        s.append(option);
      }
      return s;
    };
    this.modeSelect = select(COMPARE_MODES, MODE_LABELS, 'Show every run, or compare two');
    this.sizeSelect = select(IMAGE_SIZES, SIZE_LABELS, 'Image size');
    this.pickA = el('select', { className: 'picker run-pick', title: 'First run' });
    this.pickB = el('select', { className: 'picker run-pick', title: 'Second run' });
    this.modeSelect.addEventListener('change', () => this.setView({ mode: this.modeSelect.value as CompareMode }));
    this.sizeSelect.addEventListener('change', () => this.setView({ size: this.sizeSelect.value as ImageSize }));
    const pickPair = (): void => this.setView({ pair: [this.pickA.value, this.pickB.value] });
    this.pickA.addEventListener('change', pickPair);
    this.pickB.addEventListener('change', pickPair);
    this.summary = el('span', { className: 'summary' });
    this.errorLine = el('div', { className: 'error' });
    this.errorLine.hidden = true;
    this.legend = el('div', { className: 'legend', title: 'Click a run to show it in the Runs view' });
    this.list = el('div', { className: 'sections' });
    root.append(
      el(
        'div',
        { className: 'toolbar' },
        el('label', { className: 'field', text: 'Show ' }, this.modeSelect),
        el('span', { className: 'pair' }, this.pickA, el('span', { text: 'vs' }), this.pickB),
        el('label', { className: 'field', text: 'Size ' }, this.sizeSelect),
        this.summary,
      ),
      this.errorLine,
      this.legend,
      this.list,
    );
    this.lightbox = new Lightbox(
      this.cache,
      (runId) => this.state.runs.find((r) => r.id === runId)?.name ?? runId,
      () => this.changed(),
    );
    this.sectionObserver = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const key = (entry.target as HTMLElement).dataset['key'];
          if (entry.isIntersecting && key !== undefined) this.sections.get(key)?.wake();
        }
      },
      { rootMargin: SECTION_MARGIN },
    );
    this.slotObserver = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const slot = this.slots.get(entry.target);
          if (slot) slot.visible = entry.isIntersecting;
        }
      },
      { rootMargin: BOX_MARGIN },
    );
    this.syncToolbar();
  }

  /** A message from the host. */
  receive(message: MediaHostMessage): void {
    switch (message.type) {
      case 'state':
        return this.applyState(message.state);
      case 'runsChanged':
        for (const section of this.sections.values()) section.refresh(message.runIds);
        return;
      case 'reveal':
        this.sections.get(message.key)?.element.scrollIntoView({ block: 'start' });
        this.sections.get(message.key)?.element.focus({ preventScroll: true });
        return;
      case 'setView':
        return this.setView(message.view);
    }
  }

  section(key: string): KeySection | undefined {
    return this.sections.get(key);
  }

  showError(message: string): void {
    this.errorLine.textContent = message;
    this.errorLine.hidden = false;
  }

  private readonly sectionHost: SectionHost;

  /** What every section gets from the page. */
  private hostOfSections(): SectionHost {
    return {
      cache: this.cache,
      runs: () => this.state.runs,
      view: () => this.view,
      stepChanged: (key, step) => {
        const steps = { ...this.view.steps };
        if (step === undefined) delete steps[key];
        else steps[key] = step;
        this.view = { ...this.view, steps };
        this.save();
      },
      series: async (key, runIds) => {
        const reply = await this.host.request({ type: 'series', key, ...(runIds ? { runIds } : {}) });
        if (!isMediaSeriesList(reply)) throw new Error('the extension sent malformed series');
        return reply;
      },
      changed: () => this.changed(),
      observe: (slot) => {
        this.slots.set(slot.element, slot);
        this.slotObserver.observe(slot.element);
      },
      unobserve: (slot) => {
        this.slots.delete(slot.element);
        this.slotObserver.unobserve(slot.element);
        slot.visible = false;
      },
      enlarge: (section, runId) => this.lightbox.show(section, runId),
      revealRun: (runId) => this.host.send({ type: 'revealRun', runId }),
      error: (message) => this.showError(message),
    };
  }

  private applyState(next: MediaState): void {
    const runsBefore = this.state.runs.map((r) => `${r.id}\u0000${r.base}`).join('\u0001');
    this.state = next;
    this.errorLine.hidden = true;
    this.save();
    this.renderLegend();
    this.syncToolbar();
    const runsChanged = runsBefore !== next.runs.map((r) => `${r.id}\u0000${r.base}`).join('\u0001');
    const keys = new Set(next.keys.map((k) => k.key));
    for (const [key, section] of this.sections) {
      if (keys.has(key)) continue;
      this.sectionObserver.unobserve(section.element);
      section.dispose();
      this.sections.delete(key);
    }
    for (const { key } of next.keys) {
      let section = this.sections.get(key);
      if (!section) {
        section = new KeySection(key, this.sectionHost);
        this.sections.set(key, section);
        this.sectionObserver.observe(section.element);
      } else if (runsChanged) {
        section.layout();
        section.reload();
      }
      this.list.append(section.element);
    }
    this.list.querySelector('.empty')?.remove();
    if (next.keys.length === 0) {
      this.list.append(
        el('p', {
          className: 'empty',
          text:
            next.runs.length === 0
              ? 'No runs to show.'
              : 'These runs logged no images over steps yet (runlog.log_image(image, key=…, step=…), or mlflow.log_image with a key).',
        }),
      );
    }
    const images = next.keys.reduce((n, k) => n + k.images, 0);
    this.summary.textContent = `${count(next.runs.length, 'run')} · ${count(next.keys.length, 'key')} · ${count(images, 'image')}`;
    this.changed();
  }

  private setView(change: Partial<MediaView>): void {
    const before = this.view;
    this.view = { ...this.view, ...change };
    this.save();
    this.syncToolbar();
    const relayout =
      before.mode !== this.view.mode ||
      before.size !== this.view.size ||
      before.pair?.join() !== this.view.pair?.join();
    if (relayout) for (const section of this.sections.values()) section.layout();
    for (const [key, step] of Object.entries(change.steps ?? {})) this.sections.get(key)?.goTo(step);
  }

  private syncToolbar(): void {
    this.modeSelect.value = this.view.mode;
    this.sizeSelect.value = this.view.size;
    const runs = this.state.runs;
    const pair = comparedPair(runs, this.view.pair);
    for (const [pick, chosen] of [
      [this.pickA, pair?.[0]],
      [this.pickB, pair?.[1]],
    ] as const) {
      pick.replaceChildren(
        ...runs.map((run) => {
          const option = el('option', { text: run.name });
          option.value = run.id;
          return option;
        }),
      );
      if (chosen) pick.value = chosen.id;
    }
    const comparing = this.view.mode !== 'grid';
    this.pickA.parentElement?.toggleAttribute('hidden', !comparing || runs.length < 2);
    this.sizeSelect.parentElement?.toggleAttribute('hidden', comparing);
  }

  private renderLegend(): void {
    this.legend.replaceChildren(
      ...this.state.runs.map((run) => {
        const swatch = el('span', { className: 'swatch' });
        swatch.style.backgroundColor = run.color;
        const chip = el(
          'button',
          { className: `legend-item status-${run.status.toLowerCase()}`, title: `${run.name} (${run.status})` },
          swatch,
          el('span', { className: 'legend-name', text: run.name }),
          el('span', { className: 'legend-label', text: run.label }),
        );
        chip.type = 'button';
        chip.addEventListener('click', () => this.host.send({ type: 'revealRun', runId: run.id }));
        return chip;
      }),
    );
  }

  private save(): void {
    this.host.save({ runIds: this.state.runs.map((r) => r.id), view: this.view });
  }

  /** Something on screen changed: report it, at most every REPORT_MS and after the last change. */
  private changed(): void {
    if (this.reportTimer !== undefined) return;
    const wait = Math.max(0, this.lastReport + REPORT_MS - performance.now());
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.lastReport = performance.now();
      this.host.send({ type: 'rendered', report: this.report() });
    }, wait);
  }

  report(): MediaReport {
    // As the page resolves them (`img.src`): VS Code's resource URLs are normalized on the way.
    const bases = this.state.runs.map((r) => resolved(r.base));
    const images = [...document.querySelectorAll('img')];
    const text = this.legend.querySelectorAll('.legend-name, .legend-label');
    const names = document.querySelectorAll('.run-name, .key-name, .lightbox-title, .caption, .image-note');
    const foreign = [...text, ...names].reduce((n, node) => n + node.querySelectorAll('*').length, 0);
    const pair = this.view.mode === 'grid' ? undefined : comparedPair(this.state.runs, this.view.pair);
    const note = this.list.querySelector('.empty');
    return {
      mode: this.view.mode,
      pair: pair ? [pair[0].id, pair[1].id] : null,
      keys: this.sections.size,
      sections: [...this.sections.values()].filter((s) => s.step !== undefined).map((s) => s.report()),
      legend: [...this.legend.querySelectorAll('.legend-name')].map((n) => n.textContent ?? ''),
      foreignElements: foreign,
      images: images.length,
      strayImages: images.filter((img) => img.getAttribute('src') && !bases.some((b) => img.src.startsWith(b))).length,
      cached: this.cache.cached,
      note: note && note.getClientRects().length > 0 ? note.textContent : null,
    };
  }
}

function resolved(url: string): string {
  try {
    return new URL(url, document.baseURI).href;
  } catch {
    return url;
  }
}

function count(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
