// `npm test`: lint, format check, dead exports, type-check, unit tests (plain Node), package the .vsix,
// and the integration suite inside a real VS Code. Ends with one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';
import { ensurePrerequisites, libsPython } from '../test/runner/prerequisites.mjs';
import { toolchainCached } from '../test/runner/toolchain.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
const MAX_VSIX_BYTES = 5 * 1024 * 1024;
let passed = 0;
let failed = 0;
/** One line per failure, repeated above the summary: CI shows only the end of a long log. */
const failures = [];
const fail = (what) => {
  failed++;
  failures.push(what);
};

function finish() {
  if (failures.length > 0) {
    console.log('\nWhat failed:');
    for (const what of failures.slice(0, 30)) console.log(`  ✗ ${what}`);
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

/** A step that is not a test but must succeed; a failure counts as one failed check and stops. */
function step(title, command, args) {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`✗ ${title} failed (exit ${result.status ?? result.signal})`);
    fail(`${title} (exit ${result.status ?? result.signal})`);
    finish();
  }
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Mocha over the compiled tests of one folder: `unit` (plain Node) or `browser` (webview code in Chromium). */
async function mochaTests(folder, title, timeout) {
  console.log(`\n▶ ${title}`);
  const mocha = new Mocha({ reporter: 'spec', timeout });
  for (const file of walk(join(root, 'out/test', folder))
    .filter((f) => f.endsWith('.test.js'))
    .sort()) {
    mocha.addFile(file);
  }
  await mocha.loadFilesAsync();
  const stats = await new Promise((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
    runner.on('fail', (test, error) =>
      failures.push(`${folder}: ${test.fullTitle()}: ${String(error?.message ?? error).split('\n')[0]}`),
    );
  });
  passed += stats.passes;
  failed += stats.failures;
  if (stats.passes === 0) {
    console.error(`✗ no ${folder} test ran`);
    fail(`no ${folder} test ran`);
  }
}

/**
 * The Python client's unittest suite; its summary lines give the counts. The autolog tests in it run
 * their training scripts with /usr/bin/python3 (RUNLOG_TEST_LIBS_PYTHON), the Python that Debian's
 * python3-sklearn and python3-torch install for, and fail when it lacks them.
 */
function pythonTests() {
  console.log(`\n▶ Python client tests (unittest; scikit-learn and PyTorch scripts run with ${libsPython()})`);
  const result = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'test/python', '-t', 'test/python'], {
    cwd: root,
    encoding: 'utf8',
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  const ran = Number(/^Ran (\d+) tests?/m.exec(result.stderr)?.[1] ?? 0);
  const summary = /^(?:OK|FAILED) \((.*)\)$/m.exec(result.stderr)?.[1] ?? '';
  const count = (name) => Number(new RegExp(`${name}=(\\d+)`).exec(summary)?.[1] ?? 0);
  const bad = count('failures') + count('errors');
  const skipped = count('skipped');
  passed += Math.max(0, ran - bad - skipped);
  failed += bad;
  for (const match of result.stderr.matchAll(/^(?:FAIL|ERROR): (.*)$/gm)) failures.push(`Python: ${match[1]}`);
  if (result.status !== 0 && bad === 0) {
    console.error(`✗ the Python tests did not run (exit ${result.status ?? result.signal})`);
    fail(`the Python tests did not run (exit ${result.status ?? result.signal})`);
  } else if (ran === 0) {
    console.error('✗ no Python test ran');
    fail('no Python test ran');
  }
}

/** The fault suite's short mode: each fault is one check, held or not (its table is printed). */
function faultTests() {
  console.log('\n▶ fault injection (npm run faults, short mode)');
  const resultFile = join(root, 'test-results/faults.json');
  rmSync(resultFile, { force: true });
  const result = spawnSync('node', ['out/test/faults/faults.js', '--short', '--json', resultFile], {
    cwd: root,
    stdio: 'inherit',
  });
  if (!existsSync(resultFile)) {
    console.error(`✗ the fault suite wrote no result (exit ${result.status ?? result.signal})`);
    fail(`the fault suite wrote no result (exit ${result.status ?? result.signal})`);
    return;
  }
  for (const row of JSON.parse(readFileSync(resultFile, 'utf8'))) {
    if (row.failed || row.lost > 0 || row.corrupt > 0 || row.leaked > 0 || row.trials === 0) {
      const counts = `${row.trials} trials, lost ${row.lost}, corrupt ${row.corrupt}, leaked ${row.leaked}`;
      fail(
        `fault "${row.fault}": ${row.failed ?? counts}${row.notes.length ? `; ${row.notes.slice(0, 3).join('; ')}` : ''}`,
      );
    } else passed++;
  }
}

// Chromium runs the webview tests and the test VS Code; code-server is compiled once if not cached;
// the autolog tests need scikit-learn, PyTorch and pandas for /usr/bin/python3 ('ml').
ensurePrerequisites(['python', 'git', 'browser', 'ml', ...(toolchainCached() ? [] : ['build'])], { label: 'npm test' });
step('lint (ESLint, type-aware, no warnings)', 'npx', ['eslint', '--max-warnings=0', '.']);
step('format (Prettier)', 'npx', ['prettier', '--check', '.']);
step('dead exports (no exported name that only tests use)', 'node', ['scripts/deadExports.mjs']);
step('type-check (host, tests, webviews)', 'npm', ['run', '--silent', 'typecheck']);
step('build tests', 'node', ['scripts/build.mjs', '--tests']);
await mochaTests('unit', 'unit tests (mocha, plain Node)', 10_000);
await mochaTests('browser', "webview tests (mocha, the panels' code in Chromium)", 60_000);
pythonTests();
faultTests();
step('package the .vsix', 'npm', ['run', '--silent', 'package']);
const size = statSync(vsix).size;
if (size > MAX_VSIX_BYTES) {
  console.error(`✗ ${vsix} is ${size} bytes, over the 5 MB budget`);
  fail(`${vsix} is ${size} bytes, over the 5 MB budget`);
} else {
  console.log(`✓ ${pkg.name}-${pkg.version}.vsix is ${(size / 1024).toFixed(0)} KB (budget 5 MB)`);
  passed++;
}
// The package build replaced dist/ with the production bundle; out/ (the tests) is untouched.
console.log('\n▶ integration tests (inside VS Code)');
const resultFile = join(root, 'test-results/integration.json');
rmSync(resultFile, { force: true });
spawnSync('node', ['test/runner/runIntegration.mjs', '--vsix', vsix], { cwd: root, stdio: 'inherit' });
if (existsSync(resultFile)) {
  const outcome = JSON.parse(readFileSync(resultFile, 'utf8'));
  passed += outcome.passed;
  failed += outcome.failed;
  for (const title of outcome.failures ?? []) failures.push(`integration: ${title}`);
  if (!outcome.ok && outcome.failed === 0)
    fail(`integration: ${String(outcome.error ?? '').split('\n')[0] || 'the runner did not finish'}`);
} else {
  console.error('✗ the integration runner wrote no result');
  fail('the integration runner wrote no result');
}
finish();
