import { el } from '../common/host';
import type { ImageCache } from './imageCache';

/**
 * One image box of the Media panel: it is told which file to show (as a list of URLs to try in
 * turn: MLflow's preview, then the image itself) and shows it once it is decoded, keeping the
 * previous image until then, so scrubbing never flashes an empty box. Off screen it shows nothing
 * and holds nothing (`visible`). Always an `<img>`: an SVG among the files runs no script.
 */
export class ImageSlot {
  readonly element: HTMLElement;
  private readonly img: HTMLImageElement;
  private readonly note: HTMLElement;
  private wanted: readonly string[] = [];
  private shownUrl: string | undefined;
  private visibleNow = false;
  private failedNow = false;
  /** What the box is for, as text (its image's `alt`, the message when it cannot be shown). */
  private what = '';

  constructor(
    private readonly cache: ImageCache,
    private readonly changed: () => void,
    className = 'image-box',
  ) {
    this.img = el('img');
    this.img.decoding = 'sync';
    this.img.draggable = false;
    this.img.hidden = true;
    this.img.addEventListener('load', () => this.fit());
    this.note = el('span', { className: 'image-note' });
    this.element = el('div', { className }, this.img, this.note);
  }

  /** Shows the first of `urls` that loads; `what` names it for the alt text and messages. */
  show(urls: readonly string[], what: string): void {
    if (urls.length === this.wanted.length && urls.every((u, i) => u === this.wanted[i])) return;
    for (const url of this.wanted) if (!urls.includes(url)) this.cache.drop(url);
    this.wanted = urls;
    this.what = what;
    this.failedNow = false;
    if (urls.length === 0) {
      this.clear('no image');
      return;
    }
    this.note.textContent = '';
    if (this.visibleNow) this.attempt(urls, 0);
  }

  /** Nothing to show, with a reason in the box. */
  clear(reason: string): void {
    this.wanted = [];
    this.put(undefined);
    this.note.textContent = reason;
  }

  set visible(on: boolean) {
    if (on === this.visibleNow) return;
    this.visibleNow = on;
    if (on && this.wanted.length > 0) this.attempt(this.wanted, 0);
    else if (!on) {
      for (const url of this.wanted) this.cache.drop(url);
      this.put(undefined);
    }
  }

  get visible(): boolean {
    return this.visibleNow;
  }

  /** The URL on screen now, decoded (undefined while loading, off screen, or failed). */
  get shown(): string | undefined {
    return this.shownUrl !== undefined && this.wanted.includes(this.shownUrl) ? this.shownUrl : undefined;
  }

  get failed(): boolean {
    return this.failedNow;
  }

  /** The wanted image is on screen, or known not to load: what play waits for. */
  get settled(): boolean {
    return !this.visibleNow || this.wanted.length === 0 || this.failedNow || this.shown !== undefined;
  }

  /** Natural size of what is shown (0 × 0 when nothing is). */
  get naturalSize(): { width: number; height: number } {
    return { width: this.img.naturalWidth, height: this.img.naturalHeight };
  }

  private attempt(urls: readonly string[], index: number): void {
    const url = urls[index];
    if (url === undefined) {
      this.failedNow = true;
      this.put(undefined);
      this.note.textContent = `could not load ${this.what}`;
      this.changed();
      return;
    }
    const status = this.cache.status(url);
    if (status === 'ready') {
      this.put(url);
      return;
    }
    if (status === 'failed') {
      this.attempt(urls, index + 1);
      return;
    }
    this.element.classList.add('loading');
    void this.cache.fetch(url, true).then((ok) => {
      if (this.wanted !== urls || !this.visibleNow) return;
      if (ok) this.put(url);
      else this.attempt(urls, index + 1);
    });
  }

  private put(url: string | undefined): void {
    if (url === this.shownUrl) {
      if (url !== undefined) this.finish();
      else this.element.classList.remove('loading');
      return;
    }
    if (this.shownUrl !== undefined) this.cache.release(this.shownUrl);
    this.shownUrl = url;
    if (url === undefined) {
      this.img.removeAttribute('src');
      this.img.hidden = true;
      this.element.classList.remove('loading');
      return;
    }
    this.cache.hold(url);
    this.img.alt = this.what;
    this.img.src = url;
    this.img.hidden = false;
    this.note.textContent = '';
    this.fit();
    this.finish();
  }

  private finish(): void {
    this.element.classList.remove('loading');
    this.changed();
  }

  /** Small images (28 × 28 digits) are enlarged with their pixels kept sharp. */
  private fit(): void {
    const box = this.element.clientWidth;
    this.img.classList.toggle('pixelated', this.img.naturalWidth > 0 && this.img.naturalWidth * 2 <= box);
  }
}
