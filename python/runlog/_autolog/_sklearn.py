"""scikit-learn autologging, with MLflow's names.

Every ``fit`` (also ``fit_transform``, ``fit_predict``) of an estimator, pipeline or parameter search
logs, into the active run or into a run it starts and ends:

- params: ``get_params(deep=True)`` (a pipeline's as ``step__param``; a search's not deep, plus
  ``best_<param>``); tags ``estimator_name``, ``estimator_class``, ``runlog.autolog`` = ``sklearn``;
- training metrics, ``training_`` + MLflow's names: classifiers ``accuracy_score``,
  ``precision_score``, ``recall_score``, ``f1_score`` (weighted), ``log_loss`` and ``roc_auc`` when
  it has ``predict_proba``; regressors ``mean_squared_error``, ``root_mean_squared_error``,
  ``mean_absolute_error``, ``r2_score``; both ``score``; clusterers ``silhouette_score``,
  ``calinski_harabasz_score``, ``davies_bouldin_score`` (when 2 ≤ clusters < samples) and
  ``inertia``;
- the training data as an ``input`` (its variable's name, the script, shape, columns, digest);
- the fitted model (``runlog.sklearn.log_model``, ``model``; a search's best estimator as
  ``best_estimator``) with a signature inferred from the first rows;
- for ``GridSearchCV`` / ``RandomizedSearchCV``: ``best_cv_score``, ``cv_results.csv``, and each
  candidate as a child run (its params, ``mean_test_score``, ``rank_test_score``, …).

Fits inside an autologged fit (a pipeline's steps, a search's candidates) log nothing of their own.
Post-training metrics: a ``sklearn.metrics`` function called on the predictions of an autologged
model logs ``<function>_<dataset>`` in the model's run (``<function>-2_<dataset>`` the second time),
``<dataset>`` being the name of the variable passed to ``predict``; ``model.score(X_test, …)`` logs
``<Class>_score_X_test``.

Estimator classes are patched as they are defined (``BaseEstimator.__init_subclass__``) and those
already defined when autolog starts, so scikit-learn's modules are never imported just to patch
them.
"""

import csv
import inspect
import io
import math
import os
import sys
import threading
import warnings
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import _journal
from . import _core, _data

NAME = "sklearn"
FIT_METHODS = ("fit", "fit_transform", "fit_predict")
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba")
# Data preparation, not models: their fits start no run of their own (as in MLflow).
EXCLUDED_MODULES = ("sklearn.preprocessing", "sklearn.impute", "sklearn.feature_extraction", "sklearn.feature_selection")
EXCLUDED_CLASSES = ("ColumnTransformer",)
METRIC_SUFFIXES = ("_score", "_error", "_loss", "_deviance")
METRIC_NAMES = ("matthews_corrcoef",)
SILHOUETTE_SAMPLE = 2000
UNKNOWN_DATASET = "unknown_dataset"

# While an autologged call runs (in any thread), fits and predictions inside it are the library's own.
_depth_lock = threading.Lock()
_depth = 0
# Autologged models: id(model) -> (weak reference, run); predictions: id(array) -> (weakref, run, dataset)
_models: Dict[int, Tuple[Any, Any]] = {}
_predictions: Dict[int, Tuple[Any, Any, str]] = {}
# Per run: dataset name -> ids of the objects given that name; metric key -> calls so far
_dataset_names: "weakref.WeakKeyDictionary[Any, Dict[str, List[int]]]" = weakref.WeakKeyDictionary()
_metric_calls: "weakref.WeakKeyDictionary[Any, Dict[str, int]]" = weakref.WeakKeyDictionary()
_original_metrics: Dict[int, Any] = {}  # id(original function) -> wrapper


class _Inside:
    """Marks an autologged call as running, so calls inside it are left alone."""

    def __enter__(self) -> None:
        global _depth
        with _depth_lock:
            _depth += 1

    def __exit__(self, *exc: Any) -> None:
        global _depth
        with _depth_lock:
            _depth -= 1


def _active() -> bool:
    return _core.settings.enabled and _depth == 0


# --- patching ---------------------------------------------------------------------------------------


def setup(base_module: Any) -> None:
    """Called once ``sklearn.base`` is imported: patches the estimators defined so far and every one
    defined later."""
    _core.patch_subclasses(NAME, base_module.BaseEstimator, _patch_class)


def _excluded(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module.startswith(EXCLUDED_MODULES) or cls.__name__ in EXCLUDED_CLASSES


def _descriptor_fn(attr: Any) -> bool:
    """scikit-learn's ``available_if`` descriptors keep the method as ``fn``."""
    return type(attr).__name__.endswith("Descriptor") and callable(getattr(attr, "fn", None))


def _patch_method(cls: type, name: str, make: Callable[[Any], Any]) -> None:
    attr = cls.__dict__.get(name)
    if inspect.isfunction(attr):
        _core.patch(NAME, cls, name, make)
    elif _descriptor_fn(attr):
        _core.patch(NAME, attr, "fn", make)


def _patch_class(cls: type) -> None:
    if _excluded(cls):
        return
    for name in FIT_METHODS:
        _patch_method(cls, name, _fit_wrapper)


def _patch_predictions(model_class: type) -> None:
    """Patches where ``predict``, ``predict_proba``, ``predict_log_proba`` and ``score`` of a model's
    class are defined (often a mixin), for the post-training metrics."""
    for name in PREDICT_METHODS + ("score",):
        owner = next((c for c in model_class.__mro__ if name in c.__dict__), None)
        if owner is not None and owner is not object:
            _patch_method(owner, name, _score_wrapper if name == "score" else _predict_wrapper)


def setup_metrics(metrics_module: Any) -> None:
    """Called once ``sklearn.metrics`` is imported: wraps its metric functions, and rebinds them in
    modules that imported them by name before autolog started."""
    for name in dir(metrics_module):
        if not (name.endswith(METRIC_SUFFIXES) or name in METRIC_NAMES):
            continue
        original = getattr(metrics_module, name)
        if not inspect.isfunction(original) or getattr(original, "_runlog_autolog", False):
            continue
        _core.patch(NAME, metrics_module, name, _metric_wrapper)
        _original_metrics[id(original)] = getattr(metrics_module, name)
    for module in list(sys.modules.values()):
        module_name = getattr(module, "__name__", "") or ""
        if module is None or module_name.startswith(("sklearn", "runlog")):
            continue
        try:
            names = [(key, value) for key, value in vars(module).items() if id(value) in _original_metrics]
        except TypeError:
            continue
        for key, value in names:
            try:
                if getattr(module, key, None) is value:
                    wrapper = _original_metrics[id(value)]
                    _core.patch(NAME, module, key, lambda original, wrapper=wrapper: wrapper)
            except Exception:  # noqa: BLE001 - a module that refuses the new binding keeps the original
                continue


# --- fit ------------------------------------------------------------------------------------------


def _fit_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    @_core.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _active() or _excluded(type(self)):
            return original(self, *args, **kwargs)
        try:
            session = _FitSession.begin(self, original, args, kwargs, sys._getframe(1))
        except Exception as exc:  # noqa: BLE001
            _core.report(NAME, "start logging the fit of %s" % type(self).__name__, exc)
            session = None
        with _Inside():  # the fits inside this one (steps, candidates) are not logged on their own
            if session is None:
                return original(self, *args, **kwargs)
            try:
                result = original(self, *args, **kwargs)
            except BaseException as exc:
                session.failed(exc)
                raise
            session.finish()
        return result

    return fit


class _FitSession:
    """One autologged fit: what is logged before it runs and after it returns."""

    def __init__(self, estimator: Any, run: Any, owned: bool, X: Any, y: Any, weight: Any, frame: Any) -> None:
        self.estimator, self.run, self.owned = estimator, run, owned
        self.X, self.y, self.weight, self.frame = X, y, weight, frame
        self.predicted: Any = None  # the training data's predictions, once the metrics made them

    @classmethod
    def begin(cls, estimator: Any, fit: Callable[..., Any], args: tuple, kwargs: dict, frame: Any) -> Optional["_FitSession"]:
        run, owned = _core.current_run()
        if run is None:
            return None
        X, y, weight = _fit_arguments(fit, args, kwargs)
        session = cls(estimator, run, owned, X, y, weight, frame)
        session._safely("log the params of %s" % type(estimator).__name__, session._log_params)
        if _core.settings.log_datasets:
            session._safely("log the training data", session._log_dataset)
        return session

    def _safely(self, what: str, step: Callable[[], None]) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                step()
        except Exception as exc:  # noqa: BLE001
            _core.report(NAME, what, exc)

    def _log_params(self) -> None:
        estimator = self.estimator
        self.run.set_tags({
            "estimator_name": type(estimator).__name__,
            "estimator_class": "%s.%s" % (type(estimator).__module__, type(estimator).__name__),
            "runlog.autolog": NAME,
        })
        params = estimator.get_params(deep=not _is_search(estimator))
        _log_new_params(self.run, dict(params))

    def _log_dataset(self) -> None:
        if self.X is None:
            return
        found = _data.describe(self.X, self.y)
        name = _core.caller_variable(self.X, self.frame, "dataset")
        source = getattr(sys.modules.get("__main__"), "__file__", None)
        fields: Dict[str, Any] = {"name": name, "path": os.path.abspath(source) if source else "<python>"}
        fields.update(found)
        self.run._write("input", fields)

    def failed(self, exc: BaseException) -> None:
        """The fit raised: a run autolog started ends FAILED (the exception goes on to the caller)."""
        if not self.owned:
            return
        try:
            status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            self.run.end(status, error="%s: %s" % (type(exc).__name__, exc))
        except Exception as error:  # noqa: BLE001
            _core.report(NAME, "end the run of a failed fit", error)

    def finish(self) -> None:
        estimator = self.estimator
        label = type(estimator).__name__
        self._safely("log the training metrics of %s" % label, self._log_metrics)
        if _is_search(estimator):
            self._safely("log the results of %s" % label, self._log_search)
        if _core.settings.log_models:
            self._safely("log the model %s" % label, self._log_models)
        try:
            _models[id(estimator)] = (weakref.ref(estimator), self.run)
            _patch_predictions(type(estimator))
        except Exception as exc:  # noqa: BLE001 - a model that takes no weak reference gets no post-training metrics
            _core.report(NAME, "follow the predictions of %s" % label, exc)
        if self.owned:
            try:
                self.run.end("FINISHED")
            except Exception as exc:  # noqa: BLE001
                _core.report(NAME, "end the run it started", exc)

    def _log_metrics(self) -> None:
        metrics, self.predicted = training_metrics(self.estimator, self.X, self.y, self.weight)
        if metrics:
            self.run.log_metrics(metrics)

    def _log_models(self) -> None:
        from .. import _model, sklearn as runlog_sklearn

        estimator = self.estimator
        models = [("model", estimator)]
        if _is_search(estimator) and hasattr(estimator, "best_estimator_"):
            models.append(("best_estimator", estimator.best_estimator_))
        first = _data.head(self.X) if self.X is not None else None
        signature = example = None
        if first is not None:
            predict = getattr(estimator, "predict", None)
            if self.predicted is not None:  # the training predictions' first rows: no second predict
                head = _data.head(self.predicted)
                predict = lambda rows: head  # noqa: E731
            try:
                signature = _data.signature(first, predict if callable(predict) else None)
            except Exception as exc:  # noqa: BLE001 - the model is logged without a signature
                _core.report(NAME, "infer the signature of %s" % type(estimator).__name__, exc)
            if _core.settings.log_input_examples:
                example = _data.input_example(first)
        for name, model in models:
            runlog_sklearn.log_to(self.run, model, _model.unique_name(self.run.dir, name), signature, example)

    def _log_search(self) -> None:
        search = self.estimator
        if hasattr(search, "best_params_"):
            _log_new_params(self.run, {"best_%s" % key: value for key, value in search.best_params_.items()})
        if hasattr(search, "best_score_"):
            self.run.log_metric("best_cv_score", float(search.best_score_))
        results = getattr(search, "cv_results_", None)
        if not results:
            return
        self._log_cv_results(results)
        from .. import _api

        seed = search.estimator
        base = seed.get_params(deep=not _is_search(seed))
        tags = {
            "estimator_name": type(seed).__name__,
            "estimator_class": "%s.%s" % (type(seed).__module__, type(seed).__name__),
            "runlog.autolog": NAME,
        }
        count = len(results["params"])
        stack_top = _api.active_run()
        if stack_top is not self.run:
            return  # candidates are children of the search's run, which must be the active one
        for index in range(count):
            params = dict(base)
            params.update(results["params"][index])
            metrics = {}
            for key, values in results.items():
                if key.startswith(("param", "split")):
                    continue
                try:
                    value = float(values[index])
                except (TypeError, ValueError):
                    continue
                metrics[key] = value
            with _api._start_child(tags) as child:
                _log_new_params(child, params)
                child.log_metrics(metrics)

    def _log_cv_results(self, results: Dict[str, Any]) -> None:
        """``cv_results_`` as ``cv_results.csv``, one row per candidate (MLflow's artifact)."""
        from .. import _files

        columns = list(results)
        rows = len(results["params"])
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        for index in range(rows):
            writer.writerow([_csv_cell(results[column][index]) for column in columns])
        folder = os.path.join(self.run.dir, "artifacts")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "cv_results.csv")
        data = text.getvalue().encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        self.run._write("artifact", {"path": "cv_results.csv", "size": len(data), "sha256": _files.sha256_file(path)})


def _csv_cell(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    return value


def _log_new_params(run: Any, params: Dict[str, Any]) -> None:
    """Logs the params the run does not have yet; one with another value already is left as it is
    (params are write-once), said once."""
    existing = run.params
    fresh: Dict[str, Any] = {}
    kept = []
    for key, value in params.items():
        text = str(value)
        if key in existing:
            if existing[key] != text:
                kept.append(key)
        else:
            fresh[key] = text
    if fresh:
        run.log_params(fresh)
    if kept:
        _core.report(
            NAME,
            "log params already logged with other values",
            ValueError("%s kept their first values (params are write-once)" % ", ".join(sorted(kept)[:5])),
        )


def _is_search(estimator: Any) -> bool:
    return hasattr(estimator, "param_distributions") or hasattr(estimator, "param_grid")


def _fit_arguments(fit: Callable[..., Any], args: tuple, kwargs: dict) -> Tuple[Any, Any, Any]:
    """X, y and sample_weight of a fit call, by the fit's own parameter names."""
    try:
        names = [name for name in inspect.signature(fit).parameters if name != "self"]
    except (TypeError, ValueError):
        names = ["X", "y"]
    x_name = names[0] if names else "X"
    y_name = names[1] if len(names) > 1 else "y"
    X = args[0] if len(args) > 0 else kwargs.get(x_name)
    y = args[1] if len(args) > 1 else kwargs.get(y_name)
    weight = None
    if "sample_weight" in names:
        index = names.index("sample_weight")
        weight = args[index] if len(args) > index else kwargs.get("sample_weight")
    return X, y, weight


# --- training metrics ---------------------------------------------------------------------------


# Classifiers whose predict is literally classes_[argmax(predict_proba)]: one pass gives both.
_PREDICT_IS_ARGMAX_OF_PROBA = ("ForestClassifier.predict", "HistGradientBoostingClassifier.predict")


def _predict_from_probabilities(estimator: Any) -> bool:
    method = getattr(type(estimator), "predict", None)
    method = getattr(method, "__wrapped__", method)
    return (
        getattr(method, "__qualname__", "") in _PREDICT_IS_ARGMAX_OF_PROBA
        and (getattr(method, "__module__", "") or "").startswith("sklearn.ensemble")
        and getattr(estimator, "n_outputs_", 1) == 1
    )


def training_metrics(estimator: Any, X: Any, y: Any, weight: Any) -> Tuple[Dict[str, float], Any]:
    """MLflow's training metrics of a fitted estimator (prefix ``training_``), and the predictions
    of the training data when they were made."""
    import numpy
    from sklearn import base, metrics

    found: Dict[str, float] = {}
    predicted = None

    def put(name: str, compute: Callable[[], Any]) -> None:
        try:
            value = float(compute())
        except Exception as exc:  # noqa: BLE001 - a metric that does not apply is left out
            _core.report(NAME, "compute training_%s" % name, exc)
            return
        found["training_" + name] = value

    kind = getattr(estimator, "_estimator_type", None)
    if y is not None and base.is_classifier(estimator):
        probabilities = None
        if hasattr(estimator, "predict_proba"):
            try:
                probabilities = estimator.predict_proba(X)
            except Exception as exc:  # noqa: BLE001 - e.g. SVC(probability=False) has the method but refuses
                _core.report(NAME, "compute training probabilities", exc)
        if probabilities is not None and _predict_from_probabilities(estimator):
            predicted = estimator.classes_.take(numpy.argmax(probabilities, axis=1), axis=0)
        else:
            predicted = estimator.predict(X)
        put("accuracy_score", lambda: metrics.accuracy_score(y, predicted, sample_weight=weight))
        try:
            precision, recall, f1, _ = metrics.precision_recall_fscore_support(
                y, predicted, average="weighted", sample_weight=weight, zero_division=0)
            found.update(training_precision_score=float(precision), training_recall_score=float(recall),
                         training_f1_score=float(f1))
        except Exception as exc:  # noqa: BLE001
            _core.report(NAME, "compute training precision, recall and f1", exc)
        if probabilities is not None:
            labels = getattr(estimator, "classes_", None)
            put("log_loss", lambda: metrics.log_loss(y, probabilities, sample_weight=weight, labels=labels))
            scores = probabilities[:, 1] if probabilities.shape[1] == 2 else probabilities
            if len(numpy.unique(y)) > 1:
                put("roc_auc", lambda: metrics.roc_auc_score(y, scores, average="weighted", sample_weight=weight,
                                                             multi_class="ovo", labels=labels if scores.ndim > 1 else None))
        if _default_score(estimator, base.ClassifierMixin) and "training_accuracy_score" in found:
            found["training_score"] = found["training_accuracy_score"]
        else:
            put("score", lambda: estimator.score(X, y))
    elif y is not None and base.is_regressor(estimator):
        predicted = estimator.predict(X)
        put("mean_squared_error", lambda: metrics.mean_squared_error(y, predicted, sample_weight=weight))
        if "training_mean_squared_error" in found:
            found["training_root_mean_squared_error"] = float(numpy.sqrt(found["training_mean_squared_error"]))
        put("mean_absolute_error", lambda: metrics.mean_absolute_error(y, predicted, sample_weight=weight))
        put("r2_score", lambda: metrics.r2_score(y, predicted, sample_weight=weight))
        if _default_score(estimator, base.RegressorMixin) and "training_r2_score" in found:
            found["training_score"] = found["training_r2_score"]
        else:
            put("score", lambda: estimator.score(X, y))
    elif kind == "clusterer" and X is not None:
        labels = getattr(estimator, "labels_", None)
        if labels is None and hasattr(estimator, "predict"):
            labels = estimator.predict(X)
        if labels is not None:
            clusters = len(numpy.unique(labels))
            samples = len(labels)
            if 2 <= clusters < samples:
                put("silhouette_score", lambda: metrics.silhouette_score(
                    X, labels, sample_size=min(samples, SILHOUETTE_SAMPLE), random_state=0))
                put("calinski_harabasz_score", lambda: metrics.calinski_harabasz_score(X, labels))
                put("davies_bouldin_score", lambda: metrics.davies_bouldin_score(X, labels))
        if hasattr(estimator, "inertia_"):
            put("inertia", lambda: estimator.inertia_)
    return found, predicted


def _default_score(estimator: Any, mixin: type) -> bool:
    """Whether ``estimator.score`` is the mixin's (accuracy, r²), already computed."""
    method = getattr(type(estimator), "score", None)
    method = getattr(method, "__wrapped__", method)
    own = mixin.__dict__.get("score")
    return own is not None and getattr(own, "__wrapped__", own) is method


# --- post-training metrics ----------------------------------------------------------------------


def _model_run(model: Any) -> Any:
    entry = _models.get(id(model))
    if entry is None or entry[0]() is not model:
        return None
    return entry[1]


def _dataset_name(run: Any, X: Any, frame: Any) -> str:
    """The variable name of X in the caller; a name already given to other data gets ``-2``, ``-3``."""
    name = _core.caller_variable(X, frame, UNKNOWN_DATASET)
    seen = _dataset_names.setdefault(run, {})
    ids = seen.setdefault(name, [])
    if id(X) not in ids:
        ids.append(id(X))
    index = ids.index(id(X))
    return name if index == 0 else "%s-%d" % (name, index + 1)


def _predict_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    @_core.wraps(original)
    def predict(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _active():
            return original(self, *args, **kwargs)
        run = _model_run(self)
        if run is None:
            return original(self, *args, **kwargs)
        frame = sys._getframe(1)
        with _Inside():
            result = original(self, *args, **kwargs)
        try:
            X = args[0] if args else next(iter(kwargs.values()), None)
            dataset = _dataset_name(run, X, frame)
            _predictions[id(result)] = (weakref.ref(result, _forget_prediction(id(result))), run, dataset)
        except Exception:  # noqa: BLE001 - a list or a scalar takes no weak reference: not followed
            pass
        return result

    return predict


def _forget_prediction(key: int) -> Callable[[Any], None]:
    def forget(_: Any) -> None:
        _predictions.pop(key, None)

    return forget


def _score_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    @_core.wraps(original)
    def score(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _active():
            return original(self, *args, **kwargs)
        run = _model_run(self)
        if run is None:
            return original(self, *args, **kwargs)
        frame = sys._getframe(1)
        with _Inside():  # its own predict and metric calls are not the user's
            result = original(self, *args, **kwargs)
        try:
            X = args[0] if args else kwargs.get("X")
            dataset = _dataset_name(run, X, frame)
            _log_post_training(run, "%s_score" % type(self).__name__, dataset, result)
        except Exception as exc:  # noqa: BLE001
            _core.report(NAME, "log %s.score" % type(self).__name__, exc)
        return result

    return score


_PREDICTION_ARGUMENTS = ("y_pred", "y_score", "y_prob", "probas_pred", "labels_pred", "labels")


def _metric_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    @_core.wraps(original)
    def metric(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not _active() or not _predictions:
            return result
        try:
            candidates = list(args[1:2]) + [kwargs[name] for name in _PREDICTION_ARGUMENTS if name in kwargs]
            for candidate in candidates:
                entry = _predictions.get(id(candidate))
                if entry is not None and entry[0]() is candidate:
                    _log_post_training(entry[1], original.__name__, entry[2], result)
                    break
        except Exception as exc:  # noqa: BLE001
            _core.report(NAME, "log the metric %s" % original.__name__, exc)
        return result

    return metric


def _log_post_training(run: Any, metric: str, dataset: str, value: Any) -> None:
    """Logs ``<metric>[-<call>]_<dataset>`` (step 0) in the model's run, even when it has ended."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return  # an array of per-class values: not one metric
    calls = _metric_calls.setdefault(run, {})
    base = "%s_%s" % (metric, dataset)
    calls[base] = calls.get(base, 0) + 1
    key = base if calls[base] == 1 else "%s-%d_%s" % (metric, calls[base], dataset)
    if not run._ended:
        run.log_metric(key, number, step=0)
        return
    # The fit's own run has ended (autolog ended it): its journal still takes lines.
    wire: Any = number
    if not math.isfinite(number):
        wire = "NaN" if number != number else ("Infinity" if number > 0 else "-Infinity")
    journal = _journal.Journal(os.path.join(run.dir, "events.jsonl"))
    journal.append(_journal.encode_event("metric", {"key": key, "value": wire, "step": 0}))
    journal.close()


# --- switching on and off ------------------------------------------------------------------------


def enable() -> None:
    _core.when_imported("sklearn.base", setup)
    _core.when_imported("sklearn.metrics", setup_metrics)


def disable() -> None:
    _core.unpatch(NAME)
    _models.clear()
    _predictions.clear()
    _original_metrics.clear()
