/**
 * A `runs/log-batch` request filled within MLflow's limits (service.proto): at most 1000 metrics,
 * 100 params and 100 tags, 1000 entities in all, and 1 MB of JSON. Entries are kept as JSON text,
 * so a point's digits go out exactly as the journal has them.
 */
import type { Uncertain } from './mlflowHttp';
import type { WireMetric } from './journalLines';
import { metricId, pointId, wireValue } from './journalLines';
import type { MlflowClient } from './mlflowClient';
import { LIMITS } from './mlflowClient';

export type Entry =
  { readonly kind: 'metric'; readonly metric: WireMetric } | { readonly kind: 'param' | 'tag'; readonly json: string };

export class LogBatch {
  metrics: WireMetric[] = [];
  params: string[] = [];
  tags: string[] = [];
  private bytes = 0;

  constructor(private readonly runId: string) {}

  get size(): number {
    return this.metrics.length + this.params.length + this.tags.length;
  }

  /** Whether `entry` fits; a batch that is empty takes anything (a single entry is under 1 MB). */
  fits(entry: Entry): boolean {
    if (this.size === 0) return true;
    if (this.size + 1 > LIMITS.batchTotal) return false;
    if (entry.kind === 'metric' && this.metrics.length + 1 > LIMITS.batchMetrics) return false;
    if (entry.kind === 'param' && this.params.length + 1 > LIMITS.batchParams) return false;
    if (entry.kind === 'tag' && this.tags.length + 1 > LIMITS.batchTags) return false;
    const text = entry.kind === 'metric' ? entry.metric.json : entry.json;
    return this.bytes + Buffer.byteLength(text) + 1 + 100 + this.runId.length <= LIMITS.batchBytes;
  }

  add(entry: Entry): void {
    const text = entry.kind === 'metric' ? entry.metric.json : entry.json;
    this.bytes += Buffer.byteLength(text) + 1;
    if (entry.kind === 'metric') this.metrics.push(entry.metric);
    else if (entry.kind === 'param') this.params.push(entry.json);
    else this.tags.push(entry.json);
  }

  /** The request body; `keep` leaves out metrics (those the server turned out to have already). */
  body(keep?: (metric: WireMetric) => boolean): string {
    const metrics = keep ? this.metrics.filter(keep) : this.metrics;
    return `{"run_id":${JSON.stringify(this.runId)},"metrics":[${metrics.map((m) => m.json).join(',')}],"params":[${this.params.join(',')}],"tags":[${this.tags.join(',')}]}`;
  }

  /** After a lost answer: done when the server has every point, else the body of those it lacks. */
  async missing(client: MlflowClient, remoteId: string): Promise<Uncertain<undefined>> {
    const there = new Set<string>();
    for (const key of new Set(this.metrics.map((m) => m.key))) {
      for (const p of await client.metricHistory(remoteId, key))
        there.add(pointId(key, p.step, p.timestamp, wireValue(p.value)));
    }
    const lacking = (m: WireMetric): boolean => !there.has(metricId(m));
    if (!this.metrics.some(lacking) && this.params.length + this.tags.length === 0) return { done: undefined };
    return { resend: this.body(lacking) };
  }
}

export function keyValueJson(key: string, value: string): string {
  return JSON.stringify({ key, value });
}
