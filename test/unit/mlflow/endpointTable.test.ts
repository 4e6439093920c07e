import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REFUSED_ENDPOINTS, SERVED_ENDPOINTS, matchRoute } from '../../../src/mlflow/routes';
import { endpointTable } from '../../support/mlflowEndpoints';

describe('MLflow endpoint: the route table', () => {
  it('docs/MLFLOW_ENDPOINTS.md is what the route table says (node scripts/mlflowEndpoints.mjs writes it)', async () => {
    const committed = await readFile(join(__dirname, '../../../../docs/MLFLOW_ENDPOINTS.md'), 'utf8');
    assert.equal(committed, await endpointTable(), 'run `node scripts/mlflowEndpoints.mjs` and commit the file');
  });

  it('no method and path is both served and refused, or listed twice', () => {
    const seen = new Set<string>();
    for (const e of [...SERVED_ENDPOINTS.map((s) => ({ ...s, methods: s.route.methods })), ...REFUSED_ENDPOINTS]) {
      for (const method of e.methods) {
        const key = `${method} ${e.version} ${e.path}`;
        assert.ok(!seen.has(key), `${key} is listed twice`);
        seen.add(key);
      }
    }
  });

  it('finds routes by method, with path parameters decoded once and <path:…> left encoded', () => {
    const get = matchRoute('GET', '/api/2.0/mlflow/logged-models/m-1%2Fx');
    assert.equal(get.kind, 'served');
    assert.deepEqual(get.kind === 'served' ? get.params : {}, { model_id: 'm-1/x' });
    const proxy = matchRoute('PUT', '/ajax-api/2.0/mlflow-artifacts/artifacts/r1/images/a%25step%251.png');
    assert.deepEqual(proxy.kind === 'served' ? proxy.params : {}, { artifact_path: 'r1/images/a%25step%251.png' });
    assert.equal(matchRoute('PUT', '/api/2.0/mlflow/logged-models/m-1').kind, 'missing');
    assert.equal(matchRoute('GET', '/api/2.0/mlflow/traces').kind, 'refused');
    assert.equal(matchRoute('GET', '/api/9.0/mlflow/runs/get').kind, 'missing');
    assert.equal(matchRoute('GET', '/other').kind, 'missing');
  });
});
