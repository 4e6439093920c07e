/**
 * Calls `fire` at most once per `ms` while calls keep coming, and once more after the last one: a
 * training run changes the store several times a second, and the editor should follow it live
 * without asking the store each time. The first call after a quiet spell fires at once.
 */
export function throttled(fire: () => void, ms: number): { (): void; dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let last = Number.NEGATIVE_INFINITY;
  const call = (): void => {
    if (timer) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        last = Date.now();
        fire();
      },
      Math.max(0, last + ms - Date.now()),
    );
  };
  return Object.assign(call, {
    dispose: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  });
}
