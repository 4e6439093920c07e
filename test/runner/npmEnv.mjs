// The environment for an npm that installs into the toolchain cache. When `npm start` or `npm test`
// runs us, the outer npm has put its own state into the environment: `npm_config_user_agent` names
// the outer Node.js (code-server's postinstall reads the Node version from it and refuses v20),
// `npm_config_*` would override the inner npm's settings, and PATH starts with this project's
// node_modules/.bin. The inner npm must start as if typed in a fresh shell.
import { delimiter, sep } from 'node:path';

const NPM_STATE = /^(npm_|npm-)/i;
const NPM_SET = new Set(['INIT_CWD', 'NODE', 'NODE_GYP_FORCE_PYTHON', 'COLOR']);

/** `env` without what an enclosing npm run added; PATH keeps every entry that was not npm's. */
export function cleanNpmEnv(env = process.env) {
  const clean = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || NPM_STATE.test(key) || NPM_SET.has(key)) continue;
    clean[key] = value;
  }
  const pathKey = Object.keys(clean).find((k) => k.toUpperCase() === 'PATH');
  if (pathKey) {
    clean[pathKey] = clean[pathKey]
      .split(delimiter)
      .filter((entry) => !entry.includes(`${sep}node_modules${sep}.bin`) && !entry.includes('node-gyp-bin'))
      .join(delimiter);
  }
  return clean;
}
