import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli';
import type { CliContext } from '../../../src/cli/context';

export const REPO = join(__dirname, '../../../..');
export const T0 = 1_732_600_000_000;

export const IDS = {
  forest: 'aa11bb22cc33dd44ee55ff6600112233',
  linear: 'aa11bb99cc33dd44ee55ff6600112233',
  deep: 'f00dfeed00000000000000000000abcd',
  running: 'c0ffee0000000000000000000000beef',
  trashed: 'dead00000000000000000000000000aa',
} as const;

const line = (event: Record<string, unknown>): string => `${JSON.stringify(event)}\n`;
const metric = (s: number, key: string, value: number | string, step: number): string =>
  `{"t":"metric","ts":${T0 + s * 1000},"key":${JSON.stringify(key)},"value":${typeof value === 'string' ? JSON.stringify(value) : String(value)},"step":${step}}\n`;

function run(
  id: string,
  s: number,
  name: string,
  params: Record<string, string>,
  rmse: readonly number[],
  extra: {
    end?: number;
    status?: string;
    tags?: Record<string, string>;
    r2?: number;
    model?: boolean;
    packages?: Record<string, string>;
    gpu?: { utilization: readonly number[]; memory: readonly number[] };
  } = {},
): string {
  const lines = [
    line({
      t: 'run_start',
      ts: T0 + s * 1000,
      run_id: id,
      name,
      experiment: 'house-prices',
      command: 'python train.py',
    }),
    line({
      t: 'git',
      ts: T0 + s * 1000,
      commit: `${id.slice(0, 8)}0000000000000000000000000000000`,
      branch: 'main',
      dirty: name === 'deep-owl',
      patch: name === 'deep-owl' ? 'diff --git a/x b/x\n' : '',
      untracked: [],
    }),
    ...Object.entries(params).map(([key, value]) => line({ t: 'param', ts: T0 + s * 1000, key, value })),
    ...Object.entries(extra.tags ?? {}).map(([key, value]) => line({ t: 'tag', ts: T0 + s * 1000, key, value })),
    ...rmse.map((value, step) => metric(s + step + 1, 'rmse', value, step)),
    ...(extra.r2 !== undefined ? [metric(s + 1, 'r2', extra.r2, 0)] : []),
    line({ t: 'input', ts: T0 + s * 1000, name: 'houses', path: 'data/houses.csv', digest: 'd1g3st' }),
    ...(extra.packages
      ? [line({ t: 'environment', ts: T0 + s * 1000, python_version: '3.11.2', packages: extra.packages })]
      : []),
    ...(extra.gpu?.utilization ?? []).map((v, step) =>
      metric(s + step, 'system/gpu_0_utilization_percentage', v, step),
    ),
    ...(extra.gpu?.memory ?? []).map((v, step) => metric(s + step, 'system/gpu_0_memory_usage_megabytes', v, step)),
  ];
  if (extra.model) {
    lines.push(
      line({
        t: 'model',
        ts: T0 + s * 1000,
        name: 'model',
        flavor: 'sklearn',
        uuid: `u-${name}`,
        files: [{ path: 'model/model.pkl', size: 10, sha256: 'ab'.repeat(32) }],
      }),
      line({ t: 'artifact', ts: T0 + s * 1000, path: 'model/model.pkl', size: 10, sha256: 'ab'.repeat(32) }),
    );
  }
  if (extra.end !== undefined)
    lines.push(line({ t: 'run_end', ts: T0 + extra.end * 1000, status: extra.status ?? 'FINISHED' }));
  return lines.join('');
}

const registry = (s: number, fields: Record<string, unknown>): string =>
  line({ t: 'registry', ts: T0 + s * 1000, model: 'house-prices', ...fields });

/**
 * A store of five runs: two forests and a linear model (finished), one still running, one in the
 * trash; house-prices versions 1 (forest, @champion) and 2 (deep-owl, @staging).
 */
export async function fixtureStore(): Promise<{ root: string; store: string }> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-cli-'));
  const store = join(root, '.runlog');
  const journals: Record<string, string> = {
    [IDS.forest]: run(IDS.forest, 0, 'bright-fox', { model: 'forest', n_estimators: '20' }, [52_000, 41_000, 40_000], {
      end: 90,
      r2: 0.92,
      model: true,
      tags: { note: 'first | try' },
      packages: { numpy: '1.24.2', 'scikit-learn': '1.3.0' },
    }),
    [IDS.linear]: run(IDS.linear, 100, 'calm-heron', { model: 'linear', n_estimators: '20' }, [150_000, 141_600], {
      end: 130,
      r2: 0.12,
      status: 'FINISHED',
    }),
    [IDS.deep]: run(IDS.deep, 200, 'deep-owl', { model: 'forest', n_estimators: '60' }, [45_000, 38_000, 38_500], {
      end: 3_900,
      r2: 0.94,
      model: true,
      packages: { numpy: '1.26.4', 'scikit-learn': '1.3.0' },
      gpu: { utilization: [20, 40, 90], memory: [1000, 3500.5, 2000] },
    }),
    [IDS.running]: run(IDS.running, 5_000, 'busy-bee', { model: 'forest', n_estimators: '200' }, [60_000]),
    [IDS.trashed]:
      run(IDS.trashed, 6_000, 'old-news', { model: 'forest', n_estimators: '5' }, [90_000], { end: 6_010 }) +
      line({ t: 'lifecycle', ts: T0 + 6_020_000, action: 'delete' }),
  };
  for (const [id, text] of Object.entries(journals)) {
    await mkdir(join(store, 'runs', id), { recursive: true });
    await writeFile(join(store, 'runs', id, 'events.jsonl'), text);
  }
  await mkdir(join(store, 'registry'), { recursive: true });
  await writeFile(
    join(store, 'registry', 'events.jsonl'),
    registry(100, { action: 'create_version', version: 1, run_id: IDS.forest, source: 'model' }) +
      registry(101, { action: 'set_alias', alias: 'champion', version: 1 }) +
      registry(4_000, { action: 'create_version', version: 2, run_id: IDS.deep, source: 'model' }) +
      registry(4_001, { action: 'set_alias', alias: 'staging', version: 2 }),
  );
  return { root, store };
}

export interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process, as `runlog …` in `cwd`, with no color unless asked. */
export async function cli(
  argv: readonly string[],
  cwd: string,
  options: { env?: NodeJS.ProcessEnv; color?: boolean; saveAfterMs?: number } = {},
): Promise<Ran> {
  let out = '';
  let err = '';
  const context: CliContext = {
    cwd,
    env: options.env ?? {},
    out: (text) => (out += text),
    err: (text) => (err += text),
    color: options.color ?? false,
    version: 'Runlog test',
    clientPath: join(REPO, 'python'),
    ...(options.saveAfterMs !== undefined ? { saveAfterMs: options.saveAfterMs } : {}),
  };
  const code = await runCli(argv, context);
  return { code, out, err };
}
