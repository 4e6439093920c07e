// Which runs are selected in the table, the way a file list does it: a click selects one run,
// Ctrl/Cmd-click toggles one, Shift-click selects the rows from the anchor to the clicked one (asking
// the host for the ids of rows not loaded yet). Selected runs are kept by id, so they stay selected
// when rows move (a live update, a new sort). No DOM.

export class Selection {
  private ids = new Set<string>();
  /** The row a Shift-click or Shift+arrow extends from. */
  anchor = -1;

  get size(): number {
    return this.ids.size;
  }

  has(runId: string): boolean {
    return this.ids.has(runId);
  }

  /** In the order they were selected. */
  list(): string[] {
    return [...this.ids];
  }

  /** Whether it now holds exactly these runs. */
  equals(runIds: readonly string[]): boolean {
    return runIds.length === this.ids.size && runIds.every((id) => this.ids.has(id));
  }

  set(runIds: readonly string[], anchor = this.anchor): void {
    this.ids = new Set(runIds);
    this.anchor = anchor;
  }

  /** A plain click: this run alone. */
  only(runId: string, index: number): void {
    this.set([runId], index);
  }

  /** Ctrl-click: this run in or out. */
  toggle(runId: string, index: number): void {
    if (this.ids.has(runId)) this.ids.delete(runId);
    else this.ids.add(runId);
    this.anchor = index;
  }

  /** Shift-click: the runs of the range, added to what was kept (Ctrl+Shift) or alone. */
  range(runIds: readonly string[], keep: boolean): void {
    const anchor = this.anchor;
    this.set(keep ? [...this.ids, ...runIds] : runIds, anchor);
  }

  clear(): void {
    this.ids = new Set();
  }
}
