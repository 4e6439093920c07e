import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import {
  DEFAULT_POLICY,
  SettingError,
  authorizationHeader,
  credentialsFromEnv,
  parseCredentialsFile,
  policyFromEnv,
  tlsFromEnv,
} from '../../../src/sync/credentials';
import { backoffMs, retryAfterMs } from '../../../src/sync/httpErrors';
import { ArtifactLocationError, MlflowClient, artifactRoot } from '../../../src/sync/mlflowClient';
import type { Connection } from '../../../src/sync/mlflowHttp';
import { MlflowHttp } from '../../../src/sync/mlflowHttp';
import { ServerUriError, normalizeServerUri } from '../../../src/sync/serverUri';
import { FAST, removeRoot, tempRoot } from './syncFixture';

const TLS = join(__dirname, '../../../../test/unit/fixtures/tls');

describe('sync: connecting as MLflow does', () => {
  it('keeps server URIs in one form, and refuses credentials inside them', () => {
    assert.equal(normalizeServerUri(' https://mlflow.team.example/ '), 'https://mlflow.team.example');
    assert.equal(normalizeServerUri('http://127.0.0.1:5000/mlflow//'), 'http://127.0.0.1:5000/mlflow');
    assert.throws(
      () => normalizeServerUri('https://ada:s3cret@mlflow.team.example'),
      (error: Error) => {
        assert.ok(error instanceof ServerUriError);
        assert.ok(!error.message.includes('s3cret'));
        return /MLFLOW_TRACKING_USERNAME/.test(error.message);
      },
    );
    assert.throws(() => normalizeServerUri('file:///tmp/mlruns'), /http:\/\/ or https:\/\//);
    assert.throws(() => normalizeServerUri('databricks'), /not a URI/);
  });

  it('reads credentials from the environment, then ~/.mlflow/credentials', async () => {
    const home = await tempRoot();
    try {
      assert.deepEqual(await credentialsFromEnv({}, home), {});
      await mkdir(join(home, '.mlflow'));
      await writeFile(
        join(home, '.mlflow', 'credentials'),
        '# team server\n[other]\nmlflow_tracking_username = nobody\n[mlflow]\nMLFLOW_TRACKING_USERNAME = ada\nmlflow_tracking_password: from-file\n',
      );
      assert.deepEqual(await credentialsFromEnv({}, home), { username: 'ada', password: 'from-file' });
      assert.deepEqual(
        await credentialsFromEnv({ MLFLOW_TRACKING_PASSWORD: 'from-env', MLFLOW_TRACKING_TOKEN: 't' }, home),
        {
          token: 't',
          username: 'ada',
          password: 'from-env',
        },
      );
    } finally {
      await removeRoot(home);
    }
    assert.deepEqual(parseCredentialsFile('[mlflow]\n; comment\nmlflow_tracking_username=x\n'), {
      mlflow_tracking_username: 'x',
    });
  });

  it('sends Basic when a user and password are set, else Bearer, as MLflow does', () => {
    assert.equal(
      authorizationHeader({ username: 'ada', password: 'pw', token: 't' }),
      `Basic ${Buffer.from('ada:pw').toString('base64')}`,
    );
    assert.equal(authorizationHeader({ token: 't' }), 'Bearer t');
    assert.equal(authorizationHeader({ username: 'ada' }), undefined);
  });

  it("reads MLflow's retry, timeout and TLS settings, and says which one is wrong", () => {
    assert.deepEqual(policyFromEnv({}), DEFAULT_POLICY);
    assert.deepEqual(
      policyFromEnv({
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2',
        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.5',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '5',
        MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: 'false',
      }),
      { maxRetries: 2, backoffFactor: 0.5, backoffJitter: 1, timeoutMs: 5000, respectRetryAfter: false },
    );
    assert.throws(
      () => policyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'many' }),
      /MLFLOW_HTTP_REQUEST_MAX_RETRIES must be a non-negative integer/,
    );
    assert.throws(() => tlsFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: 'yes' }), SettingError);
    assert.throws(
      () => tlsFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem' }),
      /cannot both be set/,
    );
    assert.deepEqual(tlsFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: '1' }), { insecure: true });
  });

  it("backs off as urllib3 does for MLflow, and reads Retry-After's two forms", () => {
    const policy = { ...DEFAULT_POLICY, backoffFactor: 2, backoffJitter: 1 };
    assert.equal(
      backoffMs(policy, 1, () => 0.5),
      0,
    );
    assert.equal(
      backoffMs(policy, 2, () => 0),
      4000,
    );
    assert.equal(
      backoffMs(policy, 3, () => 0.5),
      8500,
    );
    assert.equal(
      backoffMs(policy, 10, () => 0),
      120_000,
    );
    assert.equal(retryAfterMs('7'), 7000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('999999'), 300_000, 'a hostile server cannot park the push for days');
    assert.equal(retryAfterMs('soon'), undefined);
  });

  it("addresses a run's files through the server's artifact proxy, and says when it cannot", () => {
    const uri = 'https://mlflow.team.example';
    assert.equal(artifactRoot(uri, 'mlflow-artifacts:/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(artifactRoot(uri, 'mlflow-artifacts://mlflow.team.example/1/abc/artifacts/'), '1/abc/artifacts');
    assert.equal(
      artifactRoot(uri, 'https://mlflow.team.example/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts'),
      '1/abc/artifacts',
    );
    assert.throws(
      () => artifactRoot(uri, 's3://bucket/1/abc/artifacts'),
      (error: Error) => {
        assert.ok(error instanceof ArtifactLocationError);
        return /s3 storage .* --serve-artifacts/.test(error.message);
      },
    );
    assert.throws(() => artifactRoot(uri, 'mlflow-artifacts://elsewhere:5000/1/abc'), /another server/);
  });
});

describe('sync: HTTPS', function () {
  this.timeout(20_000);
  const seen: { authorized: boolean; path: string }[] = [];
  let server: ReturnType<typeof createServer>;
  let uri: string;

  before(async () => {
    server = createServer(
      {
        key: readFileSync(join(TLS, 'server.key')),
        cert: readFileSync(join(TLS, 'server.pem')),
        ca: readFileSync(join(TLS, 'ca.pem')),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req: IncomingMessage, res: ServerResponse) => {
        seen.push({ authorized: (req.socket as TLSSocket).authorized, path: req.url ?? '' });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ experiments: [{ experiment_id: '0', name: 'Default' }] }));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    uri = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = async (tls: Connection['tls']): Promise<MlflowClient> =>
    new MlflowClient(await MlflowHttp.open({ uri, credentials: {}, tls, policy: FAST }));

  it('verifies the server by default, and says how to trust it', async () => {
    const c = await client({ insecure: false });
    await assert.rejects(
      c.searchExperiments(),
      /TLS certificate could not be verified .*MLFLOW_TRACKING_SERVER_CERT_PATH.*MLFLOW_TRACKING_INSECURE_TLS/,
    );
    c.http.close();
  });

  it('trusts a CA from MLFLOW_TRACKING_SERVER_CERT_PATH, and presents the client certificate', async () => {
    const plain = await client({ insecure: false, serverCertPath: join(TLS, 'ca.pem') });
    assert.deepEqual(
      (await plain.searchExperiments()).map((e) => e.name),
      ['Default'],
    );
    assert.equal(seen.at(-1)?.authorized, false);
    plain.http.close();
    const mutual = await client({
      insecure: false,
      serverCertPath: join(TLS, 'ca.pem'),
      clientCertPath: join(TLS, 'client-bundle.pem'),
    });
    await mutual.searchExperiments();
    assert.equal(seen.at(-1)?.authorized, true, 'the server saw a client certificate its CA signed');
    mutual.http.close();
  });

  it('skips verification only when MLFLOW_TRACKING_INSECURE_TLS says so', async () => {
    const c = await client({ insecure: true });
    assert.equal((await c.searchExperiments()).length, 1);
    c.http.close();
    await assert.rejects(
      client({ insecure: false, serverCertPath: join(TLS, 'missing.pem') }),
      /cannot read the server certificate .*missing\.pem: ENOENT/,
    );
  });
});
