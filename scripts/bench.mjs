// `npm run bench`: builds the benchmarks once, then runs each `bench/*.bench.ts` in turn; every one
// prints its figures beside a reference measured in the same run.
//   npm run bench                        everything
//   npm run bench -- --only charts       one benchmark (store, charts, …)
//   npm run bench -- --json FILE         also write every figure to FILE (one JSON array)
//   npm run bench -- --only scale        the opt-in one: 100M points (gigabytes, minutes; --scale-points N)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const only = value('only');
const json = value('json');
const passThrough = args.filter(
  (a, i) => !['--only', '--json'].includes(a) && !['--only', '--json'].includes(args[i - 1]),
);

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--tests-only', '--out', 'out-bench'], {
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

// Benchmarks that run only when named with --only.
const OPT_IN = ['scale'];
const names = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((name) => (only ? name === only : !OPT_IN.includes(name)))
  .sort((a, b) => (a === 'store' ? -1 : b === 'store' ? 1 : a.localeCompare(b)));
if (names.length === 0) {
  console.error(`no benchmark named ${only}`);
  process.exit(1);
}
const figures = [];
let failed = false;
for (const name of names) {
  const part = json ? join(root, 'out-bench', `${name}.figures.json`) : undefined;
  const run = spawnSync(
    process.execPath,
    [join(root, 'out-bench/bench', `${name}.bench.js`), ...passThrough, ...(part ? ['--json', part] : [])],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed = true;
  if (part && existsSync(part)) {
    figures.push(...JSON.parse(readFileSync(part, 'utf8')));
    rmSync(part);
  }
  console.log('');
}
if (json) writeFileSync(json, JSON.stringify(figures, null, 2) + '\n');
process.exit(failed ? 1 : 0);
