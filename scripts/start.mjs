// `npm start`: builds Runlog and opens the demo workspace (examples/) in VS Code with it loaded —
// the `code` command when there is one, otherwise code-server on 127.0.0.1 (URL printed).
//   npm start -- --smoke   (or RUNLOG_SMOKE=1 npm start): code-server only; opens the workbench in
//   headless Chromium, checks that Runlog loaded (its Runs view, the ▶ Run lens on the demo's
//   train.py), saves test-results/start-smoke.png and exits: 0 when it loaded, 1 otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath, ensurePrerequisites } from '../test/runner/prerequisites.mjs';
import { ensureCodeServer, serverArgs, toolchainCached } from '../test/runner/toolchain.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'examples');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const smoke = process.argv.includes('--smoke') || process.env.RUNLOG_SMOKE === '1';

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const hasCode = !smoke && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode) {
  ensurePrerequisites(['python', 'git'], { label: 'npm start' });
  run('node', ['scripts/build.mjs']);
  run('code', ['--extensionDevelopmentPath', root, demo]);
  console.log('Opened examples/ in VS Code with Runlog loaded from this folder.');
} else {
  ensurePrerequisites(['python', 'git', ...(toolchainCached() ? [] : ['build']), ...(smoke ? ['browser'] : [])], {
    label: 'npm start',
  });
  run('npm', ['run', '--silent', 'package']);
  const tool = await ensureCodeServer();
  // Extensions and user data of this dev instance stay in the repository (.vscode-dev/, ignored);
  // code-server's own config file goes to a temporary folder, never to ~/.config/code-server/.
  const state = join(root, '.vscode-dev');
  const extensions = join(state, 'extensions');
  const userData = join(state, 'user-data');
  const configDir = mkdtempSync(join(tmpdir(), 'runlog-start-'));
  const config = join(configDir, 'config.yaml');
  mkdirSync(extensions, { recursive: true });
  const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
  run(tool.node, [
    tool.entry,
    '--config',
    config,
    '--extensions-dir',
    extensions,
    '--user-data-dir',
    userData,
    '--install-extension',
    vsix,
    '--force',
  ]);
  const port = process.env.PORT || (smoke ? String(await freePort()) : '8765');
  seedSettings(userData);
  // The demo is this repository's own code: it opens trusted, so ▶ Run works from the first click.
  const server = spawn(
    tool.node,
    [tool.entry, ...serverArgs({ port, stateDir: configDir, userData, extensions, trusted: true, folder: demo })],
    { stdio: ['ignore', 'ignore', 'inherit'], detached: smoke },
  );
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(demo)}`;
  const cleanup = () => rmSync(configDir, { recursive: true, force: true });
  if (smoke) {
    let ok = false;
    try {
      ok = await smokeTest(url);
    } catch (error) {
      console.error(`smoke: ${error?.message ?? error}`);
    }
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    cleanup();
    process.exit(ok ? 0 : 1);
  }
  console.log(`Runlog is running in code-server: open ${url}`);
  console.log('Press Ctrl+C to stop.');
  process.on('SIGINT', () => server.kill('SIGTERM'));
  server.on('exit', (code) => {
    cleanup();
    process.exit(code ?? 0);
  });
}

/** First start only: a quiet workbench (no chat side bar, no telemetry); later edits are the user's. */
function seedSettings(userData) {
  const file = join(userData, 'User/settings.json');
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  const settings = {
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
  };
  writeFileSync(file, JSON.stringify(settings, null, 2) + '\n');
}

function freePort() {
  return import('node:net').then(
    ({ createServer }) =>
      new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address();
          server.close(() => resolve(port));
        });
      }),
  );
}

/** Opens the workbench as a user would and checks that Runlog is there and active. */
async function smokeTest(url) {
  const { chromium } = await import('playwright-core');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const up = await fetch(url.replace(/\/?\?.*$/, '/healthz')).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const shot = join(root, 'test-results/start-smoke.png');
  mkdirSync(dirname(shot), { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const visible = (locator, timeout) =>
    locator
      .first()
      .waitFor({ state: 'visible', timeout })
      .then(
        () => true,
        () => false,
      );
  try {
    await page.goto(url);
    await visible(page.locator('.monaco-workbench'), 60_000);
    await page
      .getByRole('tab', { name: /^Runlog/ })
      .first()
      .click();
    const runsView = await visible(page.getByText(/No runs yet|Start a Run/), 60_000);
    console.log(`smoke: ${runsView ? '✓' : '✗'} the Runs view shows Runlog's content`);
    // Quick Open answers from the file index, which a loaded machine may not have yet:
    // wait for train.py's row, and try again until its editor tab opens.
    for (let attempt = 0; attempt < 5; attempt++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await page.keyboard.type('house-prices/train.py');
      const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'train.py' });
      if (await visible(row, 15_000)) await page.keyboard.press('Enter');
      if (await visible(page.locator('.tab').filter({ hasText: 'train.py' }), 5_000)) break;
    }
    const lens = await visible(page.locator('.codelens-decoration').getByText('Run', { exact: false }), 60_000);
    console.log(`smoke: ${lens ? '✓' : '✗'} the ▶ Run code lens is above the demo's train.py`);
    await page.screenshot({ path: shot });
    console.log(`smoke: screenshot in ${shot}`);
    return runsView && lens;
  } finally {
    await browser.close().catch(() => undefined);
  }
}
