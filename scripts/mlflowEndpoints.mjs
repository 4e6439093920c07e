// Writes docs/MLFLOW_ENDPOINTS.md from the MLflow endpoint's route table (src/mlflow/routes.ts);
// test/unit/mlflow/endpointTable.test.ts fails when the committed file differs.
//   node scripts/mlflowEndpoints.mjs
import * as esbuild from 'esbuild';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository (out/ is ignored), so the bundle finds prettier in node_modules.
const bundle = join(root, 'out', 'mlflowEndpoints.cjs');
try {
  await esbuild.build({
    entryPoints: [join(root, 'test/support/mlflowEndpoints.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['prettier', 'vscode'],
    outfile: bundle,
    logLevel: 'warning',
  });
  const { endpointTable } = createRequire(import.meta.url)(bundle);
  await writeFile(join(root, 'docs/MLFLOW_ENDPOINTS.md'), await endpointTable());
  console.log('wrote docs/MLFLOW_ENDPOINTS.md');
} finally {
  await rm(bundle, { force: true });
}
