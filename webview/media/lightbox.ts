import { el } from '../common/host';
import type { ImageCache } from './imageCache';
import { ImageSlot } from './imageSlot';
import type { KeySection } from './keySection';

/**
 * A run's image enlarged over the whole panel, at full resolution: it follows its section's
 * slider (←/→ move it from here too); Escape or a click outside the image closes it.
 */
export class Lightbox {
  private readonly element: HTMLElement;
  private readonly slot: ImageSlot;
  private readonly title: HTMLElement;
  private unfollow: (() => void) | undefined;

  constructor(
    cache: ImageCache,
    private readonly runName: (runId: string) => string,
    changed: () => void,
  ) {
    this.slot = new ImageSlot(cache, changed, 'image-box enlarged');
    this.title = el('div', { className: 'lightbox-title' });
    const close = el('button', { className: 'icon-button lightbox-close', text: '✕', title: 'Close (Escape)' });
    close.type = 'button';
    close.addEventListener('click', () => this.close());
    this.element = el(
      'div',
      { className: 'lightbox' },
      el('div', { className: 'lightbox-bar' }, this.title, close),
      this.slot.element,
    );
    this.element.hidden = true;
    this.element.tabIndex = -1;
    this.element.setAttribute('role', 'dialog');
    this.element.addEventListener('click', (event) => {
      if (event.target === this.element) this.close();
    });
    document.body.append(this.element);
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  show(section: KeySection, runId: string): void {
    this.unfollow?.();
    const update = (): void => {
      const frame = section.frameOf(runId, true);
      this.title.textContent = frame
        ? `${this.runName(runId)} · ${section.key} · step ${frame.step.toLocaleString('en-US')}`
        : `${this.runName(runId)} · ${section.key}: no image`;
      if (frame) this.slot.show(frame.urls, `${section.key} at step ${frame.step}`);
      else this.slot.clear('no image');
    };
    this.unfollow = section.onStep(update);
    const keys = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') this.close();
      else if (event.key === 'ArrowLeft') section.moveBy(-1);
      else if (event.key === 'ArrowRight') section.moveBy(1);
      else return;
      event.preventDefault();
    };
    this.element.onkeydown = keys;
    this.element.hidden = false;
    this.slot.visible = true;
    update();
    this.element.focus();
  }

  close(): void {
    this.unfollow?.();
    this.unfollow = undefined;
    this.slot.visible = false;
    this.element.hidden = true;
  }
}
