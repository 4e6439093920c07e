// `npm run bench`: what the Python client's automatic logging costs, each figure beside the same work
// without it, measured in the same run by bench/python_autolog.py (interleaved repetitions, medians):
// scikit-learn fits of 10,000 rows with and without runlog.autolog() (target: < 5% slower), a
// 1,000-step PyTorch loop (< 3%), and the system-metrics sampler's CPU per sample as a share of one
// core at its 10 s default (< 1%).
//   npm run bench -- --only autolog [--quick]
// The Python is Debian's /usr/bin/python3 with python3-sklearn and python3-torch (RUNLOG_TEST_LIBS_PYTHON
// names another); a ratio ≥ 1 would mean autolog made the work faster (noise), 0.95 means 5% slower.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Figures, option } from './figures';

interface PythonFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly reference: number;
  readonly note: string;
}

async function main(): Promise<void> {
  const python = process.env['RUNLOG_TEST_LIBS_PYTHON'] || '/usr/bin/python3';
  const script = join(__dirname, '../../bench/python_autolog.py');
  const args = [script, ...(process.argv.includes('--quick') ? ['--quick'] : [])];
  console.log(`autolog and system metrics (${python} ${args.slice(1).join(' ')})`);
  const run = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30 * 60_000 });
  const figures = new Figures();
  const lines = (run.stdout ?? '').split('\n').filter((line) => line.startsWith('{'));
  for (const line of lines) {
    const figure = JSON.parse(line) as PythonFigure;
    figures.record(figure.name, figure.value, figure.unit, figure.reference, false);
    if (figure.note) console.log(`    ${figure.note}`);
  }
  if (run.status !== 0 || lines.length === 0) {
    console.error(
      `  the autolog benchmark did not finish (${python} exit ${String(run.status ?? run.signal)}): it needs scikit-learn, ` +
        `PyTorch and numpy (Debian: apt-get install python3-sklearn python3-torch)\n${run.stderr ?? String(run.error)}`,
    );
    process.exitCode = 1;
  }
  figures.printTable();
  await figures.writeJson(option('json'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
