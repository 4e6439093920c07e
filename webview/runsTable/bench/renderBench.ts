// The browser half of `bench/runsTable.bench.ts`: the runs table's own page (main.ts) against a
// host that answers at once with 10,000 runs × 200 columns. First paint: from the state's arrival
// until the first screenful is drawn and laid out; the reference is the same screenful of rows
// with every one of the 200 columns as a plain <table> (no column virtualization). Scroll: each
// frame's work after a scroll step, the layout it forces included.
import { benchData, benchState, sendState } from './fakeHost';
import '../main';

function flushFrames(): number {
  const start = performance.now();
  const frames = benchState.frames.splice(0);
  for (const frame of frames) frame(performance.now());
  document.querySelector('.body')?.getBoundingClientRect();
  return performance.now() - start;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    flushFrames();
  }
}

/** From a new state until its first page is drawn (the report says how long) and laid out. */
async function firstPaint(): Promise<number> {
  const done = new Promise<number>((resolve) => {
    benchState.onRendered = (ms, rows) => {
      if (rows > 1 && !document.querySelector('.row.loading')) {
        const start = performance.now();
        document.querySelector('.body')?.getBoundingClientRect();
        resolve(ms + performance.now() - start);
      }
    };
  });
  const viewport = document.querySelector<HTMLElement>('.viewport');
  if (viewport) viewport.scrollTop = 0;
  benchState.layout = {
    ...benchState.layout,
    sorts: [{ column: 'run.start', descending: benchState.version % 2 === 0 }],
  };
  sendState();
  const ms = await done;
  benchState.onRendered = undefined;
  return ms;
}

function reference(): number {
  const start = performance.now();
  const table = document.createElement('table');
  const rows = Math.ceil(window.innerHeight / 24) + 16;
  const columns = [...benchData.PARAMS.map((k) => `params.${k}`), ...benchData.METRICS.map((k) => `metrics.${k}`)];
  const head = table.createTHead().insertRow();
  for (const c of columns) head.insertCell().textContent = c;
  const body = table.createTBody();
  for (let i = 0; i < rows; i++) {
    const run = benchData.run(i);
    const tr = body.insertRow();
    for (const c of columns) {
      const key = c.slice(c.indexOf('.') + 1);
      tr.insertCell().textContent = c.startsWith('params.')
        ? (run.params[key] ?? '')
        : String(run.metrics[key]?.last ?? '');
    }
  }
  document.body.append(table);
  table.getBoundingClientRect();
  const ms = performance.now() - start;
  table.remove();
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function bench(repeat: number): Promise<{
  paint: number;
  reference: number;
  scroll: number;
  across: number;
  scrollReference: number;
  domRows: number;
}> {
  await settle();
  const paints: number[] = [];
  const references: number[] = [];
  for (let i = 0; i < repeat; i++) {
    paints.push(await firstPaint());
    await settle();
    references.push(reference());
  }
  // Scrolling: 200 frames of 3 rows down, then 100 frames of 40 px across; the pages are fetched
  // as the table asks for them.
  const viewport = document.querySelector<HTMLElement>('.viewport') as HTMLElement;
  const scroll = async (frames: number, down: number, across: number): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < frames; i++) {
      viewport.scrollTop += down;
      viewport.scrollLeft += across;
      viewport.dispatchEvent(new Event('scroll'));
      times.push(flushFrames());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length * 0.95)] ?? Number.NaN;
  };
  const vertical = await scroll(200, 72, 0);
  const horizontal = await scroll(100, 0, 40);
  return {
    paint: median(paints),
    reference: median(references),
    scroll: vertical,
    across: horizontal,
    scrollReference: 1000 / 60,
    domRows: document.querySelectorAll('.row').length,
  };
}

(globalThis as unknown as { runlogTableBench: typeof bench }).runlogTableBench = bench;
