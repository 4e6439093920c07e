/**
 * docs/MLFLOW_ENDPOINTS.md, written from the endpoint's route table (src/mlflow/routes.ts) so it
 * cannot drift: `node scripts/mlflowEndpoints.mjs` writes it, and a unit test fails when the
 * committed file differs.
 */
import { format } from 'prettier';
import { REFUSED_ENDPOINTS, SERVED_ENDPOINTS } from '../../src/mlflow/routes';

const PATH_PARAMETER = /\{(\w+)\}|<path:(\w+)>/g;

function shown(version: number, path: string): string {
  return `\`/api/${version}.0/${path.replace(PATH_PARAMETER, (_, a: string, b: string) => `{${a ?? b}}`)}\``;
}

export async function endpointTable(): Promise<string> {
  const rows = [
    ...SERVED_ENDPOINTS.map((e) => ({ version: e.version, path: e.path, methods: e.route.methods, answer: 'served' })),
    ...REFUSED_ENDPOINTS.map((e) => ({
      version: e.version,
      path: e.path,
      methods: e.methods,
      answer: `refused: ${e.feature}`,
    })),
  ].sort(
    (a, b) => a.path.localeCompare(b.path) || a.version - b.version || a.methods.join().localeCompare(b.methods.join()),
  );
  const features = new Map<string, string>();
  for (const e of REFUSED_ENDPOINTS) features.set(e.feature, e.message);
  const text = [
    '# MLflow endpoints',
    '',
    '<!-- Written by `node scripts/mlflowEndpoints.mjs` from src/mlflow/routes.ts; a unit test fails when it is out of date. -->',
    '',
    "Every path of MLflow's protos (`service.proto`, `model_registry.proto`, `mlflow_artifacts.proto`,",
    "`webhooks.proto`) and what Runlog's endpoint answers. Each path is also served under `/ajax-api/`.",
    'A refused one gets 404 `ENDPOINT_NOT_FOUND` with the message below, never a 200 that would make a',
    'client believe something was recorded.',
    '',
    `${SERVED_ENDPOINTS.length} method/path pairs served, ${REFUSED_ENDPOINTS.length} refused.`,
    '',
    '| Method | Path | Runlog |',
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.methods.join(', ')} | ${shown(r.version, r.path)} | ${r.answer} |`),
    '',
    '## Why refused',
    '',
    '| Feature | Message |',
    '| --- | --- |',
    ...[...features].map(([feature, message]) => `| ${feature} | ${message.replace(/\|/g, '\\|')} |`),
    '',
  ].join('\n');
  return format(text, { parser: 'markdown', printWidth: 120, proseWrap: 'preserve' });
}
