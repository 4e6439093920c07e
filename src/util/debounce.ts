/**
 * One pending call per key (a document's URI): scheduling a key again replaces its pending call,
 * so a burst of edits to a document is handled once, after the last. For what the user types; a
 * run's changes want `throttled` (throttle.ts), which does not wait for them to stop.
 */
export class KeyedDebounce {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Calls `fire` after `delayMs`, unless `key` is scheduled again or cancelled first. */
  schedule(key: string, delayMs: number, fire: () => void): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        fire();
      }, delayMs),
    );
  }

  /** Drops the key's pending call, if any. */
  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** Drops every pending call. */
  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
