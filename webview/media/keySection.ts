import { artifactUrl } from '../../shared/artifactUrl';
import type { MediaRun, MediaSeries, MediaView, SectionReport, ShownImage } from '../../shared/mediaProtocol';
import { nearestIndex, unionSteps } from '../../shared/mediaSteps';
import { el } from '../common/host';
import type { ImageCache } from './imageCache';
import { ImageSlot } from './imageSlot';

/** What a section needs from the page. */
export interface SectionHost {
  readonly cache: ImageCache;
  runs(): readonly MediaRun[];
  view(): MediaView;
  /** The slider moved: the page saves it (absent: following the latest step). */
  stepChanged(key: string, step: number | undefined): void;
  series(key: string, runIds?: readonly string[]): Promise<readonly MediaSeries[]>;
  /** Something on screen changed: the page reports soon. */
  changed(): void;
  /** Off-screen boxes hold nothing: the page's observer sets `visible`. */
  observe(slot: ImageSlot): void;
  unobserve(slot: ImageSlot): void;
  enlarge(section: KeySection, runId: string): void;
  revealRun(runId: string): void;
  error(message: string): void;
}

/** How fast play steps through the slider, at most (it also waits for each step's images). */
const PLAY_MS = 250;
/** Steps fetched ahead (and behind) of the slider for each row on screen. */
const PREFETCH = 4;

/** One run's image box with its name and the step it shows. */
interface Row {
  readonly runId: string;
  readonly element: HTMLElement;
  readonly slot: ImageSlot;
  readonly caption: HTMLElement;
}

/** A frame of one run: its step and file at the slider's step. */
interface Frame {
  readonly step: number;
  readonly file: string;
  readonly urls: readonly string[];
}

/**
 * One image key: a step slider over every step the shown runs logged (synced across them: each run
 * shows its image at the step nearest the slider's), play/pause, ←/→, and the runs' images as a
 * grid or, for two runs, side by side, as a swipe or as a blend. It fetches its series when it first
 * comes near the screen and again for runs that log more; while at the last step it follows new
 * steps as they arrive.
 */
export class KeySection {
  readonly element: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly stepLabel: HTMLElement;
  private readonly playButton: HTMLButtonElement;
  private readonly body: HTMLElement;
  private series = new Map<string, MediaSeries>();
  private steps: Float64Array = new Float64Array(0);
  private index = -1;
  /** At the last step: new steps move the slider along. */
  private following = true;
  private fetched: Promise<void> | undefined;
  private rows: Row[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stepListeners = new Set<() => void>();
  private disposed = false;

  constructor(
    readonly key: string,
    private readonly host: SectionHost,
  ) {
    this.slider = el('input', { className: 'step-slider', title: 'Step (←/→; Home/End; Space plays)' });
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.step = '1';
    this.slider.setAttribute('aria-label', `${key}: step`);
    this.slider.addEventListener('input', () => this.moveTo(Number(this.slider.value), true));
    this.stepLabel = el('span', { className: 'step-label' });
    const button = (text: string, title: string, act: () => void): HTMLButtonElement => {
      const b = el('button', { className: 'icon-button', text, title });
      b.type = 'button';
      b.addEventListener('click', act);
      return b;
    };
    this.playButton = button('▶', 'Play through the steps (Space)', () => this.togglePlay());
    this.body = el('div', { className: 'section-body' });
    this.element = el(
      'section',
      { className: 'key-section' },
      el(
        'div',
        { className: 'section-header' },
        el('h2', { className: 'key-name', text: key, title: key }),
        button('‹', 'Previous step (←)', () => this.moveBy(-1)),
        this.playButton,
        button('›', 'Next step (→)', () => this.moveBy(1)),
        this.slider,
        this.stepLabel,
      ),
      this.body,
    );
    this.element.tabIndex = 0;
    this.element.dataset['key'] = key;
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    this.layout();
  }

  /** The slider's step; undefined before the series came. */
  get step(): number | undefined {
    return this.index >= 0 ? this.steps[this.index] : undefined;
  }

  get playing(): boolean {
    return this.timer !== undefined;
  }

  /** Fetches the series the first time the section comes near the screen. */
  wake(): void {
    this.fetched ??= this.load();
  }

  /** The shown runs changed: fetch again (the page calls it with the new state). */
  reload(): void {
    if (!this.fetched) return;
    this.series.clear();
    this.fetched = this.load();
  }

  /** These runs logged more: fetch their series again, if this section has any. */
  refresh(runIds: readonly string[]): void {
    if (!this.fetched) return;
    const shown = new Set(this.host.runs().map((r) => r.id));
    const ids = runIds.filter((id) => shown.has(id));
    if (ids.length > 0) this.fetched = this.fetched.then(() => this.load(ids));
  }

  /** Moves the slider to the logged step nearest `step`, as the user would (at the last step it follows new ones). */
  goTo(step: number): void {
    const i = nearestIndex(this.steps, step);
    if (i >= 0) this.moveTo(i, true);
  }

  moveBy(delta: number): void {
    if (this.steps.length === 0) return;
    this.moveTo(Math.max(0, Math.min(this.steps.length - 1, this.index + delta)), true);
  }

  togglePlay(): void {
    if (this.timer !== undefined) return this.stop();
    if (this.steps.length < 2) return;
    if (this.index >= this.steps.length - 1) this.moveTo(0, true);
    const tick = (): void => {
      this.timer = setTimeout(() => {
        if (this.disposed) return;
        // Each step's images are shown before the next: a slow file holds play back, never skips.
        if (this.rows.every((r) => r.slot.settled)) {
          if (this.index >= this.steps.length - 1) return this.stop();
          this.moveTo(this.index + 1, true);
        }
        tick();
      }, PLAY_MS);
    };
    tick();
    this.playButton.textContent = '⏸';
    this.playButton.title = 'Pause (Space)';
    this.host.changed();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.playButton.textContent = '▶';
    this.playButton.title = 'Play through the steps (Space)';
    this.host.changed();
  }

  /** Called when the slider moves (the lightbox follows it). */
  onStep(listener: () => void): () => void {
    this.stepListeners.add(listener);
    return () => this.stepListeners.delete(listener);
  }

  /** A run's frame at the slider's step, with the URLs to try (the image first, then its preview). */
  frameOf(runId: string, full: boolean): Frame | undefined {
    const series = this.series.get(runId);
    const run = this.host.runs().find((r) => r.id === runId);
    const step = this.step;
    if (!series || !run || step === undefined) return undefined;
    const i = nearestIndex(series.steps, step);
    if (i < 0) return undefined;
    return { step: series.steps[i], file: series.files[i], urls: this.urlsOf(run, series, i, full) };
  }

  /** Re-creates the rows for the view's mode and runs. */
  layout(): void {
    for (const row of this.rows) this.host.unobserve(row.slot);
    this.rows = [];
    const view = this.host.view();
    const runs = this.host.runs();
    const pair = view.mode === 'grid' ? undefined : comparedPair(runs, view.pair);
    this.body.className = `section-body mode-${pair ? view.mode : 'grid'} size-${view.size}`;
    if (!pair) {
      this.rows = runs.map((run) => this.row(run, 'image-box'));
      this.body.replaceChildren(...this.rows.map((r) => r.element));
    } else if (view.mode === 'side') {
      this.rows = pair.map((run) => this.row(run, 'image-box large'));
      this.body.replaceChildren(...this.rows.map((r) => r.element));
    } else {
      this.body.replaceChildren(this.overlay(pair, view.mode === 'swipe' ? 'swipe' : 'blend'));
    }
    for (const row of this.rows) this.host.observe(row.slot);
    this.update();
  }

  report(): SectionReport {
    return {
      key: this.key,
      step: this.step ?? null,
      steps: this.steps.length,
      playing: this.playing,
      shown: this.rows.map((row): ShownImage => {
        const frame = this.frameOf(row.runId, false);
        return {
          runId: row.runId,
          step: frame?.step ?? null,
          file: frame?.file ?? null,
          loaded: row.slot.shown !== undefined,
          failed: row.slot.failed,
        };
      }),
    };
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const row of this.rows) {
      this.host.unobserve(row.slot);
      row.slot.visible = false;
    }
    this.element.remove();
  }

  private row(run: MediaRun, className: string, enlarges = true): Row {
    const slot = new ImageSlot(this.host.cache, () => this.host.changed(), className);
    if (enlarges) {
      slot.element.title = 'Click to enlarge';
      slot.element.addEventListener('click', () => this.host.enlarge(this, run.id));
    }
    const swatch = el('span', { className: 'swatch' });
    swatch.style.backgroundColor = run.color;
    const name = el('button', { className: 'run-name', text: run.name, title: `${run.name}: show in the Runs view` });
    name.type = 'button';
    name.addEventListener('click', () => this.host.revealRun(run.id));
    const caption = el('div', { className: 'caption' });
    const element = el(
      'figure',
      { className: 'run-image' },
      el('div', { className: 'run-title' }, swatch, name),
      slot.element,
      caption,
    );
    return { runId: run.id, element, slot, caption };
  }

  /** Two runs' images on top of each other: a divider to drag (swipe) or the second's opacity (blend). */
  private overlay(pair: readonly [MediaRun, MediaRun], mode: 'swipe' | 'blend'): HTMLElement {
    // The layered boxes move into the stack; the rows keep their titles and captions.
    const [a, b] = pair.map((run) => this.row(run, 'image-box large layer', false));
    this.rows = [a, b];
    const stack = el('div', { className: 'overlay-stack' }, a.slot.element, b.slot.element);
    const control = el('input', {
      className: 'overlay-control',
      title: mode === 'swipe' ? 'Where the second run begins' : "The second run's opacity",
    });
    control.type = 'range';
    control.min = '0';
    control.max = '100';
    control.value = '50';
    const divider = el('div', { className: 'divider' });
    divider.hidden = mode !== 'swipe';
    stack.append(divider);
    const apply = (): void => {
      const v = Number(control.value);
      if (mode === 'swipe') {
        b.slot.element.style.clipPath = `inset(0 0 0 ${v}%)`;
        divider.style.left = `${v}%`;
      } else b.slot.element.style.opacity = String(v / 100);
    };
    if (mode === 'swipe') {
      const drag = (event: PointerEvent): void => {
        const box = stack.getBoundingClientRect();
        control.value = String(Math.round(((event.clientX - box.left) / box.width) * 100));
        apply();
      };
      stack.addEventListener('pointerdown', (event) => {
        stack.setPointerCapture(event.pointerId);
        drag(event);
      });
      stack.addEventListener('pointermove', (event) => {
        if (stack.hasPointerCapture(event.pointerId)) drag(event);
      });
    }
    control.addEventListener('input', apply);
    apply();
    const legend = el(
      'div',
      { className: 'overlay-legend' },
      a.element,
      el('span', { className: 'overlay-mode', text: mode === 'swipe' ? 'swipe' : 'blend' }),
      b.element,
    );
    return el('div', { className: 'overlay' }, legend, stack, control);
  }

  private urlsOf(run: MediaRun, series: MediaSeries, i: number, full: boolean): string[] {
    const file = artifactUrl(run.base, series.files[i]);
    const previewPath = series.previews[i];
    const preview = previewPath === null ? undefined : artifactUrl(run.base, previewPath);
    const order = full ? [file, preview] : [preview, file];
    return order.filter((u, k): u is string => u !== undefined && order.indexOf(u) === k);
  }

  private async load(runIds?: readonly string[]): Promise<void> {
    let list: readonly MediaSeries[];
    try {
      list = await this.host.series(this.key, runIds);
    } catch (error) {
      this.host.error(`${this.key}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.disposed) return;
    const before = this.step;
    for (const s of list) this.series.set(s.runId, s);
    const shown = new Set(this.host.runs().map((r) => r.id));
    for (const id of this.series.keys()) if (!shown.has(id)) this.series.delete(id);
    this.steps = unionSteps([...this.series.values()].map((s) => s.steps));
    this.slider.max = String(Math.max(0, this.steps.length - 1));
    this.slider.disabled = this.steps.length === 0;
    const saved = this.host.view().steps[this.key];
    if (before === undefined && saved !== undefined) {
      this.following = false;
      this.index = nearestIndex(this.steps, saved);
    } else if (this.following || before === undefined) this.index = this.steps.length - 1;
    else this.index = nearestIndex(this.steps, before);
    this.update();
  }

  private moveTo(index: number, byUser: boolean): void {
    if (index < 0 || index >= this.steps.length) return;
    const direction = Math.sign(index - this.index) || 1;
    this.index = index;
    if (byUser) this.following = index === this.steps.length - 1;
    this.host.stepChanged(this.key, this.following ? undefined : this.steps[index]);
    this.update();
    this.prefetch(direction);
  }

  /** Shows each row's frame at the slider's step. */
  private update(): void {
    const step = this.step;
    this.slider.value = String(Math.max(0, this.index));
    this.stepLabel.textContent =
      step === undefined
        ? this.fetched
          ? 'no images'
          : ''
        : `step ${step.toLocaleString('en-US')}  (${this.index + 1} of ${this.steps.length})`;
    const full = this.host.view().mode !== 'grid' || this.host.view().size === 'large';
    for (const row of this.rows) {
      const frame = this.frameOf(row.runId, full);
      if (!frame) {
        row.slot.clear(this.fetched && step !== undefined ? 'no images of this key' : '');
        row.caption.textContent = '';
        continue;
      }
      row.slot.show(frame.urls, `${this.key} at step ${frame.step}`);
      row.caption.textContent =
        step !== undefined && frame.step !== step
          ? `step ${frame.step.toLocaleString('en-US')} (nearest to ${step.toLocaleString('en-US')})`
          : `step ${frame.step.toLocaleString('en-US')}`;
    }
    for (const listener of this.stepListeners) listener();
    this.host.changed();
  }

  /** Fetches the steps around the slider for the rows on screen, ahead first in the direction of travel. */
  private prefetch(direction: number): void {
    const full = this.host.view().mode !== 'grid' || this.host.view().size === 'large';
    const runs = this.host.runs();
    this.host.cache.dropPrefetches();
    for (let d = 1; d <= PREFETCH; d++) {
      for (const offset of this.playing ? [d] : [d * direction, -d * direction]) {
        const step = this.steps[this.index + offset];
        if (step === undefined) continue;
        for (const row of this.rows) {
          const series = this.series.get(row.runId);
          const run = runs.find((r) => r.id === row.runId);
          if (!row.slot.visible || !series || !run) continue;
          const [url] = this.urlsOf(run, series, nearestIndex(series.steps, step), full);
          if (url !== undefined) void this.host.cache.fetch(url, false);
        }
      }
    }
  }

  private onKey(event: KeyboardEvent): void {
    if (event.target instanceof HTMLInputElement && event.target !== this.slider) return;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => this.moveBy(-1),
      ArrowRight: () => this.moveBy(1),
      Home: () => this.moveTo(0, true),
      End: () => this.moveTo(this.steps.length - 1, true),
      ' ': () => this.togglePlay(),
    };
    const move = moves[event.key];
    // The slider moves itself on arrows (and fires `input`); elsewhere in the section, so do we.
    if (!move || (event.target === this.slider && event.key !== ' ')) return;
    event.preventDefault();
    move();
  }
}

/** The two runs compared: the chosen pair when both are shown, else the first two. */
export function comparedPair(
  runs: readonly MediaRun[],
  pair: readonly [string, string] | null,
): readonly [MediaRun, MediaRun] | undefined {
  const a = runs.find((r) => r.id === pair?.[0]);
  const b = runs.find((r) => r.id === pair?.[1]);
  if (a && b && a !== b) return [a, b];
  return runs.length >= 2 ? [runs[0], runs[1]] : undefined;
}
