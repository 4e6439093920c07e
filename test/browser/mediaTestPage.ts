// Browser half of media.test.ts: the Media panel's page (webview/media/mediaPage.ts) against a fake
// host that answers series requests from what the test gave it; images are files on disk.
import '../../webview/media/media.css';
import type {
  MediaHostMessage,
  MediaKey,
  MediaReport,
  MediaRun,
  MediaSeries,
  MediaView,
  MediaViewMessage,
  MediaViewReplies,
} from '../../shared/mediaProtocol';
import { DEFAULT_VIEW } from '../../shared/mediaProtocol';
import { requester } from '../../shared/messaging';
import type { CacheLimits } from '../../webview/media/imageCache';
import { MediaPage } from '../../webview/media/mediaPage';

/** A series as JSON can carry it (the page makes the typed arrays). */
export interface PlainSeries {
  readonly runId: string;
  readonly steps: number[];
  readonly files: string[];
  readonly previews: (string | null)[];
}

export interface PageSetup {
  readonly runs: MediaRun[];
  readonly keys: MediaKey[];
  readonly series: Record<string, PlainSeries[]>;
  readonly view?: Partial<MediaView>;
  readonly limits?: CacheLimits;
}

const requests: MediaViewMessage[] = [];
const sent: MediaViewMessage[] = [];
const reports: MediaReport[] = [];
let series: Record<string, PlainSeries[]> = {};
let page: MediaPage | undefined;

const typed = (s: PlainSeries): MediaSeries => ({
  runId: s.runId,
  steps: Float64Array.from(s.steps),
  times: Float64Array.from(s.steps, (step) => 1_700_000_000_000 + step),
  files: s.files,
  previews: s.previews,
});

(globalThis as Record<string, unknown>)['harness'] = {
  requests,
  sent,
  reports,
  start(setup: PageSetup): void {
    series = setup.series;
    const root = document.createElement('div');
    document.body.append(root);
    page = new MediaPage(
      root,
      {
        request: requester<MediaViewMessage, MediaViewReplies>({
          series: (message) => {
            requests.push(message);
            const wanted = message.runIds ? new Set(message.runIds) : undefined;
            return Promise.resolve(
              (series[message.key] ?? []).filter((s) => !wanted || wanted.has(s.runId)).map(typed),
            );
          },
        }),
        send: (message) => {
          sent.push(message);
          if (message.type === 'rendered') reports.push(message.report);
        },
        save: () => undefined,
      },
      { ...DEFAULT_VIEW, ...setup.view },
      setup.limits,
    );
    page.receive({ type: 'state', state: { runs: setup.runs, keys: setup.keys } });
  },
  /** Replaces a key's series (the run logged more) before the host's notice. */
  setSeries(key: string, list: PlainSeries[]): void {
    series[key] = list;
  },
  receive(message: MediaHostMessage): void {
    page?.receive(message);
  },
  report(): MediaReport | undefined {
    return page?.report();
  },
  cache(): { cached: number; decoded: number } {
    return { cached: page?.cache.cached ?? 0, decoded: page?.cache.decoded ?? 0 };
  },
  step(key: string): number | undefined {
    return page?.section(key)?.step;
  },
  /** Whether the page ran a script an SVG or a name smuggled in. */
  injected(): unknown {
    return (globalThis as Record<string, unknown>)['injected'];
  },
};
