/**
 * Decoded images by URL, so the Media panel can swap a row to another step at once: an `<img>`
 * whose `src` is set to a URL the page already holds decoded completes synchronously (the HTML
 * "list of available images"), with no fetch and no decode.
 *
 * What the page holds is bounded: the images on screen (`hold`) plus at most `capacity` others, and
 * at most `pixels` pixels among those others (RGBA: 4 bytes each), least recently used out first.
 * `MEDIA_CACHE` is the panel's choice — 200 images, 24 million pixels (about 96 MB decoded): ±4
 * steps of 20 runs' previews around the slider with room to spare. A load a row waits for starts at
 * once; prefetches run at most `concurrency` at a time, after those; a queued load nobody wants any
 * more (the row moved on, the slider left the prefetched steps) is dropped before it starts.
 */
export interface CacheLimits {
  readonly capacity: number;
  readonly pixels: number;
  readonly concurrency: number;
}

export const MEDIA_CACHE: CacheLimits = { capacity: 200, pixels: 24_000_000, concurrency: 8 };

type State = 'queued' | 'loading' | 'ready' | 'failed';

interface Entry {
  readonly url: string;
  state: State;
  img: HTMLImageElement | undefined;
  pixels: number;
  /** On-screen rows showing it: never evicted while above 0. */
  holds: number;
  urgent: boolean;
  readonly waiters: ((ok: boolean) => void)[];
}

/** Failed URLs remembered (so a missing file is not fetched again at every step), at most. */
const MAX_FAILED = 2_000;

export class ImageCache {
  /** In least recently used order: a use moves an entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private readonly failed = new Set<string>();
  private loading = 0;
  private readonly queue: Entry[] = [];

  constructor(private readonly limits: CacheLimits = MEDIA_CACHE) {}

  /** 'ready' (decoded: show it now), 'failed', 'pending', or undefined when never asked for. */
  status(url: string): 'ready' | 'failed' | 'pending' | undefined {
    if (this.failed.has(url)) return 'failed';
    const entry = this.entries.get(url);
    if (!entry) return undefined;
    return entry.state === 'ready' ? 'ready' : entry.state === 'failed' ? 'failed' : 'pending';
  }

  /** Loads and decodes `url`; resolves true when it is ready, false when it cannot be shown. */
  fetch(url: string, urgent: boolean): Promise<boolean> {
    if (this.failed.has(url)) return Promise.resolve(false);
    let entry = this.entries.get(url);
    if (entry) {
      this.touch(entry);
      if (entry.state === 'ready') return Promise.resolve(true);
      if (urgent && !entry.urgent && entry.state === 'queued') {
        entry.urgent = true;
        this.queue.splice(this.queue.indexOf(entry), 1);
        this.queue.unshift(entry);
      }
    } else {
      entry = { url, state: 'queued', img: undefined, pixels: 0, holds: 0, urgent, waiters: [] };
      this.entries.set(url, entry);
      if (urgent) this.queue.unshift(entry);
      else this.queue.push(entry);
    }
    const waiting = entry;
    const done = new Promise<boolean>((resolve) => waiting.waiters.push(resolve));
    this.pump();
    return done;
  }

  /** A load nobody waits for any more: dropped if it has not started. */
  drop(url: string): void {
    const entry = this.entries.get(url);
    if (!entry || entry.state !== 'queued' || entry.holds > 0) return;
    this.queue.splice(this.queue.indexOf(entry), 1);
    this.entries.delete(url);
    for (const waiter of entry.waiters) waiter(false);
  }

  /** A row shows `url`: kept until released. */
  hold(url: string): void {
    const entry = this.entries.get(url);
    if (entry) {
      entry.holds += 1;
      this.touch(entry);
    }
  }

  release(url: string): void {
    const entry = this.entries.get(url);
    if (entry && entry.holds > 0) {
      entry.holds -= 1;
      this.evict();
    }
  }

  /** Decoded images held beyond those on screen. */
  get cached(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.state === 'ready' && entry.holds === 0) n++;
    return n;
  }

  /** Decoded images held in all (on screen or not). */
  get decoded(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.state === 'ready') n++;
    return n;
  }

  /** Pixels of every decoded image held (4 bytes each). */
  get decodedPixels(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.state === 'ready') n += entry.pixels;
    return n;
  }

  private touch(entry: Entry): void {
    this.entries.delete(entry.url);
    this.entries.set(entry.url, entry);
  }

  /** Queued prefetches dropped (the slider moved on); started loads go on and are cached. */
  dropPrefetches(): void {
    for (const entry of this.queue.filter((e) => !e.urgent && e.holds === 0)) this.drop(entry.url);
  }

  private pump(): void {
    // Urgent entries are at the front of the queue: each starts at once.
    while (this.queue.length > 0 && (this.queue[0].urgent || this.loading < this.limits.concurrency)) {
      const entry = this.queue.shift();
      if (entry) void this.load(entry);
    }
  }

  private async load(entry: Entry): Promise<void> {
    entry.state = 'loading';
    this.loading += 1;
    const img = new Image();
    img.decoding = 'async';
    img.src = entry.url;
    let ok = true;
    try {
      await img.decode();
    } catch {
      ok = false;
    }
    this.loading -= 1;
    if (this.entries.get(entry.url) !== entry) {
      // Evicted or dropped while loading: let it go.
      img.removeAttribute('src');
    } else if (ok && img.naturalWidth > 0) {
      entry.state = 'ready';
      entry.img = img;
      entry.pixels = img.naturalWidth * img.naturalHeight;
    } else {
      ok = false;
      entry.state = 'failed';
      this.entries.delete(entry.url);
      this.failed.add(entry.url);
      if (this.failed.size > MAX_FAILED) this.failed.delete(this.failed.values().next().value as string);
    }
    for (const waiter of entry.waiters.splice(0)) waiter(ok);
    this.evict();
    this.pump();
  }

  /** Drops the least recently used decoded images that no row shows, down to the limits. */
  private evict(): void {
    let count = 0;
    let pixels = 0;
    for (const entry of this.entries.values()) {
      if (entry.state === 'ready' && entry.holds === 0) {
        count += 1;
        pixels += entry.pixels;
      }
    }
    for (const entry of this.entries.values()) {
      if (count <= this.limits.capacity && pixels <= this.limits.pixels) break;
      if (entry.state !== 'ready' || entry.holds > 0) continue;
      this.entries.delete(entry.url);
      entry.img?.removeAttribute('src');
      entry.img = undefined;
      count -= 1;
      pixels -= entry.pixels;
    }
  }
}
