// Installs (or finds in the cache) the VS Code the integration suite runs in here: code-server and
// its Node.js. .ci/run calls this before `npm test`; the runner would otherwise do it on first use.
import { ensureCodeServer } from './toolchain.mjs';

const tool = await ensureCodeServer();
console.log(`code-server ready in ${tool.dir}`);
