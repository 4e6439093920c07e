"""runlog.autolog() with scikit-learn: each script runs in LIBS_PYTHON (Debian's /usr/bin/python3 with
python3-sklearn), which must import sklearn: a missing library fails these tests, never skips them."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import metrics_of, of_type, params_of, read_text, tags_of  # noqa: E402


def setUpModule():
    support.require_libraries("sklearn", "numpy", "pandas")


# Shared by the scripts: data, and a way to hand results back to the test as one JSON line.
PRELUDE = '''
import json, os, sys
import runlog
STORE = os.environ["RUNLOG_DIR"]

def report(**values):
    print("RESULT " + json.dumps(values))

def only_run_id():
    runlog.flush()
    (run_id,) = os.listdir(os.path.join(STORE, "runs"))
    return run_id
'''

DATA = '''
import numpy as np
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3))
y = X @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
labels = (X[:, 0] + X[:, 1] > 0).astype(int)
X_train, X_test, y_train, y_test = X[:150], X[150:], y[:150], y[150:]
'''


class AutologTest(support.ClientTest):
    def run_script(self, source, env=None, expect_stderr=""):
        self.store = os.path.join(self.tmp, "store")
        full_env = {"RUNLOG_DIR": self.store}
        full_env.update(env or {})
        done = support.run_libs_script(PRELUDE + source, self.tmp, full_env)
        self.assertEqual(done.returncode, 0, done.stderr)
        if expect_stderr is not None:
            self.assertEqual(done.stderr, expect_stderr)
        results = [line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        self.stderr = done.stderr
        return json.loads(results[-1]) if results else {}

    def runs(self):
        """[(folder, events)] of every run, by start time."""
        found = []
        for run_id in os.listdir(os.path.join(self.store, "runs")):
            folder = os.path.join(self.store, "runs", run_id)
            found.append((folder, support.read_events(folder)))
        return sorted(found, key=lambda run: run[1][0]["ts"] if run[1] else 0)

    def by_estimator(self):
        found = {}
        for folder, events in self.runs():
            found.setdefault(tags_of(events).get("estimator_name"), []).append((folder, events))
        return found


class RegressionTest(AutologTest):
    def test_a_fit_outside_a_run_starts_one_ends_it_and_logs_params_metrics_data_and_model(self):
        result = self.run_script('''
runlog.autolog()  # before scikit-learn is imported: the import hook patches it when it is
''' + DATA + '''
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error, r2_score
import sklearn.metrics

model = Ridge(alpha=0.5).fit(X_train, y_train)
active = runlog.active_run()
train_predictions = model.predict(X_train)
predictions = model.predict(X_test)
values = {
    "mse_train": float(mean_squared_error(y_train, train_predictions)),
    "r2_train": float(r2_score(y_train, train_predictions)),
    "mse": float(mean_squared_error(y_test, predictions)),
    "mse_again": float(mean_squared_error(y_test, predictions)),
    "r2": float(r2_score(y_test, predictions)),
    "mae": float(sklearn.metrics.mean_absolute_error(y_test, predictions)),
    "score": float(model.score(X_test, y_test)),
}
run_id = only_run_id()
loaded = runlog.load_model("runs:/%s/model" % run_id)
import sklearn
report(active=active is not None, values=values, same=bool((loaded.predict(X_test) == predictions).all()),
       version=sklearn.__version__, numpy=np.__version__)
''')
        self.assertFalse(result["active"], "the run the fit started has ended")
        self.assertTrue(result["same"], "load_model gives back the fitted model")
        [(folder, events)] = self.runs()
        self.assertEqual(events[-1]["t"], "metric", "post-training metrics come after the fit's run_end")
        self.assertEqual(of_type(events, "run_end")[0]["status"], "FINISHED")
        params = params_of(events)
        self.assertEqual((params["alpha"], params["fit_intercept"], params["solver"]), ("0.5", "True", "auto"))
        self.assertEqual(tags_of(events)["estimator_class"], "sklearn.linear_model._ridge.Ridge")
        self.assertEqual(tags_of(events)["runlog.autolog"], "sklearn")
        [data] = of_type(events, "input")
        self.assertEqual((data["name"], data["path"], data["shape"]), ("X_train", os.path.join(self.tmp, "train.py"), [150, 3]))
        self.assertRegex(data["digest"], "^[0-9a-f]{64}$")
        metrics = metrics_of(events)
        values = result["values"]
        self.assertAlmostEqual(metrics["training_mean_squared_error"], values["mse_train"], places=12)
        self.assertAlmostEqual(metrics["training_root_mean_squared_error"], values["mse_train"] ** 0.5, places=12)
        self.assertAlmostEqual(metrics["training_r2_score"], values["r2_train"], places=12)
        self.assertAlmostEqual(metrics["training_score"], values["r2_train"], places=12)
        self.assertIn("training_mean_absolute_error", metrics)
        # Post-training metrics: <function>_<dataset variable>, in the fit's run although it ended.
        self.assertEqual(metrics["mean_squared_error_X_test"], values["mse"])
        self.assertEqual(metrics["mean_squared_error-2_X_test"], values["mse_again"])
        self.assertEqual(metrics["r2_score_X_test"], values["r2"])
        self.assertEqual(metrics["mean_absolute_error_X_test"], values["mae"])
        self.assertEqual(metrics["Ridge_score_X_test"], values["score"])
        self.assertEqual(metrics["mean_squared_error_X_train"], values["mse_train"])
        [model] = of_type(events, "model")
        self.assertEqual((model["name"], model["flavor"]), ("model", "sklearn"))
        self.assertEqual(sorted(f["path"] for f in model["files"]),
                         ["model/MLmodel", "model/model.pkl", "model/python_env.yaml", "model/requirements.txt"])
        self.assertEqual(json.loads(model["signature"]), {
            "inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}],
            "outputs": [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}],
        })
        requirements = read_text(os.path.join(folder, "artifacts", "model", "requirements.txt")).splitlines()
        self.assertIn("scikit-learn==%s" % result["version"], requirements)
        self.assertIn("numpy==%s" % result["numpy"], requirements)
        manifest = read_text(os.path.join(folder, "artifacts", "model", "MLmodel"))
        self.assertIn('    sklearn_version: "%s"\n' % result["version"], manifest)

    def test_the_same_data_has_the_same_digest_and_other_data_another(self):
        self.run_script(DATA + '''
runlog.autolog()
from sklearn.linear_model import LinearRegression
LinearRegression().fit(X_train, y_train)
LinearRegression().fit(X_train, y_train)
X_train[0, 0] += 1e-9
LinearRegression().fit(X_train, y_train)
''')
        digests = [of_type(events, "input")[0]["digest"] for _, events in self.runs()]
        self.assertEqual(len(digests), 3)
        self.assertEqual(digests[0], digests[1])
        self.assertNotEqual(digests[1], digests[2])


class ClassificationTest(AutologTest):
    def test_a_classifier_in_a_users_run_logs_into_it_with_a_dataframes_columns(self):
        result = self.run_script('''
runlog.autolog(log_input_examples=True)
''' + DATA + '''
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn import metrics
frame = pd.DataFrame(X, columns=["area", "rooms", "age"])
three = np.digitize(X[:, 0], [-0.5, 0.5])
with runlog.start_run(name="mine") as run:
    runlog.log_param("note", "kept")
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame, labels)
    still = runlog.active_run() is run
    logistic = LogisticRegression(max_iter=500).fit(frame, three)
probabilities = forest.predict_proba(frame)[:, 1]
report(still=still, accuracy=float(metrics.accuracy_score(labels, forest.predict(frame))),
       auc=float(metrics.roc_auc_score(labels, probabilities)),
       log_loss=float(metrics.log_loss(labels, forest.predict_proba(frame))),
       f1=float(metrics.f1_score(labels, forest.predict(frame), average="weighted")),
       ended=run.status)
''', expect_stderr=None)
        self.assertTrue(result["still"], "a fit inside a run leaves it active")
        [(folder, events)] = self.runs()
        self.assertEqual(of_type(events, "run_end")[0]["status"], "FINISHED")
        params = params_of(events)
        self.assertEqual(params["note"], "kept")
        self.assertEqual(params["n_estimators"], "5")
        self.assertEqual(params["max_iter"], "500", "the second estimator's new params are logged")
        self.assertEqual(params["random_state"], "0", "a param already logged keeps its first value")
        # ... which is said once on stderr, not raised.
        self.assertEqual(self.stderr.count("already logged with other values"), 1, self.stderr)
        metrics = [e for e in events if e["t"] == "metric"]
        first = {e["key"]: e["value"] for e in metrics if e["step"] == 0}
        self.assertAlmostEqual(first["training_accuracy_score"], result["accuracy"], places=12)
        self.assertAlmostEqual(first["training_score"], result["accuracy"], places=12)
        self.assertAlmostEqual(first["training_roc_auc"], result["auc"], places=12)
        self.assertAlmostEqual(first["training_log_loss"], result["log_loss"], places=12)
        self.assertAlmostEqual(first["training_f1_score"], result["f1"], places=12)
        for key in ("training_precision_score", "training_recall_score"):
            self.assertIn(key, first)
        # The second fit's metrics are the next points of the same keys; a 3-class problem has roc_auc too.
        second = {e["key"]: e["value"] for e in metrics if e["step"] == 1}
        self.assertLessEqual({"training_accuracy_score", "training_log_loss", "training_roc_auc"}, set(second))
        inputs = of_type(events, "input")
        self.assertEqual([(i["name"], i["shape"], i["columns"]) for i in inputs],
                         [("frame", [200, 3], ["area", "rooms", "age"])] * 2)
        models = {m["name"]: m for m in of_type(events, "model")}
        self.assertEqual(sorted(models), ["model", "model_2"], "a second fit in the run keeps the first model")
        signature = json.loads(models["model"]["signature"])
        self.assertEqual(signature["inputs"], [{"name": "area", "type": "double"}, {"name": "rooms", "type": "double"},
                                               {"name": "age", "type": "double"}])
        self.assertEqual(signature["outputs"], [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}])
        example = json.loads(read_text(os.path.join(folder, "artifacts", "model", "input_example.json")))
        self.assertEqual(example["columns"], ["area", "rooms", "age"])
        self.assertEqual(len(example["data"]), 5)

    def test_a_clusterer_logs_what_applies(self):
        self.run_script(DATA + '''
runlog.autolog()
from sklearn.cluster import KMeans
KMeans(n_clusters=3, n_init=3, random_state=0).fit(X)
''')
        [(_, events)] = self.runs()
        metrics = metrics_of(events)
        self.assertEqual(sorted(k for k in metrics if k.startswith("training_")), [
            "training_calinski_harabasz_score", "training_davies_bouldin_score", "training_inertia",
            "training_silhouette_score"])
        self.assertEqual(params_of(events)["n_clusters"], "3")


class PipelineTest(AutologTest):
    def test_a_pipeline_logs_once_with_its_steps_params(self):
        result = self.run_script('''
runlog.autolog()
''' + DATA + '''
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
StandardScaler().fit(X)  # data preparation alone starts no run
pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2)), ("clf", LogisticRegression(C=0.5))])
pipe.fit(X[:150], labels[:150])
held_out = X[150:]
report(accuracy=float(accuracy_score(labels[150:], pipe.predict(held_out))))
''')
        runs = self.by_estimator()
        self.assertEqual(list(runs), ["Pipeline"], "one run: the steps' fits log nothing of their own")
        [(_, events)] = runs["Pipeline"]
        params = params_of(events)
        self.assertEqual((params["scale__with_mean"], params["pca__n_components"], params["clf__C"]), ("True", "2", "0.5"))
        metrics = metrics_of(events)
        self.assertIn("training_accuracy_score", metrics)
        self.assertEqual(metrics["accuracy_score_held_out"], result["accuracy"])
        self.assertEqual(len(of_type(events, "model")), 1)


class SearchTest(AutologTest):
    def test_a_grid_search_logs_the_best_and_each_candidate_as_a_child_run(self):
        result = self.run_script('''
runlog.autolog()
''' + DATA + '''
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.linear_model import LogisticRegression
grid = GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0, 10.0], "fit_intercept": [True, False]}, cv=3)
grid.fit(X, labels)
with runlog.start_run(name="search") as mine:
    RandomizedSearchCV(LogisticRegression(), {"C": [0.01, 0.1, 1.0, 10.0]}, n_iter=2, cv=2, random_state=0).fit(X, labels)
report(best=grid.best_params_, best_score=float(grid.best_score_),
       scores=[float(v) for v in grid.cv_results_["mean_test_score"]],
       candidates=[{k: v for k, v in p.items()} for p in grid.cv_results_["params"]], mine=mine.id)
''')
        runs = self.runs()
        self.assertEqual(len(runs), 1 + 6 + 1 + 2, "the grid's run, its 6 candidates, mine and its 2 candidates")
        grid_folder, grid_events = next(r for r in runs if tags_of(r[1]).get("estimator_name") == "GridSearchCV")
        grid_id = grid_events[0]["run_id"]
        params = params_of(grid_events)
        self.assertEqual((params["best_C"], params["best_fit_intercept"]),
                         (str(result["best"]["C"]), str(result["best"]["fit_intercept"])))
        self.assertEqual(params["cv"], "3")
        self.assertNotIn("estimator__C", params, "a search's own params are not deep")
        self.assertEqual(metrics_of(grid_events)["best_cv_score"], result["best_score"])
        self.assertEqual(sorted(m["name"] for m in of_type(grid_events, "model")), ["best_estimator", "model"])
        table = read_text(os.path.join(grid_folder, "artifacts", "cv_results.csv")).splitlines()
        self.assertEqual(len(table), 7)
        self.assertIn("mean_test_score", table[0].split(","))
        children = [events for _, events in runs if events[0].get("parent_run_id") == grid_id]
        self.assertEqual(len(children), 6)
        seen = []
        for events in children:
            params = params_of(events)
            metrics = metrics_of(events)
            candidate = {"C": float(params["C"]), "fit_intercept": params["fit_intercept"] == "True"}
            index = result["candidates"].index(candidate)
            seen.append(index)
            self.assertEqual(metrics["mean_test_score"], result["scores"][index])
            self.assertIn("rank_test_score", metrics)
            self.assertIn("std_test_score", metrics)
            self.assertEqual(params["max_iter"], "200", "the seed estimator's other params")
            self.assertEqual(tags_of(events)["estimator_name"], "LogisticRegression")
            self.assertNotIn("runlog.git", tags_of(events), "no code state of its own: its parent's")
            self.assertEqual(of_type(events, "git") + of_type(events, "environment"), [])
            self.assertEqual(of_type(events, "run_end")[0]["status"], "FINISHED")
        self.assertEqual(sorted(seen), list(range(6)))
        mine = [events for _, events in runs if events[0].get("parent_run_id") == result["mine"]]
        self.assertEqual(len(mine), 2, "a randomized search's candidates, children of the user's run")


class NeverBreaksTrainingTest(AutologTest):
    def test_a_failing_patch_is_said_once_and_the_fit_goes_on_unchanged(self):
        result = self.run_script(DATA + '''
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression

class Stubborn(BaseEstimator, RegressorMixin):
    def __init__(self, k=1):
        self.k = k
    def get_params(self, deep=True):
        raise RuntimeError("no params today")
    def fit(self, X, y):
        self.mean_ = float(np.mean(y)) * self.k
        return self
    def predict(self, X):
        return np.full(len(X), self.mean_)

runlog.autolog()
fitted = [Stubborn().fit(X, y).mean_ for _ in range(2)]
plain = LinearRegression().fit(X, y).coef_.tolist()
try:
    LinearRegression().fit(X, y[:10])
except ValueError as error:
    message = str(error)
runlog.autolog(disable=True)
unpatched = LinearRegression.fit.__dict__.get("_runlog_autolog", False)
try:
    LinearRegression().fit(X, y[:10])
except ValueError as error:
    original_message = str(error)
report(fitted=fitted, expected=float(np.mean(y)), coef=plain,
       reference=LinearRegression().fit(X, y).coef_.tolist(), message=message, original=original_message,
       unpatched=not unpatched, hooks=[type(f).__name__ for f in sys.meta_path if "runlog" in type(f).__module__])
''', expect_stderr=None)
        self.assertEqual(result["fitted"], [result["expected"]] * 2, "the fit's result is the user's")
        self.assertEqual(result["coef"], result["reference"])
        self.assertEqual(result["message"], result["original"], "the fit's own exception, unchanged")
        self.assertTrue(result["unpatched"])
        self.assertEqual(result["hooks"], [], "the import hook is gone")
        self.assertEqual(self.stderr.count("runlog: autolog (sklearn) could not log the params of Stubborn"), 1,
                         self.stderr)
        self.assertIn("RuntimeError: no params today", self.stderr)
        statuses = sorted((tags_of(e).get("estimator_name"), of_type(e, "run_end")[0]["status"]) for _, e in self.runs())
        self.assertEqual(statuses, [("LinearRegression", "FAILED"), ("LinearRegression", "FINISHED"),
                                    ("Stubborn", "FINISHED"), ("Stubborn", "FINISHED")])
        failed = next(e for _, e in self.runs() if of_type(e, "run_end")[0]["status"] == "FAILED")
        self.assertIn("ValueError", of_type(failed, "run_end")[0]["error"])

    def test_silent_says_nothing(self):
        self.run_script(DATA + '''
from sklearn.base import BaseEstimator
class Stubborn(BaseEstimator):
    def get_params(self, deep=True):
        raise RuntimeError("no params today")
    def fit(self, X, y=None):
        return self
runlog.autolog(silent=True)
Stubborn().fit(X)
''', expect_stderr="")

    def test_exclusive_leaves_the_users_runs_alone(self):
        self.run_script(DATA + '''
runlog.autolog(exclusive=True)
from sklearn.linear_model import LinearRegression
with runlog.start_run(name="mine"):
    LinearRegression().fit(X, y)
LinearRegression().fit(X, y)
''')
        names = sorted(tags_of(events).get("estimator_name", events[0]["name"]) for _, events in self.runs())
        self.assertEqual(names, ["LinearRegression", "mine"])
        mine = next(events for _, events in self.runs() if events[0]["name"] == "mine")
        self.assertEqual(params_of(mine), {})
        self.assertEqual(metrics_of(mine), {})

    def test_in_a_launched_script_fits_log_into_the_editors_run_and_never_end_it(self):
        store = os.path.join(self.tmp, "store")
        run_dir = os.path.join(store, "runs", "r-editor")
        os.makedirs(run_dir)
        with open(os.path.join(run_dir, "events.jsonl"), "w", encoding="utf-8") as handle:
            handle.write('{"t":"run_start","ts":1,"run_id":"r-editor","name":"n","experiment":"e"}\n')
        self.run_script(DATA + '''
runlog.autolog()
from sklearn.linear_model import LinearRegression, Lasso
LinearRegression().fit(X, y)
Lasso().fit(X, y)
''', env={"RUNLOG_RUN_ID": "r-editor"}, expect_stderr=None)
        [(folder, events)] = self.runs()
        self.assertEqual(os.path.basename(folder), "r-editor")
        self.assertEqual(of_type(events, "run_end"), [], "the editor ends its run")
        self.assertEqual(sorted(m["name"] for m in of_type(events, "model")), ["model", "model_2"])


if __name__ == "__main__":
    unittest.main()
