"""PyTorch models in a run: ``runlog.pytorch.log_model``, and ``watch`` for gradient norms.

Importing this module does not import torch; its functions need it.
"""

import os
import weakref
from typing import Any, Dict, List, Optional

from . import _api, _model
from ._journal import warn
from ._model import LoggedModel

FLAVOR = "pytorch"
DATA = "data"
MODEL_FILE = "model.pth"
STATE_DICT_FILE = "state_dict.pth"
WATCH_LOGS = ("gradients", "parameters", "all")


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("runlog.pytorch needs torch, which this Python (%s) cannot import" % _executable()) from None
    return torch


def _executable() -> str:
    import sys

    return sys.executable


def class_path(model: Any) -> str:
    cls = type(model)
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def log_model(
    pytorch_model: Any,
    name: str = "model",
    signature: Optional[Dict[str, Any]] = None,
    input_example: Any = None,
) -> LoggedModel:
    """Logs a ``torch.nn.Module`` into the active run as ``artifacts/<name>/``: ``data/model.pth``
    (the whole module, ``torch.save``, MLflow's layout), ``data/state_dict.pth`` (the weights) and
    an ``MLmodel`` naming the model's class (``model_class``), with ``requirements.txt`` and
    ``python_env.yaml``. ``runlog.load_model`` loads it back: the whole module, or — when it could
    not be pickled — a new instance of the class (built without arguments) given the weights.
    A model logged under the same name before in this run is replaced.

    With ``runlog.autolog()`` on, a model logged before or while it trains is logged again when the
    run ends if an optimizer stepped since, so the run keeps the trained weights."""
    torch = _torch()
    if not isinstance(pytorch_model, torch.nn.Module):
        raise TypeError("runlog.pytorch.log_model takes a torch.nn.Module, not %s" % type(pytorch_model).__name__)
    run = _api._current()
    logged = _log_to(run, torch, pytorch_model, name, signature, input_example)
    from ._autolog import _core, _torch as autolog_torch

    if _core.settings.enabled:
        _remember_for_the_end(run, pytorch_model, name, signature, input_example, autolog_torch)
    return logged


def _log_to(run: Any, torch: Any, pytorch_model: Any, name: str, signature: Any, input_example: Any) -> LoggedModel:
    folder = _model.fresh_folder(run.dir, name)
    data = os.path.join(folder, DATA)
    os.makedirs(data)
    torch.save(pytorch_model.state_dict(), os.path.join(data, STATE_DICT_FILE))
    try:
        torch.save(pytorch_model, os.path.join(data, MODEL_FILE))
    except Exception as exc:  # noqa: BLE001 - e.g. a lambda inside: the weights and the class remain
        try:
            os.remove(os.path.join(data, MODEL_FILE))
        except OSError:
            pass
        warn("runlog.pytorch.log_model: the whole model could not be saved (%r); logged its weights and "
             "class %s, which load_model builds without arguments" % (exc, class_path(pytorch_model)))
    conf = {
        "model_data": DATA,
        "pytorch_version": str(torch.__version__),
        "model_class": class_path(pytorch_model),
        "state_dict": "%s/%s" % (DATA, STATE_DICT_FILE),
    }
    return run._log_model_folder(name, FLAVOR, DATA, signature, input_example, set(), conf)


# run -> {model name: (weak reference to the model, optimizer steps when it was logged, signature, example)}
_at_end: "weakref.WeakKeyDictionary[Any, Dict[str, Any]]" = weakref.WeakKeyDictionary()


def _remember_for_the_end(run: Any, model: Any, name: str, signature: Any, input_example: Any, autolog_torch: Any) -> None:
    models = _at_end.get(run)
    if models is None:
        models = _at_end[run] = {}

        def log_trained_models() -> None:
            torch = _torch()
            for model_name, (ref, steps, model_signature, example) in list(models.items()):
                trained = ref()
                if trained is None or autolog_torch.total_steps == steps:
                    continue
                try:
                    _log_to(run, torch, trained, model_name, model_signature, example)
                except Exception as exc:  # noqa: BLE001 - the run ends anyway, with the model as first logged
                    warn("runlog.pytorch: could not log the trained model %s at the end of run %s: %r"
                         % (model_name, run.id, exc))

        run._end_hooks.insert(0, log_trained_models)
    models[name] = (weakref.ref(model), autolog_torch.total_steps, signature, input_example)


class _Watch:
    """The gradient (and parameter) norm hooks on one model, logging into the active run."""

    def __init__(self, model: Any, log: str, every: int) -> None:
        self.log = log
        self.every = every
        self.handles: List[Any] = []
        self.counts: Dict[str, int] = {}
        self.failed = False
        for name, parameter in model.named_parameters():
            if parameter.requires_grad:
                self.handles.append(parameter.register_hook(self._hook(name, weakref.ref(parameter))))

    def _hook(self, name: str, parameter: Any) -> Any:
        def hook(grad: Any) -> None:
            try:
                count = self.counts.get(name, 0)
                self.counts[name] = count + 1
                if count % self.every:
                    return None
                run = _api._current()
                if self.log in ("gradients", "all"):
                    values = grad.coalesce().values() if grad.is_sparse else grad
                    run.log_metric("gradients/%s" % name, float(values.detach().norm()), step=count)
                weights = parameter()
                if self.log in ("parameters", "all") and weights is not None:
                    run.log_metric("parameters/%s" % name, float(weights.detach().norm()), step=count)
            except Exception as exc:  # noqa: BLE001 - a training step never fails because of logging
                if not self.failed:
                    self.failed = True
                    warn("runlog.pytorch.watch could not log %s: %r; training goes on (said once)" % (name, exc))
            return None

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            try:
                handle.remove()
            except Exception:  # noqa: BLE001
                pass
        self.handles = []


_watches: "weakref.WeakKeyDictionary[Any, _Watch]" = weakref.WeakKeyDictionary()


def watch(model: Any, log: str = "gradients", every: int = 100) -> None:
    """Logs each parameter tensor's gradient norm (L2) as ``gradients/<name>`` — ``fc1.weight``,
    ``fc1.bias``, … — every ``every``-th backward pass, at that pass's index as the step, into the
    run active at that moment (one is started if there is none), until ``unwatch(model)``.
    ``log="parameters"`` logs the weights' norms as ``parameters/<name>`` instead, ``"all"`` both.
    Watching a model again replaces its hooks."""
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError("runlog.pytorch.watch takes a torch.nn.Module, not %s" % type(model).__name__)
    if log not in WATCH_LOGS:
        raise ValueError("runlog.pytorch.watch: log must be one of %s, not %r" % (", ".join(WATCH_LOGS), log))
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError("runlog.pytorch.watch: every must be a whole number of backward passes >= 1, not %r" % (every,))
    unwatch(model)
    _watches[model] = _Watch(model, log, every)


def unwatch(model: Any) -> None:
    """Removes ``watch``'s hooks from a model (nothing happens if it is not watched)."""
    current = _watches.pop(model, None)
    if current is not None:
        current.remove()
