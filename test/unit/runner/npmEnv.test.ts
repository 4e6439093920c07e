import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

// test/runner/*.mjs are plain Node scripts (no build step), so they are run as a child process.
const root = resolve(__dirname, '../../../..');
const npmEnv = join(root, 'test/runner/npmEnv.mjs');

function cleaned(env: Record<string, string>): Record<string, string> {
  const script = `import { cleanNpmEnv } from ${JSON.stringify(npmEnv)}; console.log(JSON.stringify(cleanNpmEnv()));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('the toolchain install environment (test/runner/npmEnv.mjs)', () => {
  it("drops what an enclosing `npm run` put there, so code-server's postinstall sees the inner Node", () => {
    const env = cleaned({
      HOME: '/home/u',
      npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
      npm_config_nodedir: '/usr',
      npm_lifecycle_event: 'test',
      npm_package_json: '/repo/package.json',
      npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
      npm_node_execpath: '/usr/bin/node',
      INIT_CWD: '/repo',
      NODE: '/usr/bin/node',
      COLOR: '0',
      PATH: [
        '/repo/node_modules/.bin',
        '/node_modules/.bin',
        '/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin',
        '/usr/local/bin',
        '/usr/bin',
      ].join(':'),
    });
    assert.deepEqual(Object.keys(env).sort(), ['HOME', 'PATH']);
    assert.equal(env.PATH, '/usr/local/bin:/usr/bin');
  });

  it("keeps the user's own variables, proxies and certificates included", () => {
    const env = cleaned({
      PATH: '/usr/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem',
      RUNLOG_TOOLCHAIN_DIR: '/tmp/tc',
    });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem',
      RUNLOG_TOOLCHAIN_DIR: '/tmp/tc',
    });
  });
});
