/**
 * System metrics as the Python client samples them (python/runlog/_system_metrics.py), under
 * MLflow's names: `system/cpu_utilization_percentage`, `system/gpu_0_memory_usage_megabytes`, …
 * What every surface needs to tell them from a script's own metrics and to read the GPU figures
 * (peak memory, mean utilization) the same way: the Runs view's tooltip, the Compare panel and its
 * exports, the Charts panel's System section.
 */
import { formatMetricValue } from './formatValue';

export const SYSTEM_PREFIX = 'system/';

/** Whether a metric is a system metric rather than one the script logged. */
export function isSystemMetric(key: string): boolean {
  return key.startsWith(SYSTEM_PREFIX);
}

const GPU_KEY = /^system\/gpu_(\d{1,4})_(utilization_percentage|memory_usage_megabytes|memory_usage_percentage)$/;

/** The GPU and the reading of a `system/gpu_<i>_…` key the GPU figures use, else undefined. */
export function gpuMetric(
  key: string,
): { readonly index: number; readonly reading: 'utilization' | 'memory' | 'memoryPercentage' } | undefined {
  const match = GPU_KEY.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  const reading =
    match[2] === 'utilization_percentage'
      ? 'utilization'
      : match[2] === 'memory_usage_megabytes'
        ? 'memory'
        : 'memoryPercentage';
  return { index: Number(match[1]), reading };
}

/** What a run used of one GPU: the peak of its memory and the mean of its utilization samples. */
export interface GpuUsage {
  readonly index: number;
  /** The highest `memory_usage_megabytes` sampled (MLflow's megabytes: 10⁶ bytes); null if none. */
  readonly peakMemoryMegabytes: number | null;
  /** The highest `memory_usage_percentage` sampled; null if none. */
  readonly peakMemoryPercentage: number | null;
  /** The mean of the `utilization_percentage` samples; null if none. */
  readonly meanUtilizationPercentage: number | null;
}

/** "850 MB", "10.2 GB", "1.5 TB": MLflow's megabytes (10⁶ bytes), so 1000 of them make a GB. */
export function formatMegabytes(megabytes: number): string {
  if (!Number.isFinite(megabytes)) return formatMetricValue(megabytes);
  const abs = Math.abs(megabytes);
  if (abs >= 1e6) return `${Number((megabytes / 1e6).toPrecision(3))} TB`;
  if (abs >= 1000) return `${Number((megabytes / 1000).toPrecision(3))} GB`;
  return `${Number(megabytes.toPrecision(3))} MB`;
}

/** "73%", "4.5%". */
export function formatPercentage(percentage: number): string {
  if (!Number.isFinite(percentage)) return formatMetricValue(percentage);
  return `${Number(percentage.toFixed(Math.abs(percentage) < 10 ? 1 : 0))}%`;
}

/** A GPU's peak memory as read: "10.2 GB (64%)", or null when none was sampled. */
export function peakMemoryText(gpu: GpuUsage): string | null {
  if (gpu.peakMemoryMegabytes === null) {
    return gpu.peakMemoryPercentage === null ? null : formatPercentage(gpu.peakMemoryPercentage);
  }
  const share = gpu.peakMemoryPercentage === null ? '' : ` (${formatPercentage(gpu.peakMemoryPercentage)})`;
  return `${formatMegabytes(gpu.peakMemoryMegabytes)}${share}`;
}

/** "GPU 0: peak memory 10.2 GB (64%), mean utilization 73%" — what was sampled of one GPU. */
export function gpuUsageText(gpu: GpuUsage): string {
  const parts: string[] = [];
  const memory = peakMemoryText(gpu);
  if (memory !== null) parts.push(`peak memory ${memory}`);
  if (gpu.meanUtilizationPercentage !== null) {
    parts.push(`mean utilization ${formatPercentage(gpu.meanUtilizationPercentage)}`);
  }
  return `GPU ${gpu.index}: ${parts.length > 0 ? parts.join(', ') : 'no samples'}`;
}
