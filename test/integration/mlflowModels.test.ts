import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ModelsTreeNode } from '../../src/views/modelsTreeProvider';
import { api, dropStoreDir, labelOf, screenshot, storedRun, useStoreDir, waitFor, workspaceFolder } from './helpers';

// MLflow's client as it speaks to a tracking server, replayed with urllib (no mlflow package offline):
// the requests and bodies of mlflow 3.x's store/tracking/rest_store.py, model_registry/rest_store.py,
// models/model.py (Model.log), tracking/fluent.py and the mlflow-artifacts repository, read at
// mlflow/mlflow 0026b08d (3.x) and for MLflow 2's log_model at v2.22. Every response field the
// client reads is checked here; a failed check exits 1 with the reason.
const SCRIPT = String.raw`import io, json, os, pickle, time, urllib.error, urllib.parse, urllib.request

URI = os.environ["MLFLOW_TRACKING_URI"]
TOKEN = os.environ["MLFLOW_TRACKING_TOKEN"]
RUN_ID = os.environ["MLFLOW_RUN_ID"]


def request(method, url, data=None, content_type=None):
    headers = {"Authorization": "Bearer " + TOKEN}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def call(method, path, body=None, query=None, expect=200):
    url = URI + "/api/2.0/mlflow/" + path + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    status, raw = request(method, url, data, "application/json" if data is not None else None)
    answer = json.loads(raw or b"{}")
    assert status == expect, "%s %s: %s %s" % (method, path, status, answer)
    return answer


def artifact_url(uri, path):
    # MlflowArtifactsRepository: mlflow-artifacts:/<path> -> <tracking>/api/2.0/mlflow-artifacts/artifacts/<path>
    base = uri[len("mlflow-artifacts:"):].lstrip("/")
    return URI + "/api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(base + "/" + path)


def upload(uri, path, data):
    status, raw = request("PUT", artifact_url(uri, path), data, "application/octet-stream")
    assert status == 200, "PUT %s: %s %s" % (path, status, raw)


def download(uri, path):
    status, raw = request("GET", artifact_url(uri, path))
    assert status == 200, "GET %s: %s" % (path, status)
    return raw


try:
    from sklearn.linear_model import LinearRegression
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 2.0, 4.0])
except ImportError:  # the interpreter on PATH may have no sklearn: the wire protocol is the same
    model = {"coef": [2.0]}
pickled = pickle.dumps(model)
now = lambda: int(time.time() * 1000)

# start_run() joining MLFLOW_RUN_ID, params and metrics as autolog logs them.
run = call("GET", "runs/get", query={"run_id": RUN_ID})["run"]
experiment_id = run["info"]["experiment_id"]
artifact_uri = run["info"]["artifact_uri"]
call("POST", "runs/update", {"run_id": RUN_ID, "run_uuid": RUN_ID, "status": "RUNNING"})
call("POST", "runs/log-batch", {"run_id": RUN_ID, "params": [{"key": "fit_intercept", "value": "True"}],
                                "tags": [{"key": "estimator_name", "value": "LinearRegression"}]})
call("POST", "runs/log-batch", {"run_id": RUN_ID, "metrics": [
    {"key": "training_r2_score", "value": 1.0, "timestamp": 1733500000000, "step": 0},
    {"key": "training_mse", "value": 0.0, "timestamp": 1733500000000, "step": 0}]})

# mlflow.log_image(image, key="pred", step=s): images/<key>%step%<s>%timestamp%<ms>%<uuid>.png (+ webp).
for step in range(2):
    stem = "pred%%step%%%d%%timestamp%%%d%%%s" % (step, 1733500000000 + step, "6b1f0c2d" * 4)
    upload(artifact_uri, "images/%s.png" % stem, b"\x89PNG image")
    upload(artifact_uri, "images/%s%%compressed.webp" % stem, b"RIFF webp")
call("POST", "runs/set-tag", {"run_id": RUN_ID, "key": "mlflow.loggedImages", "value": "True"})
listed = call("GET", "artifacts/list", query={"run_id": RUN_ID, "path": "images"})
names = sorted(f["path"] for f in listed["files"])
assert "images/pred%step%0%timestamp%1733500000000%" + "6b1f0c2d" * 4 + ".png" in names, names
assert len(names) == 4, names
assert all(not f["is_dir"] and f["file_size"] > 0 for f in listed["files"]), listed

# mlflow.log_table(df, "eval.json"): orient="split" JSON, and the run's mlflow.loggedArtifacts tag.
upload(artifact_uri, "eval.json", json.dumps({"columns": ["x", "y"], "data": [[0, 0.0], [1, 2.0]]}).encode())
call("POST", "runs/set-tag", {"run_id": RUN_ID, "key": "mlflow.loggedArtifacts",
                              "value": json.dumps([{"path": "eval.json", "type": "table"}])})
assert json.loads(download(artifact_uri, "eval.json"))["columns"] == ["x", "y"]

# MLflow 2's log_model: the model folder's uploads, then runs/log-model with the MLmodel as JSON.
mlmodel2 = "artifact_path: model2\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n"
upload(artifact_uri, "model2/MLmodel", mlmodel2.encode())
upload(artifact_uri, "model2/model.pkl", pickled)
call("POST", "runs/log-model", {"run_id": RUN_ID, "model_json": json.dumps({
    "artifact_path": "model2", "run_id": RUN_ID, "utc_time_created": "2026-12-07 04:00:00.000000",
    "flavors": {"python_function": {"loader_module": "mlflow.sklearn"}, "sklearn": {"pickled_model": "model.pkl"}},
    "model_uuid": "0f3c9a"})})

# MLflow 3's log_model (Model.log): create, params, outputs, the run's metrics again with the
# model's id, get, uploads under its artifact_uri, finalize.
def log_model(name):
    created = call("POST", "logged-models", {"experiment_id": experiment_id, "name": name, "model_type": "",
                                             "source_run_id": RUN_ID, "params": [], "tags": []})["model"]
    info = created["info"]
    assert info["model_id"].startswith("m-") and info["status"] == "LOGGED_MODEL_PENDING", info
    assert info["experiment_id"] == experiment_id and info["name"] == name, info
    model_id = info["model_id"]
    call("POST", "logged-models/%s/params" % model_id, {"model_id": model_id,
                                                      "params": [{"key": "fit_intercept", "value": "True"}]})
    call("POST", "runs/outputs", {"run_id": RUN_ID, "models": [{"model_id": model_id, "step": 0}]})
    history = call("GET", "metrics/get-history", query={"run_id": RUN_ID, "metric_key": "training_mse"})
    call("POST", "runs/log-batch", {"run_id": RUN_ID, "metrics": [
        dict(m, model_id=model_id, run_id=RUN_ID) for m in history["metrics"]]})
    got = call("GET", "logged-models/" + model_id)["model"]["info"]
    uri = got["artifact_uri"]
    mlmodel = "artifact_path: %s\nflavors:\n  sklearn:\n    pickled_model: model.pkl\nmodel_id: %s\n" % (name, model_id)
    upload(uri, "MLmodel", mlmodel.encode())
    upload(uri, "model.pkl", pickled)
    upload(uri, "requirements.txt", b"scikit-learn\n")
    final = call("PATCH", "logged-models/" + model_id, {"model_id": model_id, "status": "LOGGED_MODEL_READY"})
    assert final["model"]["info"]["status"] == "LOGGED_MODEL_READY", final
    return model_id, uri


model_id, model_uri = log_model("model")
# registered_model_name="prices": register_model("models:/<id>"), which searches and tags the model.
call("POST", "registered-models/create", {"name": "prices"})
call("POST", "registered-models/create", {"name": "prices"}, expect=400)  # RESOURCE_ALREADY_EXISTS is fine
version = call("POST", "model-versions/create", {"name": "prices", "source": "models:/" + model_id,
                                                 "run_id": RUN_ID, "model_id": model_id})["model_version"]
assert version["version"] == "1" and version["status"] == "READY", version
assert call("GET", "model-versions/get", query={"name": "prices", "version": "1"})["model_version"]["status"] == "READY"
call("PATCH", "logged-models/%s/tags" % model_id, {"model_id": model_id, "tags": [
    {"key": "mlflow.modelVersions", "value": json.dumps([{"name": "prices", "version": "1"}])}]})
found = call("POST", "logged-models/search", {"experiment_ids": [experiment_id], "filter": "name = 'model'",
                                               "max_results": 10})
assert [m["info"]["model_id"] for m in found["models"]] == [model_id], found

# Aliases, stages and tags, then load_model("models:/prices@champion") and ("models:/prices/1").
call("POST", "registered-models/alias", {"name": "prices", "alias": "champion", "version": "1"})
assert call("GET", "registered-models/alias", query={"name": "prices", "alias": "champion"})["model_version"]["version"] == "1"
call("POST", "model-versions/set-tag", {"name": "prices", "version": "1", "key": "validated", "value": "yes"})
moved = call("POST", "model-versions/transition-stage", {"name": "prices", "version": "1", "stage": "staging",
                                                        "archive_existing_versions": False})["model_version"]
assert moved["current_stage"] == "Staging", moved
latest = call("POST", "registered-models/get-latest-versions", {"name": "prices", "stages": ["Staging"]})
assert [v["version"] for v in latest["model_versions"]] == ["1"], latest
download_uri = call("GET", "model-versions/get-download-uri", query={"name": "prices", "version": "1"})["artifact_uri"]
assert download_uri == model_uri, (download_uri, model_uri)
assert b"model_id: " + model_id.encode() in download(download_uri, "MLmodel")
assert pickle.loads(download(download_uri, "model.pkl")) is not None

# A second logged model, left unregistered for the editor's Models view.
other_id, _ = log_model("candidate")

# search_runs, as MlflowClient.search_runs sends it.
runs = call("POST", "runs/search", {"experiment_ids": [experiment_id], "filter": "params.fit_intercept = 'True'",
                                     "run_view_type": "ACTIVE_ONLY", "max_results": 1000,
                                     "order_by": ["metrics.training_mse ASC"]})["runs"]
assert RUN_ID in [r["info"]["run_id"] for r in runs], runs
call("POST", "runs/update", {"run_id": RUN_ID, "run_uuid": RUN_ID, "status": "FINISHED", "end_time": now()})
print(json.dumps({"registered": model_id, "unregistered": other_id}))
`;

describe("MLflow's client, replayed: log_model, the registry, log_image and log_table", function () {
  this.timeout(180_000);
  let storeDir: string;
  let folder: string;

  before(async () => {
    folder = join(workspaceFolder().uri.fsPath, 'mlflow-models');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'log_models.py'), SCRIPT);
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-mlflow-models-'));
    await useStoreDir(storeDir);
  });

  after(async () => {
    await dropStoreDir(storeDir);
    await rm(folder, { recursive: true, force: true });
  });

  it('every call answers what the client reads; the logged models show under the run and in the Models view', async () => {
    const { launcher, models, runs } = await api();
    const script = vscode.Uri.file(join(folder, 'log_models.py'));
    const [id] = await launcher.launchWith(script, { values: {}, extra: [] }, false);
    assert.ok(id);
    const details = await waitFor('the replayed MLflow run to end', async () => {
      const d = await storedRun(id);
      return d && d.exitCode !== null ? d : undefined;
    });
    assert.equal(details.exitCode, 0, `the replay's checks failed: ${details.error ?? ''}`);
    assert.equal(details.status, 'FINISHED');
    assert.deepEqual(details.rejected, []);
    assert.deepEqual(
      details.models.map((m) => [m.name, m.flavor]),
      [['model2', 'sklearn']],
    );
    assert.deepEqual(details.loggedModels.map((m) => [m.name, m.status, m.source, m.outputStep]).sort(), [
      ['candidate', 'READY', true, 0],
      ['model', 'READY', true, 0],
    ]);
    assert.equal(details.metrics.find((m) => m.key === 'training_mse')?.count, 1, 'no point twice');
    assert.ok(details.artifacts.some((a) => a.path.startsWith('images/pred%step%1%timestamp%')));

    // The Models view: prices v1, and the candidate under Not registered.
    const unregistered = async (): Promise<Extract<ModelsTreeNode, { kind: 'loggedModel' }>[]> => {
      models.refresh();
      const group = (await models.getChildren()).find((n) => n.kind === 'unregistered');
      if (!group) return [];
      return (await models.getChildren(group)).filter(
        (n): n is Extract<ModelsTreeNode, { kind: 'loggedModel' }> => n.kind === 'loggedModel',
      );
    };
    const candidates = await waitFor('the unregistered logged model in the Models view', async () => {
      const list = await unregistered();
      return list.length > 0 ? list : undefined;
    });
    assert.deepEqual(
      candidates.map((n) => labelOf(models.getTreeItem(n))),
      ['candidate'],
    );
    const item = models.getTreeItem(candidates[0]);
    assert.match(String(item.description), /ready/);
    // Its files are listed under it, and each opens the file the endpoint stored.
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const files = await models.getChildren(candidates[0]);
    assert.ok(files.length > 0, 'the logged model has files');
    for (const file of files) {
      const fileItem = models.getTreeItem(file);
      const target = fileItem.command?.arguments?.[0] as vscode.Uri | undefined;
      assert.equal(fileItem.command?.command, 'vscode.open', labelOf(fileItem));
      assert.ok(target && existsSync(target.fsPath), `${labelOf(fileItem)} opens ${target?.fsPath}`);
    }
    const roots = await models.getChildren();
    const prices = roots.find((n) => n.kind === 'model' && n.model.name === 'prices');
    assert.ok(prices && prices.kind === 'model');
    assert.equal(prices.model.versions[0]?.stage, 'Staging');
    assert.deepEqual(prices.model.versions[0]?.tags, { validated: 'yes' });
    const [v1] = await models.getChildren(prices);
    assert.match(String(models.getTreeItem(v1).description), /^@champion · Staging · /);
    await vscode.commands.executeCommand('runlog.models.focus');
    await screenshot('mlflow-logged-models');

    // Under its run: the Models section lists MLflow 2's model and both logged models.
    runs.refresh();
    const runNode = await waitFor('the run in the Runs view', async () => {
      for (const experiment of await runs.getChildren()) {
        const found = (await runs.getChildren(experiment)).find((n) => n.kind === 'run' && n.run.id === id);
        if (found) return found;
      }
      return undefined;
    });
    const section = (await runs.getChildren(runNode)).find((n) => labelOf(runs.getTreeItem(n)) === 'Models');
    assert.ok(section, 'a Models section under the run');
    const rows = (await runs.getChildren(section)).map((n) => {
      const item = runs.getTreeItem(n);
      return `${labelOf(item)}: ${String(item.description)}`;
    });
    assert.deepEqual(rows.sort(), [
      'candidate: ready · logged at step 0',
      'model2: sklearn · 2 files',
      'model: ready · logged at step 0',
    ]);
    await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [id] });

    // Register Logged Model… from the editor: a version of the candidate, and it leaves Not registered.
    const version = await vscode.commands.executeCommand<number | undefined>('runlog.registerLoggedModel', {
      modelId: candidates[0]?.model.id,
      name: 'prices',
    });
    assert.equal(version, 2);
    await waitFor('the candidate registered', async () => ((await unregistered()).length === 0 ? true : undefined));
    await screenshot('mlflow-logged-model-registered');
  });
});
