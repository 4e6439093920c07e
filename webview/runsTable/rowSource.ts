// The table's rows as the webview holds them: pages sized to the viewport, asked from the host
// (which asks the store) as the scroll reaches them. After a change in the stores the pages on
// screen stay drawn until their new contents arrive, so a live update never blanks the table.
import type { TableEntry, TablePage } from '../../shared/runsTable';

export type PageRequest = (offset: number, limit: number) => Promise<(TablePage & { readonly version: number }) | null>;

export class RowSource {
  private pages = new Map<number, readonly TableEntry[]>();
  /** Pages drawn from before the last change, shown until their new contents arrive. */
  private stale = new Map<number, readonly TableEntry[]>();
  private readonly asked = new Set<number>();
  private version = -1;
  private known = false;
  /** The next page to arrive answers a new question. */
  private fresh = true;
  total = 0;
  runs = 0;

  constructor(
    private readonly request: PageRequest,
    /** Called when pages arrive (the grid draws again). */
    private readonly loaded: () => void,
    private readonly failed: (message: string) => void,
    /** Rows per page: a screenful (set from the viewport). */
    public pageSize = 50,
  ) {}

  /** Whether the first page of the current version has arrived (the total is known). */
  get ready(): boolean {
    return this.known;
  }

  /**
   * A new version of the rows: a new question (filter, sort, columns), or, with `sameQuestion`, the
   * stores changed. What is held stays on screen until replaced: a new question's first page
   * replaces all of it (the old rows answer another question), a change replaces page by page.
   */
  reset(version: number, sameQuestion: boolean): void {
    this.version = version;
    this.stale = new Map([...this.stale, ...this.pages]);
    this.pages = new Map();
    this.asked.clear();
    if (!sameQuestion) this.known = false;
    this.fresh = !sameQuestion;
  }

  /** A new page size (the viewport grew): pages are cut differently, so ask again. */
  resize(pageSize: number): void {
    if (pageSize === this.pageSize) return;
    this.pageSize = pageSize;
    this.pages = new Map();
    this.stale = new Map();
    this.asked.clear();
  }

  entry(index: number): TableEntry | undefined {
    const page = Math.floor(index / this.pageSize);
    const at = index - page * this.pageSize;
    return (this.pages.get(page) ?? this.stale.get(page))?.[at];
  }

  /** Whether the row shows what the store says now (not a stale page's row). */
  current(index: number): boolean {
    return this.pages.has(Math.floor(index / this.pageSize));
  }

  /** Asks for the pages of rows [first, end) not held yet, and one more page each side. */
  ensure(first: number, end: number): void {
    const lo = Math.max(0, Math.floor(first / this.pageSize) - 1);
    const last = this.known ? Math.max(0, Math.ceil(this.total / this.pageSize) - 1) : lo;
    const hi = Math.min(last, Math.floor(Math.max(first, end - 1) / this.pageSize) + 1);
    for (let page = lo; page <= Math.max(lo, hi); page++) {
      if (this.pages.has(page) || this.asked.has(page)) continue;
      this.asked.add(page);
      void this.fetch(page);
    }
  }

  /** The ids of the runs among the rows held in [from, to), or undefined when some are not held. */
  idsIn(from: number, to: number): string[] | undefined {
    const ids: string[] = [];
    for (let i = from; i < to; i++) {
      const e = this.entry(i);
      if (!e || !this.current(i)) return undefined;
      if (e.kind === 'run') ids.push(e.run.id);
    }
    return ids;
  }

  /** The row of a run among the rows held, or -1. */
  indexOf(runId: string): number {
    for (const [page, entries] of this.pages) {
      const at = entries.findIndex((e) => e.kind === 'run' && e.run.id === runId);
      if (at !== -1) return page * this.pageSize + at;
    }
    return -1;
  }

  private async fetch(page: number): Promise<void> {
    const version = this.version;
    try {
      const reply = await this.request(page * this.pageSize, this.pageSize);
      if (!reply || reply.version !== this.version || version !== this.version) return;
      if (this.fresh) {
        // The first answer of a new question: what was drawn before is another question's.
        this.stale = new Map();
        this.fresh = false;
      }
      this.known = true;
      this.total = reply.total;
      this.runs = reply.runs;
      this.pages.set(page, reply.entries);
      this.stale.delete(page);
      // Stale pages far from the screen are dropped: nothing should be drawn from them later.
      for (const kept of this.stale.keys()) if (Math.abs(kept - page) > 2) this.stale.delete(kept);
      this.loaded();
    } catch (error) {
      this.asked.delete(page);
      this.failed(error instanceof Error ? error.message : String(error));
    }
  }
}
