// `npm start`: builds Runlog and opens the demo workspace (examples/) in VS Code with it loaded —
// the `code` command when there is one, otherwise code-server on 127.0.0.1 (URL printed).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer, serverArgs } from '../test/runner/toolchain.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'examples');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode) {
  run('node', ['scripts/build.mjs']);
  run('code', ['--extensionDevelopmentPath', root, demo]);
  console.log('Opened examples/ in VS Code with Runlog loaded from this folder.');
} else {
  run('npm', ['run', '--silent', 'package']);
  const tool = await ensureCodeServer();
  const state = join(root, '.vscode-dev');
  const extensions = join(state, 'extensions');
  const userData = join(state, 'user-data');
  mkdirSync(extensions, { recursive: true });
  const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
  run(tool.node, [
    tool.entry,
    '--extensions-dir',
    extensions,
    '--user-data-dir',
    userData,
    '--install-extension',
    vsix,
    '--force',
  ]);
  const port = process.env.PORT || '8765';
  // Workspace trust stays on: the demo should look as it will for a user.
  const server = spawn(
    tool.node,
    [tool.entry, ...serverArgs({ port, stateDir: state, userData, extensions, trusted: false, folder: demo })],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  console.log(`Runlog is running in code-server: open http://127.0.0.1:${port}/?folder=${encodeURIComponent(demo)}`);
  console.log('Press Ctrl+C to stop.');
  process.on('SIGINT', () => server.kill('SIGTERM'));
  server.on('exit', (code) => process.exit(code ?? 0));
}
