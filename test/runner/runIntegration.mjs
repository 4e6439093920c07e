// Runs the integration suite (out/test/integration/index.js) inside a real VS Code.
//   node test/runner/runIntegration.mjs --vsix runlog-0.1.0.vsix [--runner code-server|electron] [--timeout 600]
// code-server (the default on linux-x64): installs the .vsix into a fresh code-server, opens the
// workbench in Debian's Chromium so the extension host starts, lets the test-driver extension run the
// suite, then checks what a user sees (the Runs view's welcome) and saves a screenshot.
// electron: @vscode/test-electron downloads (or finds) VS Code and runs the same suite.
// Exits non-zero on any failure, on timeout, and when no test ran. Writes test-results/integration.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer, serverArgs } from './toolchain.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(root, 'test-results');
const SUITES = [
  {
    name: 'trusted workspace',
    shot: 'trusted',
    entry: join(root, 'out/test/integration/index.js'),
    trusted: true,
    uiChecks: true,
  },
  {
    name: 'restricted workspace',
    shot: 'restricted',
    entry: join(root, 'out/test/integration/restricted/index.js'),
    trusted: false,
    uiChecks: false,
  },
  // Two copies of the fixture as the folders of one .code-workspace: a store per folder.
  {
    name: 'multi-root workspace',
    shot: 'multi-root',
    entry: join(root, 'out/test/integration/multiRoot/index.js'),
    trusted: true,
    uiChecks: false,
    folders: ['alpha', 'beta'],
  },
];
const fixtureWorkspace = join(root, 'test/fixtures/workspace');
const CHROMIUM = process.env.RUNLOG_CHROMIUM || '/usr/bin/chromium';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForHttp(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { redirect: 'manual' });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`code-server did not answer at ${url}`);
}

/** Prints what the suite logs while it runs, so a hang shows where it hangs. */
function tailer(file) {
  let printed = 0;
  return () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= printed) return;
    process.stdout.write(readFileSync(file).subarray(printed, size).toString('utf8'));
    printed = size;
  };
}

async function summarize(outcome) {
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'integration.json'), JSON.stringify(outcome, null, 2));
  console.log(`integration: ${outcome.passed} passed, ${outcome.failed} failed`);
  if (!outcome.ok) console.error(`integration suite failed: ${outcome.error}`);
  process.exitCode = outcome.ok ? 0 : 1;
}

/**
 * A test asks for a screenshot of what a user sees mid-suite (a panel, a hover) by writing
 * `<name>.request` into RUNLOG_TEST_SCREENSHOTS; the runner saves test-results/integration-<name>.png
 * and writes `<name>.done`, which the test waits for.
 */
async function takeRequestedScreenshots(page, dir) {
  const { readdir } = await import('node:fs/promises');
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.request')) continue;
    const name = file.slice(0, -'.request'.length).replace(/[^a-z0-9-]/gi, '_');
    await mkdir(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, `integration-${name}.png`) }).catch(() => undefined);
    await rm(join(dir, file), { force: true });
    await writeFile(join(dir, `${name}.done`), '');
  }
}

/**
 * A test asks for a click as a user makes it, inside a webview (a panel's button), by writing
 * `<name>.click` (a JSON `{ "selector": … }`) into RUNLOG_TEST_SCREENSHOTS; the runner clicks the
 * first visible match in any frame of the workbench and writes `<name>.clicked`: `{ "clicked": bool }`.
 */
async function takeRequestedClicks(page, dir) {
  const { readdir } = await import('node:fs/promises');
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.click')) continue;
    const name = file.slice(0, -'.click'.length).replace(/[^a-z0-9-]/gi, '_');
    let clicked = false;
    let error = '';
    try {
      const { selector } = JSON.parse(await readFile(join(dir, file), 'utf8'));
      for (const frame of page.frames()) {
        const target = frame.locator(selector).first();
        if ((await target.count().catch(() => 0)) === 0 || !(await target.isVisible().catch(() => false))) continue;
        await target.click({ timeout: 5000 });
        clicked = true;
        break;
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    await rm(join(dir, file), { force: true });
    await writeFile(join(dir, `${name}.clicked`), JSON.stringify({ clicked, error }));
  }
}

async function runInCodeServer(vsix, timeoutMs, suite) {
  console.log(`\n${suite.name}:`);
  const tool = await ensureCodeServer();
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`);
  const { chromium } = await import('playwright-core');

  const tmp = await mkdtemp(join(tmpdir(), 'runlog-it-'));
  const userData = join(tmp, 'user-data');
  const extensions = join(tmp, 'extensions');
  const workspace = join(tmp, 'workspace');
  const resultFile = join(tmp, 'result.json');
  const logFile = join(tmp, 'suite.log');
  const shots = join(tmp, 'screenshots');
  await mkdir(shots, { recursive: true });
  await cp(fixtureWorkspace, workspace, { recursive: true });
  // What code-server opens: the folder, or a workspace file naming several.
  let opened = workspace;
  if (suite.folders) {
    opened = join(tmp, 'runlog.code-workspace');
    for (const name of suite.folders) await cp(fixtureWorkspace, join(tmp, name), { recursive: true });
    await writeFile(opened, JSON.stringify({ folders: suite.folders.map((name) => ({ path: join(tmp, name) })) }));
  }
  await mkdir(join(userData, 'User'), { recursive: true });
  await writeFile(
    join(userData, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.disableAIFeatures': true,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'telemetry.telemetryLevel': 'off',
    }),
  );

  // Install the package a user would install, then add the driver beside it.
  const install = spawnSync(
    tool.node,
    [
      tool.entry,
      '--config',
      join(tmp, 'config.yaml'),
      '--extensions-dir',
      extensions,
      '--user-data-dir',
      userData,
      '--install-extension',
      vsix,
    ],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`installing ${vsix} failed:\n${install.stdout}${install.stderr}`);
  const driverDir = 'runlog.test-driver-0.0.1';
  await cp(join(root, 'test/runner/driver'), join(extensions, driverDir), { recursive: true });
  const manifestFile = join(extensions, 'extensions.json');
  const manifest = existsSync(manifestFile) ? JSON.parse(await readFile(manifestFile, 'utf8')) : [];
  if (!manifest.some((e) => e.identifier?.id === 'runlog.runlog')) throw new Error(`${vsix} did not install`);
  manifest.push({
    identifier: { id: 'runlog.test-driver' },
    version: '0.0.1',
    location: { $mid: 1, path: join(extensions, driverDir), scheme: 'file' },
    relativeLocation: driverDir,
  });
  await writeFile(manifestFile, JSON.stringify(manifest));

  const port = await freePort();
  const serverLog = join(tmp, 'code-server.log');
  const { openSync } = await import('node:fs');
  const out = openSync(serverLog, 'a');
  const server = spawn(
    tool.node,
    [tool.entry, ...serverArgs({ port, stateDir: tmp, userData, extensions, trusted: suite.trusted, folder: opened })],
    {
      env: {
        ...process.env,
        RUNLOG_TEST_ENTRY: suite.entry,
        RUNLOG_TEST_RESULT: resultFile,
        RUNLOG_TEST_LOG: logFile,
        RUNLOG_TEST_SCREENSHOTS: shots,
      },
      stdio: ['ignore', out, out],
      detached: true,
    },
  );
  const stopServer = () => {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', stopServer);

  let browser;
  const outcome = { ok: false, passed: 0, failed: 0, failures: [], error: '', vscodeVersion: '', screenshot: '' };
  try {
    const deadline = Date.now() + timeoutMs;
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, Math.min(deadline, Date.now() + 60_000));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(
      `http://127.0.0.1:${port}/?${suite.folders ? 'workspace' : 'folder'}=${encodeURIComponent(opened)}`,
    );
    const tail = tailer(logFile);
    while (!existsSync(resultFile) && Date.now() < deadline) {
      tail();
      await takeRequestedScreenshots(page, shots);
      await takeRequestedClicks(page, shots);
      await sleep(250);
    }
    tail();
    if (!existsSync(resultFile)) {
      outcome.error = `timed out after ${timeoutMs / 1000} s with no result from the suite`;
    } else {
      const result = JSON.parse(await readFile(resultFile, 'utf8'));
      outcome.passed = result.stats?.passes ?? 0;
      outcome.failed = result.stats?.failures ?? 0;
      outcome.failures = result.stats?.failed ?? [];
      outcome.vscodeVersion = result.stats?.vscodeVersion ?? '';
      outcome.ok = result.ok && outcome.failed === 0 && outcome.passed > 0;
      if (!result.ok) outcome.error = result.error;
      else if (outcome.passed === 0) outcome.error = 'no test ran';
    }
    if (outcome.ok && suite.uiChecks) {
      // What a user sees: the suite leaves the store empty and the Runlog container open.
      const checks = ['No runs yet', 'Start a Run', 'Open the Demo Project', 'Install Python Client'];
      for (const text of checks) {
        const visible = await page
          .getByText(text, { exact: false })
          .first()
          .waitFor({ state: 'visible', timeout: 15_000 })
          .then(
            () => true,
            () => false,
          );
        if (visible) {
          outcome.passed++;
          console.log(`  ✓ the Runs view shows "${text}" (checked in the browser)`);
        } else {
          outcome.failed++;
          outcome.ok = false;
          outcome.error = `the Runs view does not show "${text}"`;
          outcome.failures.push(outcome.error);
          console.log(`  ✗ the Runs view does not show "${text}"`);
        }
      }
    }
    await mkdir(resultsDir, { recursive: true });
    outcome.screenshot = join(resultsDir, `integration-${suite.shot}.png`);
    await page.screenshot({ path: outcome.screenshot });
  } catch (error) {
    outcome.ok = false;
    outcome.error = String(error?.stack ?? error);
  } finally {
    await browser?.close().catch(() => undefined);
    stopServer();
    if (!outcome.ok) {
      await mkdir(resultsDir, { recursive: true });
      await cp(serverLog, join(resultsDir, 'code-server.log')).catch(() => undefined);
      await cp(join(userData, 'logs'), join(resultsDir, 'vscode-logs'), { recursive: true }).catch(() => undefined);
      console.error(`logs saved in ${resultsDir}`);
    }
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
  return outcome;
}

async function runInElectron(timeoutMs) {
  const { runTests } = await import('@vscode/test-electron');
  const tmp = await mkdtemp(join(tmpdir(), 'runlog-it-'));
  const workspace = join(tmp, 'workspace');
  const resultFile = join(tmp, 'result.json');
  await cp(fixtureWorkspace, workspace, { recursive: true });
  const outcome = { ok: false, passed: 0, failed: 0, error: '', vscodeVersion: '' };
  const timer = setTimeout(() => {
    console.error(`timed out after ${timeoutMs / 1000} s`);
    process.exit(1);
  }, timeoutMs);
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: SUITES[0].entry,
      launchArgs: [workspace, '--disable-extensions'],
      extensionTestsEnv: { RUNLOG_TEST_STATS: resultFile },
    });
    outcome.ok = true;
  } catch (error) {
    outcome.error = String(error);
  } finally {
    clearTimeout(timer);
  }
  if (existsSync(resultFile)) {
    const stats = JSON.parse(await readFile(resultFile, 'utf8'));
    Object.assign(outcome, { passed: stats.passes, failed: stats.failures, vscodeVersion: stats.vscodeVersion });
  }
  if (outcome.passed === 0) {
    outcome.ok = false;
    outcome.error ||= 'no test ran';
  }
  await rm(tmp, { recursive: true, force: true });
  return outcome;
}

const runner = option('runner', process.platform === 'linux' && process.arch === 'x64' ? 'code-server' : 'electron');
const timeoutMs = Number(option('timeout', '600')) * 1000;
let outcome;
try {
  if (runner === 'electron') {
    outcome = await runInElectron(timeoutMs);
  } else {
    const vsix = option('vsix');
    if (!vsix || !existsSync(vsix))
      throw new Error('--vsix FILE is required for the code-server runner (npm run package makes it)');
    outcome = { ok: true, passed: 0, failed: 0, failures: [], error: '', vscodeVersion: '' };
    for (const suite of SUITES) {
      const part = await runInCodeServer(resolve(vsix), timeoutMs, suite);
      outcome = {
        ok: outcome.ok && part.ok,
        passed: outcome.passed + part.passed,
        failed: outcome.failed + part.failed,
        failures: [
          ...outcome.failures,
          ...(part.failures ?? []).map((f) => `${suite.trusted ? '' : 'restricted: '}${f}`),
        ],
        error: [outcome.error, part.error].filter(Boolean).join('\n'),
        vscodeVersion: part.vscodeVersion || outcome.vscodeVersion,
      };
    }
  }
} catch (error) {
  outcome = { ok: false, passed: 0, failed: 0, error: String(error?.stack ?? error) };
}
await summarize(outcome);
